"""Versioned AI-use policies and their acknowledgements.

A version is never edited; publishing a new one asks everyone again. An acknowledgement records who, which
version (and the fingerprint of its text), when, from where and whether the check question was answered; the
database refuses to change it and its unique key makes a double submit one record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Policy, PolicyAcknowledgement, PolicyVersion, Team, User, utcnow
from .. import DomainError, FieldError, audit
from ..content.markdown import render_markdown

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BODY_MAX = 100_000
MAX_CHOICES = 6


@dataclass(frozen=True)
class VersionInput:
    body: str
    change_note: str = ""
    check_question: str | None = None
    check_choices: tuple[str, ...] = ()
    check_answer: int | None = None  # index into check_choices


def _checked_version(data: VersionInput) -> dict:
    body = (data.body or "").replace("\r\n", "\n").strip()
    if not body:
        raise FieldError("body", _("Write the text of the policy."))
    if len(body) > BODY_MAX:
        raise FieldError("body", _("At most %(max)s characters.", max=BODY_MAX))
    question = (data.check_question or "").strip() or None
    choices = [c.strip() for c in data.check_choices if c and c.strip()]
    if question is None:
        choices, answer = [], None
    else:
        if len(question) > 500:
            raise FieldError("check_question", _("At most %(max)s characters.", max=500))
        if not 2 <= len(choices) <= MAX_CHOICES or len(set(choices)) != len(choices):
            raise FieldError("check_choices", _("Give two to six different answers, one per line."))
        answer = data.check_answer
        if answer is None or not 0 <= answer < len(choices):
            raise FieldError("check_answer", _("Say which answer is right (its number in the list)."))
    return {
        "body_markdown": body,
        "body_html": render_markdown(body),
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "change_note": (data.change_note or "").strip()[:2000],
        "check_question": question,
        "check_choices": choices,
        "check_answer": answer,
    }


def create_policy(
    actor: User | None, slug: str, title: str, first: VersionInput, now: datetime | None = None
) -> Policy:
    slug, title = (slug or "").strip().lower(), (title or "").strip()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise FieldError("slug", _("Use lowercase letters, digits and hyphens, e.g. acceptable-use."))
    if not title or len(title) > 200:
        raise FieldError("title", _("Give the policy a title of at most 200 characters."))
    if db.session.scalar(select(Policy.id).where(Policy.slug == slug)) is not None:
        raise FieldError("slug", _("A policy with this short name exists already."))
    policy = Policy(slug=slug, title=title, created_by_id=actor.id if actor else None, created_at=now or utcnow())
    db.session.add(policy)
    db.session.flush()
    publish_version(actor, policy, first, now)
    return policy


def publish_version(
    actor: User | None, policy: Policy, data: VersionInput, now: datetime | None = None
) -> PolicyVersion:
    """A new current version: everyone it concerns is asked to acknowledge it."""
    values = _checked_version(data)
    current = current_version(policy)
    if (
        current is not None
        and current.body_sha256 == values["body_sha256"]
        and (current.check_question == values["check_question"])
    ):
        raise FieldError("body", _("The text is the same as the current version; nothing to publish."))
    number = (current.number if current else 0) + 1
    version = PolicyVersion(
        policy_id=policy.id,
        number=number,
        published_at=now or utcnow(),
        published_by_id=actor.id if actor else None,
        **values,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "policy.version_published",
        actor=actor,
        target_type="policy",
        target_id=policy.id,
        details={"slug": policy.slug, "version": number, "sha256": values["body_sha256"]},
    )
    return version


def current_version(policy: Policy) -> PolicyVersion | None:
    return db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.policy_id == policy.id).order_by(PolicyVersion.number.desc()).limit(1)
    )


def current_versions() -> dict[int, tuple[int, int]]:
    """policy id -> (current version id, its number), in one query."""
    latest = (
        select(PolicyVersion.policy_id, func.max(PolicyVersion.number).label("number"))
        .group_by(PolicyVersion.policy_id)
        .subquery()
    )
    rows = db.session.execute(
        select(PolicyVersion.policy_id, PolicyVersion.id, PolicyVersion.number).join(
            latest, (latest.c.policy_id == PolicyVersion.policy_id) & (latest.c.number == PolicyVersion.number)
        )
    )
    return {row.policy_id: (row.id, row.number) for row in rows}


class CheckFailed(DomainError):
    """The answer to the policy's check question was not the right one; nothing is recorded."""


def acknowledge(
    user: User,
    version: PolicyVersion,
    *,
    answer: int | None = None,
    ip_address: str | None = None,
    channel: str = "web",
    now: datetime | None = None,
) -> tuple[PolicyAcknowledgement, bool]:
    """Record that `user` read and accepts `version`. Returns the record and whether it is new: acknowledging the
    same version again returns the first record (the unique key holds under concurrent submits too)."""
    existing = _existing(user, version)
    if existing is not None:
        return existing, False
    latest = current_version(version.policy)
    if latest is None or latest.id != version.id:
        raise DomainError(_("A newer version of this policy has been published; read that one."))
    check_passed = None
    if version.check_question is not None:
        if answer is None or answer != version.check_answer:
            raise CheckFailed(_("That answer is not right. Read the policy again and choose another answer."))
        check_passed = True
    record = PolicyAcknowledgement(
        user_id=user.id,
        version_id=version.id,
        policy_id=version.policy_id,
        acknowledged_at=now or utcnow(),
        ip_address=ip_address,
        channel=channel,
        check_passed=check_passed,
        body_sha256=version.body_sha256,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:  # a concurrent submit won: return its record
        existing = _existing(user, version)
        if existing is None:
            raise
        return existing, False
    audit.record(
        "policy.acknowledged",
        actor=user,
        target_type="policy_version",
        target_id=version.id,
        details={"policy": version.policy.slug, "version": version.number, "channel": channel},
    )
    return record, True


def _existing(user: User, version: PolicyVersion) -> PolicyAcknowledgement | None:
    return db.session.scalar(
        select(PolicyAcknowledgement).where(
            PolicyAcknowledgement.user_id == user.id, PolicyAcknowledgement.version_id == version.id
        )
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class PolicyStatus:
    """A policy as one person sees it: its current version and whether they acknowledged that version."""

    policy: Policy
    current: PolicyVersion
    acknowledged_at: datetime | None
    earlier_acknowledged: int | None  # the number of the newest earlier version they acknowledged

    @property
    def needs_acknowledgement(self) -> bool:
        return self.acknowledged_at is None


def policies() -> list[Policy]:
    return list(db.session.scalars(select(Policy).options(selectinload(Policy.versions)).order_by(Policy.title)))


def statuses_for(user: User) -> list[PolicyStatus]:
    """Every policy with a published version, for one person (three queries)."""
    current = current_versions()
    if not current:
        return []
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(PolicyVersion)
            .options(selectinload(PolicyVersion.policy))
            .where(PolicyVersion.id.in_([vid for vid, _n in current.values()]))
        )
    }
    mine = db.session.execute(
        select(
            PolicyAcknowledgement.policy_id,
            PolicyAcknowledgement.version_id,
            PolicyAcknowledgement.acknowledged_at,
            PolicyVersion.number,
        )
        .join(PolicyVersion, PolicyVersion.id == PolicyAcknowledgement.version_id)
        .where(PolicyAcknowledgement.user_id == user.id)
    ).all()
    result = []
    for _policy_id, (version_id, _number) in current.items():
        version = versions[version_id]
        at = next((row.acknowledged_at for row in mine if row.version_id == version_id), None)
        earlier = [row.number for row in mine if row.policy_id == version.policy_id and row.version_id != version_id]
        result.append(PolicyStatus(version.policy, version, at, max(earlier) if earlier else None))
    result.sort(key=lambda s: (not s.needs_acknowledgement, s.policy.title.casefold()))
    return result


def acknowledgements_of(user: User) -> list[PolicyAcknowledgement]:
    """A person's acknowledgements, newest first (their own record)."""
    return list(
        db.session.scalars(
            select(PolicyAcknowledgement)
            .options(selectinload(PolicyAcknowledgement.version).selectinload(PolicyVersion.policy))
            .where(PolicyAcknowledgement.user_id == user.id)
            .order_by(PolicyAcknowledgement.acknowledged_at.desc())
        )
    )


def version_acknowledgements(version: PolicyVersion, scope: set[int] | None = None) -> list[tuple]:
    """(name, email, team, acknowledged_at, channel, ip) of who acknowledged a version, newest first."""
    query = (
        select(
            User.display_name,
            User.email,
            Team.name,
            PolicyAcknowledgement.acknowledged_at,
            PolicyAcknowledgement.channel,
            PolicyAcknowledgement.ip_address,
        )
        .join(User, User.id == PolicyAcknowledgement.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(PolicyAcknowledgement.version_id == version.id)
        .order_by(PolicyAcknowledgement.acknowledged_at.desc())
    )
    if scope is not None:
        query = query.where(User.team_id.in_(scope))
    return list(db.session.execute(query).all())


def policy_by_slug(slug: str) -> Policy | None:
    return db.session.scalar(select(Policy).where(Policy.slug == slug))


def version_by_number(policy: Policy, number: int) -> PolicyVersion | None:
    return db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.policy_id == policy.id, PolicyVersion.number == number)
    )


def acknowledgement_counts() -> dict[int, int]:
    """version id -> number of acknowledgements (one grouped query)."""
    return dict(
        db.session.execute(
            select(PolicyAcknowledgement.version_id, func.count()).group_by(PolicyAcknowledgement.version_id)
        ).all()
    )
