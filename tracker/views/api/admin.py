"""API v1 for admins: the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, abort, request
from flask_login import current_user

from ...authz import can_view_audit
from ...services import audit

AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX = 50, 500

bp = Blueprint("admin", __name__)


class _BadParameter(ValueError):
    pass


def _moment(name: str) -> datetime | None:
    """An ISO 8601 date or date-time; without a time zone it is read as UTC."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        moment = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else datetime.combine(date.fromisoformat(value), datetime.min.time())
        )
    except ValueError as exc:
        raise _BadParameter(f"{name}: give an ISO 8601 date or date-time, e.g. 2026-01-31T09:00:00Z.") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _integer(name: str, default: int, low: int, high: int | None = None) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise _BadParameter(f"{name}: give a whole number.") from exc
    if number < low or (high is not None and number > high):
        raise _BadParameter(f"{name}: give a number from {low}" + (f" to {high}." if high else " up."))
    return number


@bp.route("/audit")
def audit_events():
    if not can_view_audit(current_user):
        abort(403, description="Only administrators can read the audit log.")
    try:
        filters = audit.AuditFilter(
            action=request.args.get("action", "").strip() or None,
            actor=request.args.get("actor", "").strip() or None,
            target_type=request.args.get("target_type", "").strip() or None,
            target_id=request.args.get("target_id", "").strip() or None,
            since=_moment("since"),
            until=_moment("until"),
        )
        limit = _integer("limit", AUDIT_LIMIT_DEFAULT, 1, AUDIT_LIMIT_MAX)
        offset = _integer("offset", 0, 0)
    except _BadParameter as exc:
        return {"error": {"code": 400, "title": "Bad request", "message": str(exc)}}, 400
    return {
        "events": [audit.as_dict(e) for e in audit.events(filters, limit=limit, offset=offset)],
        "total": audit.count(filters),
        "limit": limit,
        "offset": offset,
    }
