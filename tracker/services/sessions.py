"""Sign-in sessions: started at sign-in, found from the login cookie, touched as they are used, listed on the
account page and ended one by one, all but one, or all at once (each end recorded in the audit log).

A session ends after `idle` without a request and in any case `lifetime` after it began.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, delete, or_, select, update

from ..extensions import db
from ..models import User, UserSession, utcnow
from . import audit

USER_AGENT_MAX = 255


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def from_config(cls, config) -> Timeouts:
        return cls(
            idle=timedelta(minutes=float(config["SESSION_IDLE_TIMEOUT_MINUTES"])),
            lifetime=timedelta(hours=float(config["SESSION_LIFETIME_HOURS"])),
        )

    def ended_by(self, session: UserSession | Found, now: datetime) -> str | None:
        """ "lifetime" or "idle" when the session is over, else None."""
        if now - session.created_at >= self.lifetime:
            return "lifetime"
        if now - session.last_seen_at >= self.idle:
            return "idle"
        return None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(
    user: User, ip_address: str | None, user_agent: str | None, timeouts: Timeouts, now: datetime | None = None
) -> tuple[UserSession, str]:
    """A new session for a sign-in; returns it with the secret for the cookie (stored only as a hash). The
    person's sessions that timed out unnoticed (their browser never came back) are ended on the way."""
    now = now or utcnow()
    for over in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id, _over(timeouts, now))):
        end(over, actor=None, reason=timeouts.ended_by(over, now) or "idle")
    secret = secrets.token_urlsafe(32)
    session = UserSession(
        user_id=user.id,
        token_hash=_hash(secret),
        created_at=now,
        last_seen_at=now,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
    )
    db.session.add(session)
    db.session.flush()
    return session, secret


def _over(timeouts: Timeouts, now: datetime):
    return or_(UserSession.created_at <= now - timeouts.lifetime, UserSession.last_seen_at <= now - timeouts.idle)


class Found(NamedTuple):
    """What a request needs of its session: the person, and when the session began and was last used."""

    id: int
    token_hash: str
    created_at: datetime
    last_seen_at: datetime
    user: User


# Every signed-in request runs this: built once, not per request (building a statement costs more than running it).
# The person is the one ORM object; the session's own fields come as plain columns (a third cheaper than loading
# both objects). `current_session()` loads the session's row on the few pages that change it.
_sessions = UserSession.__table__.c
_FIND = (
    select(User, _sessions.id, _sessions.token_hash, _sessions.created_at, _sessions.last_seen_at)
    .join_from(User, UserSession.__table__, _sessions.user_id == User.id)
    .where(_sessions.token_hash == bindparam("hash"))
)


def find(secret: str) -> Found | None:
    """The session named by a cookie, with its person; reads only (an expired one is returned too)."""
    if not secret:
        return None
    row = db.session.execute(_FIND, {"hash": _hash(secret)}).first()
    return None if row is None else Found(row.id, row.token_hash, row.created_at, row.last_seen_at, row.User)


def touch(session_id: int, resolution: timedelta, now: datetime | None = None) -> bool:
    """Record that the session was used, unless that was recorded less than `resolution` ago (a conditional
    UPDATE: a busy page does not write on every request). Returns whether a row was updated."""
    now = now or utcnow()
    updated = db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_seen_at < now - resolution)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(updated.rowcount)


def active_of(user: User, timeouts: Timeouts, now: datetime | None = None) -> list[UserSession]:
    """The person's sessions that are still running, most recently used first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.created_at > now - timeouts.lifetime,
                UserSession.last_seen_at > now - timeouts.idle,
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def _details(session: UserSession, reason: str) -> dict:
    return {"session_id": session.id, "reason": reason, "ip_address": session.ip_address}


def end(session: UserSession, actor: User | None, reason: str) -> None:
    """End one session: "signed_out" (by its own browser: recorded as a sign-out), "ended_elsewhere" (from
    another of the person's sessions), "idle" or "lifetime" (timed out)."""
    audit.record(
        "auth.signed_out" if reason == "signed_out" else "auth.session_ended",
        actor=actor,
        target_type="user",
        target_id=session.user_id,
        details=_details(session, reason),
    )
    db.session.delete(session)
    db.session.flush()


def end_others(user: User, keep_id: int) -> int:
    """Sign the person out everywhere except the session `keep_id`. Returns how many sessions ended."""
    ended = _delete_where(UserSession.user_id == user.id, UserSession.id != keep_id)
    audit.record(
        "auth.signed_out_elsewhere",
        actor=user,
        target_type="user",
        target_id=user.id,
        details={"sessions_ended": ended, "kept_session_id": keep_id},
    )
    return ended


def end_all(user: User, except_id: int | None = None) -> int:
    """End the person's sessions (all but `except_id` when given), as a password change, a reset or a
    deactivation does; the caller records why. Returns how many ended."""
    conditions = [UserSession.user_id == user.id]
    if except_id is not None:
        conditions.append(UserSession.id != except_id)
    return _delete_where(*conditions)


def _delete_where(*conditions) -> int:
    result = db.session.execute(delete(UserSession).where(*conditions).execution_options(synchronize_session=False))
    return result.rowcount or 0
