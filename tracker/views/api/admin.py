"""API v1 for admins: the audit log."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ...authz import can_view_audit
from ...schemas import admin as schemas
from ...services import audit
from .spec import operation

bp = Blueprint("admin", __name__)


@bp.before_request
def _admins_only():
    """Others are refused (403) before their query is read."""
    if not can_view_audit(current_user):
        abort(403, description="Only administrators can read the audit log.")


@bp.route("/audit")
@operation(
    "listAuditEvents",
    {200: (schemas.AuditEventPage, "One page of events and the number of all matching events")},
    errors=(403,),
    query=schemas.AuditQuery,
)
def audit_events(query: schemas.AuditQuery):
    """The audit log, newest first (administrators only)

    Who did what, when and from where. Entries are append-only. Times are UTC (ISO 8601).
    """
    filters = audit.AuditFilter(
        action=(query.action or "").strip() or None,
        actor=(query.actor or "").strip() or None,
        target_type=(query.target_type or "").strip() or None,
        target_id=(query.target_id or "").strip() or None,
        since=query.since,
        until=query.until,
    )
    return schemas.AuditEventPage(
        events=[
            schemas.AuditEvent(**audit.as_dict(e))
            for e in audit.events(filters, limit=query.limit, offset=query.offset)
        ],
        total=audit.count(filters),
        limit=query.limit,
        offset=query.offset,
    )
