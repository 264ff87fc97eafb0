"""API v1 for the AI-literacy programme: the inventory of AI systems, training requirements, policy
acknowledgements and coverage. Same rules as the pages: admins manage, managers read coverage for their teams,
everyone reads the policies and acknowledges them."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, request
from flask_login import current_user

from ...authz import (
    get_ai_system_or_404,
    get_policy_or_404,
    get_policy_version_or_404,
    get_requirement_or_404,
    is_admin,
    manager_scope,
)
from ...extensions import db
from ...models import AISystem, TrainingRequirement
from ...services import DomainError, FieldError
from ...services.programme import coverage, inventory, policies, requirements

bp = Blueprint("programme", __name__)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _error(status: int, title: str, message: str, field: str | None = None):
    error = {"code": status, "title": title, "message": message}
    if field:
        error["field"] = field
    return {"error": error}, status


def _admin_only() -> None:
    if not is_admin(current_user):
        abort(403)


def _system_json(system: AISystem, *, history: bool = False) -> dict:
    data = {
        "id": system.id,
        "name": system.name,
        "vendor": system.vendor,
        "organisation_role": system.organisation_role,
        "purpose": system.purpose,
        "risk_class": system.risk_class,
        "risk_note": system.risk_note,
        "owner_email": system.owner.email if system.owner else None,
        "data_classes": list(system.data_classes or []),
        "status": system.status,
        "links": list(system.links or []),
        "team_ids": sorted(link.team_id for link in system.teams),
        "job_roles": sorted(link.job_role for link in system.job_roles),
        "created_at": _iso(system.created_at),
        "updated_at": _iso(system.updated_at),
    }
    if history:
        data["history"] = [
            {"at": _iso(c.at), "actor_email": c.actor_email, "action": c.action, "changes": c.changes}
            for c in inventory.history(system)
        ]
    return data


SYSTEM_FIELDS = (
    "name",
    "vendor",
    "organisation_role",
    "purpose",
    "risk_class",
    "risk_note",
    "owner_email",
    "data_classes",
    "status",
    "links",
    "team_ids",
    "job_roles",
)
LIST_FIELDS = {"data_classes", "links", "team_ids", "job_roles"}


def _system_input(data: dict, base: inventory.SystemInput | None = None) -> inventory.SystemInput:
    """A JSON body as input; fields left out keep the base's values (a partial update)."""
    values = dict(base.__dict__) if base is not None else {}
    for key in SYSTEM_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key in LIST_FIELDS:
            if not isinstance(value, list):
                raise FieldError(key, f"{key} must be a list.")
            if key == "team_ids" and not all(isinstance(v, int) for v in value):
                raise FieldError(key, "team_ids must be a list of team ids.")
            if key == "links" and not all(isinstance(v, dict) for v in value):
                raise FieldError(key, 'links must be a list of {"url", "label"} objects.')
            if key in ("data_classes", "job_roles") and not all(isinstance(v, str) for v in value):
                raise FieldError(key, f"{key} must be a list of text.")
        elif value is not None and not isinstance(value, str):
            raise FieldError(key, f"{key} must be text.")
        values[key] = value if value is not None else ("" if key != "owner_email" else None)
    if "name" not in values:
        raise FieldError("name", "name is required.")
    return inventory.SystemInput(**values)


@bp.route("/ai-systems")
def system_list():
    manager_scope(current_user)  # managers and admins
    include_retired = request.args.get("include_retired", "true").lower() != "false"
    return {"ai_systems": [_system_json(s) for s in inventory.systems(include_retired=include_retired)]}


@bp.route("/ai-systems", methods=["POST"])
def create_system():
    _admin_only()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(422, "Invalid AI system", "Send a JSON object with at least a name.")
    try:
        system = inventory.create_system(current_user, _system_input(data))
        requirements.sync(current_user)
    except FieldError as exc:
        return _error(422, "Invalid AI system", str(exc), exc.field)
    db.session.commit()
    return _system_json(inventory.system_by_id(system.id), history=True), 201


@bp.route("/ai-systems/<int:system_id>")
def system_detail(system_id: int):
    return _system_json(get_ai_system_or_404(system_id), history=True)


@bp.route("/ai-systems/<int:system_id>", methods=["PATCH"])
def update_system(system_id: int):
    system = get_ai_system_or_404(system_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(422, "Invalid AI system", "Send a JSON object with the fields to change.")
    try:
        changes = inventory.update_system(current_user, system, _system_input(data, inventory.as_input(system)))
        if changes:
            requirements.sync(current_user)
    except FieldError as exc:
        return _error(422, "Invalid AI system", str(exc), exc.field)
    db.session.commit()
    return _system_json(system, history=True)


def _requirement_json(requirement: TrainingRequirement, reached: dict[int, int]) -> dict:
    if requirement.course is not None:
        item = {"kind": "course", "slug": requirement.course.slug, "title": requirement.course.title}
    elif requirement.path is not None:
        item = {"kind": "path", "slug": requirement.path.slug, "title": requirement.path.title}
    else:
        item = {"kind": "policy", "slug": requirement.policy.slug, "title": requirement.policy.title}
    return {
        "id": requirement.id,
        "ai_system_id": requirement.system_id,
        "job_role": requirement.job_role,
        "item": item,
        "due_days": requirement.due_days,
        "people_assigned": None if item["kind"] == "policy" else reached.get(requirement.id, 0),
        "created_at": _iso(requirement.created_at),
    }


@bp.route("/requirements")
def requirement_list():
    _admin_only()
    reached = requirements.auto_assignment_counts()
    return {"requirements": [_requirement_json(r, reached) for r in requirements.requirements_list()]}


@bp.route("/requirements", methods=["POST"])
def create_requirement():
    _admin_only()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(
            422,
            "Invalid requirement",
            'Send {"item": "course:ID" | "path:ID" | "policy:ID", "ai_system_id" and/or "job_role", "due_days"}.',
        )
    system_id, due_days = data.get("ai_system_id"), data.get("due_days", 30)
    if (system_id is not None and not isinstance(system_id, int)) or not isinstance(due_days, int):
        return _error(422, "Invalid requirement", "ai_system_id and due_days must be whole numbers.")
    try:
        requirement = requirements.create_requirement(
            current_user,
            requirements.RequirementInput(
                item=str(data.get("item") or ""),
                system_id=system_id,
                job_role=str(data["job_role"]) if data.get("job_role") else None,
                due_days=due_days,
            ),
        )
        requirements.sync(current_user)
    except FieldError as exc:
        return _error(422, "Invalid requirement", str(exc), "ai_system_id" if exc.field == "system_id" else exc.field)
    db.session.commit()
    return _requirement_json(requirement, requirements.auto_assignment_counts()), 201


@bp.route("/requirements/<int:requirement_id>", methods=["DELETE"])
def delete_requirement(requirement_id: int):
    requirement = get_requirement_or_404(requirement_id)
    requirements.remove_requirement(current_user, requirement)
    db.session.commit()
    return "", 204


@bp.route("/policies")
def policy_list():
    return {
        "policies": [
            {
                "slug": s.policy.slug,
                "title": s.policy.title,
                "current_version": s.current.number,
                "published_at": _iso(s.current.published_at),
                "text_sha256": s.current.body_sha256,
                "check_question": s.current.check_question,
                "check_choices": s.current.check_choices if s.current.check_question else [],
                "acknowledged_at": _iso(s.acknowledged_at),
                "needs_acknowledgement": s.needs_acknowledgement,
            }
            for s in policies.statuses_for(current_user)
        ]
    }


def _ack_json(record) -> dict:
    return {
        "policy": record.version.policy.slug,
        "version": record.version.number,
        "acknowledged_at": _iso(record.acknowledged_at),
        "channel": record.channel,
        "text_sha256": record.body_sha256,
        "check_passed": record.check_passed,
    }


@bp.route("/policies/<policy_slug>/acknowledgements", methods=["POST"])
def acknowledge(policy_slug: str):
    policy = get_policy_or_404(policy_slug)
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    number, answer = data.get("version"), data.get("answer")
    current = policies.current_version(policy)
    if number is None:
        number = current.number
    if not isinstance(number, int) or (answer is not None and not isinstance(answer, int)):
        return _error(422, "Invalid acknowledgement", "version and answer must be whole numbers.")
    version = get_policy_version_or_404(policy, number)
    try:
        record, created = policies.acknowledge(
            current_user, version, answer=answer, ip_address=request.remote_addr, channel="api"
        )
    except DomainError as exc:
        return _error(409 if not isinstance(exc, policies.CheckFailed) else 422, "Not acknowledged", str(exc))
    db.session.commit()
    return _ack_json(record), 201 if created else 200


@bp.route("/acknowledgements")
def my_acknowledgements():
    return {"acknowledgements": [_ack_json(a) for a in policies.acknowledgements_of(current_user)]}


@bp.route("/policies/<policy_slug>/acknowledgements")
def policy_acknowledgements(policy_slug: str):
    scope = manager_scope(current_user)
    policy = get_policy_or_404(policy_slug)
    number = request.args.get("version", type=int)
    version = get_policy_version_or_404(policy, number) if number else policies.current_version(policy)
    return {
        "policy": policy.slug,
        "version": version.number,
        "acknowledgements": [
            {"name": name, "email": email, "team": team, "acknowledged_at": _iso(at), "channel": channel}
            for name, email, team, at, channel, _ip in policies.version_acknowledgements(version, scope)
        ],
    }


@bp.route("/coverage")
def coverage_report():
    scope = manager_scope(current_user)
    filters = coverage.Filters.from_query(request.args)
    per_page = request.args.get("per_page", 100, type=int)
    filters = replace(filters, per_page=min(max(per_page, 1), 500))
    if filters.team_id is not None and scope is not None and filters.team_id not in scope:
        abort(404)
    result = coverage.build(scope, filters)
    return {
        "generated_at": _iso(result.generated_at),
        "page": result.filters.page,
        "per_page": result.filters.per_page,
        "total_people": result.total_people,
        "aggregate_only": result.aggregate_only,
        "ai_systems": [
            {
                "id": s.id,
                "name": s.name,
                "risk_class": s.risk_class.value,
                "users": result.totals[s.id].people,
                "by_status": {k.value: v for k, v in result.totals[s.id].by_status.items()},
            }
            for s in result.systems
        ],
        "job_roles": [
            {"job_role": t.key or None, "people": t.people, "by_status": {k.value: v for k, v in t.by_status.items()}}
            for t in result.roles
        ],
        "people": [
            {
                "id": row.id,
                "name": row.name,
                "email": row.email,
                "team": row.team,
                "job_role": row.job_role,
                "cells": [
                    {
                        "ai_system_id": key or None,
                        "status": cell.status.value,
                        "missing": list(cell.missing),
                        "expiring": list(cell.expiring),
                    }
                    for key, cell in row.cells.items()
                ],
            }
            for row in result.rows
        ],
    }
