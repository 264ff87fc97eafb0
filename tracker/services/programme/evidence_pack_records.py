"""The per-person records of the evidence pack: completions and the refresher schedule, quiz attempts, policy
acknowledgements and the audit excerpt. People are named by name and email, or by pseudonym."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from ...extensions import db
from ...models import (
    Attempt,
    AuditEvent,
    Certificate,
    Completion,
    Course,
    Module,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    Quiz,
    Team,
    User,
)
from ..certification import EXPIRING_WINDOW, expiry_status
from ..queries import is_current_revision
from ..reporting.evidence import Scope
from . import privacy
from .evidence_pack_files import csv_bytes, iso

AUDIT_PREFIXES = ("ai_system.", "requirement.", "policy.", "privacy.", "content.", "assignment.", "certificate.")
ORGANISATION_AUDIT_PREFIXES = ("ai_system.", "requirement.", "policy.version_published", "privacy.", "content.")
AUDIT_MONTHS = 12
AUDIT_LIMIT = 20_000


class People:
    """The people of the scope, named by name and email or by pseudonym."""

    def __init__(self, scope: Scope, pseudonymise: bool) -> None:
        query = select(User.id, User.display_name, User.email, User.job_role, User.active, Team.name).outerjoin(
            Team, Team.id == User.team_id
        )
        if scope.team_ids is not None:
            query = query.where(User.team_id.in_(sorted(scope.team_ids)))
        self.rows = {row.id: row for row in db.session.execute(query)}
        self.pseudonymise = pseudonymise
        self.ids = (
            select(User.id).where(User.team_id.in_(sorted(scope.team_ids)))
            if scope.team_ids is not None
            else (select(User.id))
        )

    def columns(self, user_id: int) -> list[str]:
        row = self.rows.get(user_id)
        if row is None:
            return ["", "", "", ""]
        if self.pseudonymise:
            return [privacy.pseudonym(user_id), "", row.name or "", row.job_role or ""]
        return [row.display_name, row.email, row.name or "", row.job_role or ""]


PERSON = ("person", "email", "team", "job_role")


# --------------------------------------------------------------------------- the files


def completion_files(people: People, now: datetime) -> tuple[bytes, bytes, dict]:
    """The completion log and the refresher schedule (what expires when)."""
    rows = db.session.execute(
        select(
            Completion.user_id,
            Course.slug,
            Course.title,
            Completion.cycle,
            Completion.course_version,
            Completion.completed_at,
            Completion.score,
            Completion.attempts,
            Completion.language,
            Certificate.code,
            Certificate.issued_at,
            Certificate.expires_at,
            Certificate.revoked_at,
            Certificate.pending_reason,
        )
        .join(Course, Course.id == Completion.course_id)
        .outerjoin(Certificate, and_(Certificate.completion_id == Completion.id, is_current_revision()))
        .where(Completion.user_id.in_(people.ids))
        .order_by(Completion.completed_at, Completion.id)
    ).all()
    completions = csv_bytes(
        (
            *PERSON,
            "course_slug",
            "course_title",
            "cycle",
            "course_version",
            "completed_at_utc",
            "score_percent",
            "quiz_attempts",
            "language",
            "certificate_code",
            "certificate_status",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.title,
                r.cycle,
                r.course_version,
                iso(r.completed_at),
                "" if r.score is None else r.score,
                r.attempts,
                r.language,
                r.code or "",
                _certificate_status(r, now),
            ]
            for r in rows
        ),
    )
    latest: dict[tuple[int, str], Any] = {}
    for r in rows:
        if r.code is not None and r.revoked_at is None:
            latest[(r.user_id, r.slug)] = r  # ordered by completion: the latest cycle wins
    schedule = sorted(
        (r for r in latest.values() if r.expires_at is not None), key=lambda r: (r.expires_at, r.user_id, r.slug)
    )
    months: dict[str, int] = {}
    for r in schedule:
        months[r.expires_at.strftime("%Y-%m")] = months.get(r.expires_at.strftime("%Y-%m"), 0) + 1
    refresher = csv_bytes(
        (
            *PERSON,
            "course_slug",
            "course_title",
            "certificate_code",
            "issued_at_utc",
            "expires_at_utc",
            "renewal_opens_utc",
            "status",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.title,
                r.code,
                iso(r.issued_at),
                iso(r.expires_at),
                iso(r.expires_at - EXPIRING_WINDOW),
                _certificate_status(r, now),
            ]
            for r in schedule
        ),
    )
    return (
        completions,
        refresher,
        {
            "completions": len(rows),
            "expiring_by_month": months,
            "expired": sum(1 for r in schedule if r.expires_at <= now),
        },
    )


def _certificate_status(row, now: datetime) -> str:
    if row.code is None:
        return "no_certificate"
    if row.revoked_at is not None:
        return "revoked"
    if row.pending_reason is not None:  # the rule of `certification.status.pending`
        return "pending"
    state = expiry_status(row.expires_at, now)
    return state.value if state else "valid"


def attempt_log(people: People) -> tuple[bytes, int]:
    rows = db.session.execute(
        select(
            Attempt.user_id,
            Course.slug,
            Module.slug.label("module"),
            Attempt.number,
            Attempt.course_version,
            Attempt.language,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.passed,
            Attempt.pass_mark,
            Attempt.details_removed_at,
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(Attempt.user_id.in_(people.ids))
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    data = csv_bytes(
        (
            *PERSON,
            "course_slug",
            "module_slug",
            "attempt_number",
            "course_version",
            "language",
            "started_at_utc",
            "submitted_at_utc",
            "score_percent",
            "pass_mark",
            "passed",
            "details_removed_at_utc",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.module,
                r.number,
                r.course_version,
                r.language,
                iso(r.started_at),
                iso(r.submitted_at),
                "" if r.score is None else r.score,
                r.pass_mark,
                "" if r.passed is None else ("yes" if r.passed else "no"),
                iso(r.details_removed_at),
            ]
            for r in rows
        ),
    )
    return data, len(rows)


def acknowledgement_log(people: People) -> tuple[bytes, int]:
    rows = db.session.execute(
        select(
            PolicyAcknowledgement.user_id,
            Policy.slug,
            Policy.title,
            PolicyVersion.number,
            PolicyAcknowledgement.body_sha256,
            PolicyAcknowledgement.acknowledged_at,
            PolicyAcknowledgement.channel,
            PolicyAcknowledgement.ip_address,
            PolicyAcknowledgement.check_passed,
        )
        .join(PolicyVersion, PolicyVersion.id == PolicyAcknowledgement.version_id)
        .join(Policy, Policy.id == PolicyAcknowledgement.policy_id)
        .where(PolicyAcknowledgement.user_id.in_(people.ids))
        .order_by(PolicyAcknowledgement.acknowledged_at, PolicyAcknowledgement.id)
    ).all()
    data = csv_bytes(
        (
            *PERSON,
            "policy_slug",
            "policy_title",
            "version",
            "text_sha256",
            "acknowledged_at_utc",
            "channel",
            "ip_address",
            "check_question",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.title,
                r.number,
                r.body_sha256,
                iso(r.acknowledged_at),
                r.channel,
                "" if people.pseudonymise else (r.ip_address or ""),
                "none" if r.check_passed is None else ("answered correctly" if r.check_passed else "not answered"),
            ]
            for r in rows
        ),
    )
    return data, len(rows)


def audit_excerpt(scope: Scope, people: People, now: datetime) -> bytes:
    since = now - timedelta(days=AUDIT_MONTHS * 31)
    prefixes = AUDIT_PREFIXES if scope.team_ids is None else ORGANISATION_AUDIT_PREFIXES
    query = (
        select(
            AuditEvent.at,
            AuditEvent.actor_email,
            AuditEvent.action,
            AuditEvent.target_type,
            AuditEvent.target_id,
            AuditEvent.details,
        )
        .where(AuditEvent.at >= since, or_(*(AuditEvent.action.startswith(p) for p in prefixes)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_LIMIT)
    )
    return csv_bytes(
        ("at_utc", "actor", "action", "target_type", "target_id", "details_json"),
        (
            [
                iso(r.at),
                "" if people.pseudonymise else (r.actor_email or ""),
                r.action,
                r.target_type or "",
                r.target_id or "",
                json.dumps(r.details, ensure_ascii=False, sort_keys=True),
            ]
            for r in db.session.execute(query)
        ),
    )
