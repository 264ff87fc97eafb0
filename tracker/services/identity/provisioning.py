"""Changes to people and teams that the organisation's identity provider makes, by single sign-on (at each
sign-in) or by SCIM provisioning: creating accounts, keeping their name, email, job role, team and role in step,
deactivating them. Every change is audited with its source; training records are never removed.

The actor is the person signing in (single sign-on) or None with `actor_email` naming the provisioning client.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ...enums import Role
from ...extensions import db
from ...models import Team, User
from .. import DomainError, accounts, audit

NAME_MAX = 120
EMAIL_MAX = 254


@dataclass(frozen=True)
class Source:
    """Who makes the change, for the audit log: "sso" with the person, or "scim" with the client's name."""

    kind: str
    actor: User | None = None
    actor_email: str | None = None

    def record(self, action: str, target_type: str, target_id: int, details: dict | None = None) -> None:
        audit.record(
            action,
            actor=self.actor,
            actor_email=None if self.actor is not None else self.actor_email,
            target_type=target_type,
            target_id=target_id,
            details={**(details or {}), "source": self.kind},
        )


def unusable_password_hash() -> str:
    """Accounts of the identity provider sign in there: their password here is random and told to nobody."""
    return accounts.hash_password(secrets.token_urlsafe(32))


def clean_text(value: object, limit: int = NAME_MAX) -> str | None:
    """A single line of at most `limit` characters from whatever the provider sent (None when empty)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:limit] or None


def same_name(name: str):
    """Team names compare without case; SQLite's lower() folds ASCII only, so the exact name is tried too."""
    return or_(Team.name == name, func.lower(Team.name) == name.lower())


def team_named(name: str, source: Source) -> Team:
    """The team with this name (any case), created when there is none."""
    name = clean_text(name) or ""
    if not name:
        raise DomainError(_("Give the team a name."))
    team = db.session.scalar(select(Team).where(same_name(name)).limit(1))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
        source.record("team.created", "team", team.id, {"name": name})
    return team


def email_taken(email: str, except_user_id: int | None = None) -> bool:
    query = select(func.count()).select_from(User).where(User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return bool(db.session.scalar(query))


def create_person(
    email: str,
    display_name: str,
    source: Source,
    *,
    job_role: str | None = None,
    team: Team | None = None,
    role: str = Role.LEARNER.value,
    locale: str | None = None,
    active: bool = True,
) -> User:
    person = User(
        email=email,
        display_name=clean_text(display_name) or email.split("@", 1)[0],
        password_hash=unusable_password_hash(),
        role=role,
        team_id=team.id if team else None,
        job_role=clean_text(job_role),
        locale=locale,
        active=active,
        session_token=accounts.new_session_token(),
    )
    db.session.add(person)
    db.session.flush()
    if source.actor is None and source.kind == "sso":
        source = Source(source.kind, actor=person)
    source.record(
        "user.created",
        "user",
        person.id,
        {"email": email, "role": role, "team": team.name if team else None, "active": active},
    )
    return person


_UNSET = object()


def update_person(
    person: User,
    source: Source,
    *,
    email: str | object = _UNSET,
    display_name: str | object = _UNSET,
    job_role: str | None | object = _UNSET,
    team: Team | None | object = _UNSET,
    role: str | object = _UNSET,
    locale: str | None | object = _UNSET,
) -> dict[str, dict]:
    """Apply what the provider sent (left out: unchanged); audit it as the admin pages do. Returns the changes."""
    changes: dict[str, dict] = {}
    if email is not _UNSET and email != person.email:
        if email_taken(email, except_user_id=person.id):
            raise DomainError(_("An account with the email %(email)s already exists.", email=email))
        changes["email"] = {"old": person.email, "new": email}
        person.email = email
    if display_name is not _UNSET:
        name = clean_text(display_name)
        if name and name != person.display_name:
            if person.certificate_name is None:
                # As on the account page: a new display name does not reach the certificates already issued.
                person.certificate_name = person.display_name
            changes["display_name"] = {"old": person.display_name, "new": name}
            person.display_name = name
    if job_role is not _UNSET:
        cleaned = clean_text(job_role)
        if cleaned != person.job_role:
            changes["job_role"] = {"old": person.job_role, "new": cleaned}
            person.job_role = cleaned
    if team is not _UNSET and (team.id if team else None) != person.team_id:
        changes["team"] = {"old": person.team.name if person.team else None, "new": team.name if team else None}
        person.team = team
    if locale is not _UNSET and locale != person.locale:
        changes["language"] = {"old": person.locale, "new": locale}
        person.locale = locale
    if role is not _UNSET and role != person.role:
        source.record("user.role_changed", "user", person.id, {"old": person.role, "new": role})
        person.role = role
    if changes:
        source.record("user.updated", "user", person.id, changes)
    db.session.flush()
    return changes


def deactivate(person: User, source: Source, reason: str) -> None:
    """Block sign-in, end every session and revoke every API token; the training records stay."""
    if not person.active:
        return
    person.active = False
    ended = accounts.end_all_sessions(person)
    revoked = accounts.revoke_all_api_tokens(person)
    source.record(
        "user.deactivated",
        "user",
        person.id,
        {"reason": reason, "sessions_ended": ended, "tokens_revoked": revoked},
    )
    db.session.flush()


def reactivate(person: User, source: Source) -> None:
    if person.active:
        return
    person.active = True
    source.record("user.reactivated", "user", person.id)
    db.session.flush()
