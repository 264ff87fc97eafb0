"""API v1 for managers and admins: teams, a team's matrix and assignments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Blueprint, request
from flask_login import current_user

from ...authz import get_assignment_or_404, get_team_or_404, manager_scope
from ...extensions import db
from ...models import Assignment
from ...services import FieldError
from ...services.organisation import assignments, teams
from ...services.reporting import matrix

bp = Blueprint("manage", __name__)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@bp.route("/teams")
def team_list():
    scope = manager_scope(current_user)
    return {
        "teams": [
            {"id": t.id, "name": t.name, "parent_id": t.parent_id, "manager": manager, "members": members}
            for t, manager, members in teams.teams_with_counts(scope)
        ]
    }


@bp.route("/teams/<int:team_id>/matrix")
def team_matrix(team_id: int):
    scope = manager_scope(current_user)
    team = get_team_or_404(team_id)
    filters = matrix.Filters.from_query(request.args, team_id=team.id)
    per_page = request.args.get("per_page", 100, type=int)
    filters = replace(filters, per_page=min(max(per_page, 1), 500))
    result = matrix.build(scope, filters)
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
    scope = manager_scope(current_user)
    return {"assignments": [_assignment_json(a) for a in assignments.assignments_in_scope(scope)]}


def _unprocessable(message: str, field: str | None = None):
    error = {"code": 422, "title": "Invalid assignment", "message": message}
    if field:
        error["field"] = field
    return {"error": error}, 422


API_FIELDS = {"item": "course", "team": "team_id", "person_email": "user_email", "target_type": "team_id"}


@bp.route("/assignments", methods=["POST"])
def create_assignment():
    scope = manager_scope(current_user)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _unprocessable(
            'Send {"course": slug or "path": slug, one of "team_id" / "user_email" / '
            '"job_role", and "due_on": "YYYY-MM-DD"}.'
        )
    try:
        due_on = date.fromisoformat(str(data.get("due_on", "")))
    except ValueError:
        return _unprocessable("due_on must be a date written as YYYY-MM-DD.", "due_on")
    request_data = assignments.AssignmentInput(
        due_on=due_on,
        course_slug=str(data["course"]) if data.get("course") else None,
        path_slug=str(data["path"]) if data.get("path") else None,
        team_id=data.get("team_id") if isinstance(data.get("team_id"), int) else None,
        person_email=str(data["user_email"]) if data.get("user_email") else None,
        job_role=str(data["job_role"]) if data.get("job_role") else None,
    )
    try:
        assignment, created = assignments.assign_from_input(current_user, scope, request_data)
    except FieldError as exc:
        return _unprocessable(str(exc), API_FIELDS.get(exc.field, exc.field))
    db.session.commit()
    return _assignment_json(assignment), 201 if created else 200


@bp.route("/assignments/<int:assignment_id>", methods=["DELETE"])
def delete_assignment(assignment_id: int):
    manager_scope(current_user)
    assignment = get_assignment_or_404(assignment_id)
    assignments.remove(current_user, assignment)
    db.session.commit()
    return "", 204
