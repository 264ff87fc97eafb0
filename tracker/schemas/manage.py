"""The manager's API: teams, a team's matrix and assignments."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from ..enums import CellStatus
from ..services.organisation.assignments import JOB_ROLE_MAX
from ..services.reporting.matrix import SORTS
from .common import INT32_MAX, Body, Day, Id, Model, Query, Text, Timestamp

PER_PAGE_MAX = 500
Sort = Literal[tuple(SORTS)]


class Team(Model):
    id: int
    name: str
    parent_id: int | None
    manager: str | None = Field(description="The email of the team's first manager (by email); see managers")
    managers: list[str] = Field(default_factory=list, description="The emails of all the team's managers")
    members: int


class TeamList(Model):
    teams: list[Team]


class MatrixQuery(Query):
    course: Id = Field(default=None, description="Only this course (its id)")
    status: CellStatus = Field(default=None, description="Only people with a cell in this status")
    sort: Sort = "name"
    page: int = Field(default=1, ge=1, le=INT32_MAX, description="A page past the end shows the last one")
    per_page: int = Field(default=100, ge=1, le=PER_PAGE_MAX)


class TeamRef(Model):
    id: int
    name: str


class MatrixCourse(Model):
    id: int
    slug: str
    title: str


class Cell(Model):
    course_id: int
    status: CellStatus
    assigned: bool
    due_on: date | None
    percent: int
    score: int | None
    completed_at: Timestamp | None
    certificate_code: str | None
    certificate_expires_at: Timestamp | None


class MatrixPerson(Model):
    id: int
    name: str
    email: str
    team: str | None
    job_role: str | None
    cells: list[Cell]


class CourseTotals(Model):
    course_id: int
    assigned: int
    completed: int
    completion_rate: int = Field(description="Percent of the assigned who completed")
    by_status: dict[CellStatus, int]


class Matrix(Model):
    """People x courses for a team and the teams below it. Times are ISO 8601 in UTC."""

    team: TeamRef
    generated_at: Timestamp
    page: int
    per_page: int
    total_people: int
    courses: list[MatrixCourse]
    people: list[MatrixPerson]
    totals: list[CourseTotals]


class Assignment(Model):
    id: int
    course: str | None = Field(description="The course's slug")
    path: str | None = Field(description="The learning path's slug")
    team_id: int | None
    user_email: str | None
    job_role: str | None
    due_on: date
    created_at: Timestamp


class AssignmentList(Model):
    assignments: list[Assignment]


class NewAssignment(Body):
    """One of course / path, one of team_id / user_email / job_role (job roles: admins only), and a due date."""

    course: Text(200) | None = Field(default=None, description="A published course's slug")
    path: Text(200) | None = Field(default=None, description="A learning path's slug")
    team_id: Id | None = None
    user_email: Text(254) | None = None
    job_role: Text(JOB_ROLE_MAX) | None = None
    due_on: Day
