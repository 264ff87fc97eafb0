"""Writing the audit log. Entries are only ever added."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, User, utcnow


def record(
    action: str,
    *,
    actor: User | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    # The one service that reads the request: every audited action wants the client address, wherever it starts.
    ip = request.remote_addr if has_request_context() else None
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else actor_email,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
        ip_address=ip,
    )
    db.session.add(event)
    return event
