"""The audit log: writing entries (only ever added) and reading them back (filters, pages, export rows)."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import String, cast, or_, select
from sqlalchemy.sql import Select

from ..extensions import db
from ..inputs import is_digits
from ..models import AuditEvent, Certificate, Course, Team, User, utcnow
from .paging import Page, count_rows, paginate


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


# --- reading ---------------------------------------------------------------------------------------------------

PER_PAGE = 50
EXPORT_HEADER = (
    "id",
    "at_utc",
    "actor_email",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "details_json",
    "ip_address",
)


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None  # part of the actor's email
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None  # inclusive, timezone-aware
    until: datetime | None = None  # exclusive, timezone-aware
    text: str | None = None  # anywhere in the details, the target id or the actor's email

    def as_details(self) -> dict[str, str]:
        """The filters in use, for recording an export of the log."""
        values = {
            "action": self.action,
            "actor": self.actor,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "since": self.since.astimezone(UTC).isoformat() if self.since else None,
            "until": self.until.astimezone(UTC).isoformat() if self.until else None,
            "text": self.text,
        }
        return {key: value for key, value in values.items() if value}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(filters: AuditFilter) -> Select:
    """Events matching `filters`, newest first."""
    query = select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        query = query.where(AuditEvent.actor_email.ilike(_like(filters.actor.strip()), escape="\\"))
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEvent.target_id == filters.target_id.strip())
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    if filters.text:
        text = filters.text.strip()
        # Details are stored as JSON text, which escapes non-ASCII characters: look for both spellings.
        spellings = dict.fromkeys([text, json.dumps(text)[1:-1]])
        details = cast(AuditEvent.details, String)
        conditions = [details.ilike(_like(s), escape="\\") for s in spellings]
        conditions += [
            AuditEvent.target_id.ilike(_like(text), escape="\\"),
            AuditEvent.actor_email.ilike(_like(text), escape="\\"),
        ]
        query = query.where(or_(*conditions))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def count(filters: AuditFilter) -> int:
    return count_rows(filtered(filters))


def events(filters: AuditFilter, *, limit: int, offset: int = 0) -> list[AuditEvent]:
    return list(db.session.scalars(filtered(filters).limit(limit).offset(offset)))


def page(filters: AuditFilter, number: int = 1, per_page: int = PER_PAGE) -> Page[AuditEvent]:
    """One page (LIMIT/OFFSET) and the total; a page past the end shows the last one."""
    return paginate(filtered(filters), number, per_page)


@dataclass(frozen=True)
class Choices:
    actions: list[str] = field(default_factory=list)
    target_types: list[str] = field(default_factory=list)


def choices() -> Choices:
    """The actions and target types that occur in the log, for the filter menus (one query)."""
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.target_type).distinct()).all()
    return Choices(
        actions=sorted({action for action, _ in rows}),
        target_types=sorted({target for _, target in rows if target}),
    )


def day_range(start: date | None, end: date | None, tz_name: str) -> tuple[datetime | None, datetime | None]:
    """Whole days from `start` to `end` (both included) in the viewer's time zone, as UTC bounds."""
    try:
        tz = zoneinfo.ZoneInfo(tz_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    since = datetime.combine(start, time.min, tz).astimezone(UTC) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, tz).astimezone(UTC) if end else None
    return since, until


def target_labels(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """A readable name for each target on a page of events ("Ada Lovelace <ada@…>", a team's or course's name, a
    certificate's holder), so the log reads as who and what, not "user 12". One query per kind of target."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.target_type and event.target_id:
            wanted.setdefault(event.target_type, set()).add(event.target_id)
    labels: dict[tuple[str, str], str] = {}
    ids = {kind: {int(v) for v in values if is_digits(v) and int(v) <= 2**31 - 1} for kind, values in wanted.items()}
    if ids.get("user"):
        for row in db.session.execute(select(User.id, User.display_name, User.email).where(User.id.in_(ids["user"]))):
            labels["user", str(row.id)] = f"{row.display_name} <{row.email}>"
    if ids.get("team"):
        for row in db.session.execute(select(Team.id, Team.name).where(Team.id.in_(ids["team"]))):
            labels["team", str(row.id)] = row.name
    if wanted.get("course"):
        slugs = {v for v in wanted["course"] if not is_digits(v)}
        query = select(Course.id, Course.slug, Course.title).where(
            or_(Course.id.in_(ids.get("course") or {0}), Course.slug.in_(slugs or {""}))
        )
        for row in db.session.execute(query):
            labels["course", str(row.id)] = labels["course", row.slug] = row.title
    if wanted.get("certificate"):
        query = select(Certificate.code, Certificate.learner_name, Certificate.course_title).where(
            Certificate.code.in_(wanted["certificate"])
        )
        for row in db.session.execute(query):
            labels["certificate", row.code] = f"{row.learner_name}, {row.course_title}"
    return labels


def as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_email": event.actor_email,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details or {},
        "ip_address": event.ip_address,
    }


def export_rows(filters: AuditFilter) -> Iterator[tuple]:
    """Rows of the CSV export, read from the database in batches (the log can be long)."""
    result = db.session.execute(filtered(filters).execution_options(yield_per=1000))
    for event in result.scalars():
        yield (
            event.id,
            event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            event.actor_email,
            event.actor_id,
            event.action,
            event.target_type,
            event.target_id,
            json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True),
            event.ip_address,
        )
