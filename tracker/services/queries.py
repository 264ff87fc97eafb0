"""Query builders for rules that many lists share. Each returns a `Select` the caller narrows, orders or pages.

Pass columns to read only those (lean list pages); without columns the ORM entity is selected.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Executable, Select, select

from ..extensions import db
from ..models import Certificate, Course, User


def run(statement: Executable, parameters: dict | None = None) -> CursorResult:
    """Run a Core statement (table columns, no ORM entities) on the session's connection, in its transaction.
    `Session.execute` would give the same rows through its ORM layer, which adds ~14 µs a statement: the learner
    pages run their few statements this way on every request."""
    return db.session.connection().execute(statement, parameters)


def is_published() -> ColumnElement[bool]:
    """Courses learners can see."""
    return Course.published.is_(True)


def is_current_revision() -> ColumnElement[bool]:
    """The newest revision of a certificate (an older one was superseded by a reissue), whatever its status."""
    return Certificate.superseded_at.is_(None)


def published_courses(*columns: Any) -> Select:
    return select(*(columns or (Course,))).where(is_published())


def current_certificates(*columns: Any) -> Select:
    return select(*(columns or (Certificate,))).where(is_current_revision())


def people_in_scope(team_ids: set[int] | None, *columns: Any, active_only: bool = True) -> Select:
    """People of the given teams (None: everyone, for admins); active accounts unless asked otherwise."""
    query = select(*(columns or (User,)))
    if active_only:
        query = query.where(User.active.is_(True))
    if team_ids is not None:
        query = query.where(User.team_id.in_(team_ids))
    return query
