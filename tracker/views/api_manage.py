"""API v1 endpoints for managers and admins: teams, a team's matrix and assignments (on the shared blueprint)."""

from __future__ import annotations

from datetime import date

from flask import abort, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..authz import get_assignment_or_404, get_team_or_404, visible_team_ids
from ..extensions import db
from ..models import Assignment, Course, LearningPath, Role, Team, User
from ..services import DomainError, assignments, matrix
from .api import bp


def _require_manager() -> set[int] | None:
    if current_user.role not in (Role.MANAGER, Role.ADMIN):
        abort(403)
    return visible_team_ids(current_user)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@bp.route("/teams")
def teams():
    scope = _require_manager()
    query = select(Team).options(joinedload(Team.manager)).order_by(Team.name)
    if scope is not None:
        query = query.where(Team.id.in_(scope))
    members = dict(
        db.session.execute(select(User.team_id, func.count()).where(User.active.is_(True)).group_by(User.team_id)).all()
    )
    return {
        "teams": [
            {
                "id": team.id,
                "name": team.name,
                "parent_id": team.parent_id,
                "manager": team.manager.email if team.manager else None,
                "members": members.get(team.id, 0),
            }
            for team in db.session.scalars(query)
        ]
    }


@bp.route("/teams/<int:team_id>/matrix")
def team_matrix(team_id: int):
    _require_manager()
    team = get_team_or_404(team_id)
    args = request.args
    status = args.get("status")
    per_page = min(max(args.get("per_page", 100, type=int), 1), 500)
    filters = matrix.Filters(
        team_id=team.id,
        course_id=args.get("course", type=int),
        status=status if status in matrix.STATUSES else None,
        sort=args.get("sort") if args.get("sort") in matrix.SORTS else "name",
        page=max(args.get("page", 1, type=int), 1),
        per_page=per_page,
    )
    result = matrix.build(visible_team_ids(current_user), filters)
    return {
        "team": {"id": team.id, "name": team.name},
        "generated_at": result.generated_at.isoformat(),
        "page": filters.page,
        "per_page": filters.per_page,
        "total_people": result.total_people,
        "courses": [{"id": cid, "slug": slug, "title": title} for cid, slug, title in result.courses],
        "people": [
            {
                "id": row.id,
                "name": row.name,
                "email": row.email,
                "team": row.team,
                "job_role": row.job_role,
                "cells": [
                    {
                        "course_id": course_id,
                        "status": cell.status,
                        "assigned": cell.assigned,
                        "due_on": _iso(cell.due_on),
                        "percent": cell.percent,
                        "score": cell.score,
                        "completed_at": _iso(cell.completed_at),
                        "certificate_code": cell.certificate_code,
                        "certificate_expires_at": _iso(cell.expires_at),
                    }
                    for course_id, cell in row.cells.items()
                ],
            }
            for row in result.rows
        ],
        "totals": [
            {
                "course_id": cid,
                "assigned": t.assigned,
                "completed": t.completed,
                "completion_rate": t.rate,
                "by_status": dict(t.by_status),
            }
            for cid, t in result.totals.items()
        ],
    }


def _assignment_json(assignment: Assignment) -> dict:
    return {
        "id": assignment.id,
        "course": assignment.course.slug if assignment.course else None,
        "path": assignment.path.slug if assignment.path else None,
        "team_id": assignment.team_id,
        "user_email": assignment.user.email if assignment.user else None,
        "job_role": assignment.job_role,
        "due_on": assignment.due_on.isoformat(),
        "created_at": assignment.created_at.isoformat(),
    }


@bp.route("/assignments")
def assignment_list():
    scope = _require_manager()
    return {"assignments": [_assignment_json(a) for a in assignments.assignments_in_scope(scope)]}


def _unprocessable(message: str):
    return {"error": {"code": 422, "title": "Invalid assignment", "message": message}}, 422


@bp.route("/assignments", methods=["POST"])
def create_assignment():
    scope = _require_manager()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _unprocessable(
            'Send {"course": slug or "path": slug, one of "team_id" / "user_email" / '
            '"job_role", and "due_on": "YYYY-MM-DD"}.'
        )
    try:
        due_on = date.fromisoformat(str(data.get("due_on", "")))
    except ValueError:
        return _unprocessable("due_on must be a date written as YYYY-MM-DD.")
    course = db.session.scalar(select(Course).where(Course.slug == data["course"])) if data.get("course") else None
    path = (
        db.session.scalar(select(LearningPath).where(LearningPath.slug == data["path"])) if data.get("path") else None
    )
    target: dict = {}
    if data.get("team_id") is not None:
        team = db.session.get(Team, data["team_id"]) if isinstance(data["team_id"], int) else None
        if team is None or (scope is not None and team.id not in scope):
            return _unprocessable("team_id is not one of your teams.")
        target["team"] = team
    if data.get("user_email"):
        person = db.session.scalar(select(User).where(User.email == str(data["user_email"]).strip().lower()))
        if person is None or (scope is not None and person.team_id not in scope):
            return _unprocessable("user_email is not a person in your teams.")
        target["user"] = person
    if data.get("job_role"):
        if current_user.role != Role.ADMIN:
            return _unprocessable("Only admins assign to a job role across the organisation.")
        target["job_role"] = str(data["job_role"])
    try:
        assignment, created = assignments.assign(current_user, course=course, path=path, due_on=due_on, **target)
    except DomainError as exc:
        return _unprocessable(str(exc))
    db.session.commit()
    return _assignment_json(assignment), 201 if created else 200


@bp.route("/assignments/<int:assignment_id>", methods=["DELETE"])
def delete_assignment(assignment_id: int):
    _require_manager()
    assignment = get_assignment_or_404(assignment_id)
    assignments.remove(current_user, assignment)
    db.session.commit()
    return "", 204
