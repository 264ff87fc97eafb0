"""The team matrix kept up to date: a status per person and course, a summary per person, and counts per team.

These tables are derived data (`services/reporting/status_table.py` writes them in the same transaction as the
progress, certificates and assignments they come from, and can rebuild and check them). They let the manager's
matrix read one page of people and a few counts, whatever the size of the organisation.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

ORGANISATION = 0  # the scope id of the whole organisation in MatrixTally (people without a team included)
PEOPLE = 0  # the course id of the MatrixTally rows that count people (status: a PeopleCount), not a course's cells
PERSON = -1  # the column id of the CoverageTally rows that count people by their worst status, not cells


class MatrixPerson(db.Model):
    """One row per person: what the matrix sorts and filters people by, for the published courses."""

    __tablename__ = "matrix_people"
    __table_args__ = (
        Index("ix_matrix_people_name", "name_key", "user_id"),
        Index("ix_matrix_people_team_name", "team_id", "name_key", "user_id"),
        Index("ix_matrix_people_completion", "completion", "name_key", "user_id"),
        Index("ix_matrix_people_overdue", "n_overdue", "name_key", "user_id"),
        Index("ix_matrix_people_status_until", "status_until"),
        Index("ix_matrix_people_computed_at", "computed_at"),
    )

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # no foreign key: see the module
    team_id: Mapped[int | None]
    active: Mapped[bool]
    name_key: Mapped[str] = mapped_column(String(200))  # the display name in lower case, for sorting
    assigned: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    completion: Mapped[int] = mapped_column(default=100)  # percent of the assigned courses done
    n_overdue: Mapped[int] = mapped_column(default=0)
    n_expired: Mapped[int] = mapped_column(default=0)
    n_expiring: Mapped[int] = mapped_column(default=0)
    n_in_progress: Mapped[int] = mapped_column(default=0)
    n_not_started: Mapped[int] = mapped_column(default=0)
    n_completed: Mapped[int] = mapped_column(default=0)
    # The evidence report's headline facts (its own rules, not the matrix's statuses: see `reporting.evidence`):
    # any completion ever recorded, of any course; a due item past its date.
    has_completion: Mapped[bool] = mapped_column(default=False, server_default=false())
    evidence_overdue: Mapped[bool] = mapped_column(default=False, server_default=false())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the moment the statuses hold from
    status_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when one of them may change next


class MatrixCell(db.Model):
    """A person and a course with something to show: assigned, started, completed or certified."""

    __tablename__ = "matrix_cells"
    __table_args__ = (Index("ix_matrix_cells_course_status", "course_id", "status"),)

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    course_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))  # CellStatus
    assigned: Mapped[bool]
    due_on: Mapped[date | None]


class MatrixTally(db.Model):
    """How many cells of a course have a status, for a team with every team below it (or the organisation); with
    course PEOPLE, how many people a `PeopleCount` counts (assigned: always false)."""

    __tablename__ = "matrix_tallies"

    scope_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # a team id, or ORGANISATION
    course_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    assigned: Mapped[bool] = mapped_column(primary_key=True)
    people: Mapped[int] = mapped_column(default=0)


class CoveragePerson(db.Model):
    """One row per active person with at least one coverage cell: what the coverage page sorts and filters by.

    Derived data like the matrix tables (`services/programme/coverage_table.py` keeps it in step)."""

    __tablename__ = "coverage_people"
    __table_args__ = (
        Index("ix_coverage_people_name", "name_key", "user_id"),
        Index("ix_coverage_people_team_name", "team_id", "name_key", "user_id"),
        Index("ix_coverage_people_role_status", "job_role", "status"),
    )

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    team_id: Mapped[int | None]
    job_role: Mapped[str | None] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(200))  # the display name folded, for sorting
    status: Mapped[str] = mapped_column(String(16))  # CoverageStatus: the worst of the person's cells
    statuses: Mapped[int] = mapped_column(default=0)  # every status among the cells, one bit each (STATUS_BITS)


class CoverageCell(db.Model):
    """A person and an AI system they use (or 0: their job role's own requirements), with the coverage status and
    what is missing or expiring (item keys such as "course:5 policy:2"; titles are read with the page)."""

    __tablename__ = "coverage_cells"
    __table_args__ = (Index("ix_coverage_cells_column_status", "column_id", "status", "user_id"),)

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    column_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # AI system id, or 0
    status: Mapped[str] = mapped_column(String(16))  # CoverageStatus
    missing: Mapped[str] = mapped_column(Text, default="")
    expiring: Mapped[str] = mapped_column(Text, default="")


class CoverageTally(db.Model):
    """How many coverage cells of a column (an AI system, or 0: the job role's own requirements) have a status, for
    a team with every team below it (or the organisation), by their people's job role and `statuses` bits; with
    column PERSON, how many people have that worst status. Each filter of the coverage page is a sum of these."""

    __tablename__ = "coverage_tallies"

    scope_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # a team id, or ORGANISATION
    column_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # AI system id, 0, or PERSON
    job_role: Mapped[str] = mapped_column(String(120), primary_key=True)  # "" for none
    status: Mapped[str] = mapped_column(String(16), primary_key=True)  # CoverageStatus
    statuses: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the people's CoveragePerson.statuses
    people: Mapped[int] = mapped_column(default=0)
