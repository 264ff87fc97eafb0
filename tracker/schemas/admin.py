"""The administrator's API: the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .common import Model, Moment, Offset, Query, Text, Timestamp

AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX = 50, 500


class AuditQuery(Query):
    action: Text(100) = Field(default=None, description="Exact action, e.g. auth.signed_in")
    actor: Text(254) = Field(default=None, description="Part of the actor's email address (case-insensitive)")
    target_type: Text(100) = Field(default=None, description="Exact target type, e.g. certificate")
    target_id: Text(100) = Field(default=None, description="Exact target id")
    since: Moment = Field(default=None, description="Events at or after this moment")
    until: Moment = Field(default=None, description="Events before this moment (exclusive)")
    limit: int = Field(default=AUDIT_LIMIT_DEFAULT, ge=1, le=AUDIT_LIMIT_MAX, description="Page size")
    offset: Offset = 0


class AuditEvent(Model):
    id: int
    at: Timestamp = Field(description="UTC")
    actor_id: int | None
    actor_email: str | None = Field(description="Kept after the account is deleted")
    action: str = Field(examples=["auth.signed_in", "certificate.revoked"])
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]
    ip_address: str | None


class AuditEventPage(Model):
    """One page of events, newest first, and the number of all matching events."""

    events: list[AuditEvent]
    total: int = Field(description="All events matching the filters")
    limit: int
    offset: int
