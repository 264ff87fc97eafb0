"""Single sign-on with the organisation's OpenID Connect provider: from the checked claims of a sign-in to the
person it signs in. Links by the provider's subject (`sub`); an existing account is linked by a verified email
only; new accounts are made just in time for the allowed email domains; name, email, job role, team and (when
configured) role follow the claims at every sign-in. Each nonce signs in once (a unique key in the database).

The protocol itself (discovery, PKCE, state, nonce, the ID token's signature, issuer, audience and expiry) is
Authlib's, in the sign-in view; nothing here reads the request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ...enums import Role
from ...extensions import db
from ...models import ExternalIdentity, SingleSignOnSession, Team, UsedSignInNonce, User, UserSession, utcnow
from .. import DomainError, accounts
from . import provisioning

NONCE_MEMORY = timedelta(days=2)  # far beyond any ID token's lifetime


class SsoRefused(DomainError):
    """The provider signed the person in, but this app does not; `reason` goes to the audit log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    provider_name: str
    allowed_domains: tuple[str, ...]
    claim_email: str
    claim_email_verified: str
    emails_verified: bool
    claim_name: str
    claim_job_role: str
    claim_team: str
    claim_groups: str
    admin_groups: frozenset[str]
    manager_groups: frozenset[str]
    break_glass: frozenset[str]

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(
            issuer=config["OIDC_ISSUER"],
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            scopes=config["OIDC_SCOPES"],
            provider_name=config["OIDC_PROVIDER_NAME"] or config["ORGANISATION_NAME"],
            allowed_domains=tuple(config["OIDC_ALLOWED_DOMAINS"]),
            claim_email=config["OIDC_CLAIM_EMAIL"],
            claim_email_verified=config["OIDC_CLAIM_EMAIL_VERIFIED"],
            emails_verified=bool(config["OIDC_EMAILS_VERIFIED"]),
            claim_name=config["OIDC_CLAIM_NAME"],
            claim_job_role=config["OIDC_CLAIM_JOB_ROLE"],
            claim_team=config["OIDC_CLAIM_TEAM"],
            claim_groups=config["OIDC_CLAIM_GROUPS"],
            admin_groups=frozenset(config["OIDC_ADMIN_GROUPS"]),
            manager_groups=frozenset(config["OIDC_MANAGER_GROUPS"]),
            break_glass=frozenset(config["BREAK_GLASS_EMAILS"]),
        )

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def maps_roles(self) -> bool:
        return bool(self.admin_groups or self.manager_groups)


def configured(config) -> bool:
    return bool(config["OIDC_ISSUER"] and config["OIDC_CLIENT_ID"])


def password_sign_in_allowed(email: str, config) -> bool:
    """Passwords work for everyone, or (switched off) for the break-glass accounts only."""
    return bool(config["PASSWORD_SIGN_IN"]) or accounts.normalise_email(email) in config["BREAK_GLASS_EMAILS"]


# --- nonces -------------------------------------------------------------------------------------------------


def use_nonce(nonce: str | None, now: datetime | None = None) -> None:
    """Record the nonce of an accepted ID token; a second use is a replay, refused."""
    if not nonce:
        raise SsoRefused(_("The sign-in could not be completed. Try again."), "nonce_missing")
    now = now or utcnow()
    db.session.execute(delete(UsedSignInNonce).where(UsedSignInNonce.used_at < now - NONCE_MEMORY))
    digest = hashlib.sha256(nonce.encode()).hexdigest()
    try:
        with db.session.begin_nested():
            db.session.add(UsedSignInNonce(nonce_hash=digest, used_at=now))
    except IntegrityError:
        raise SsoRefused(_("The sign-in could not be completed. Try again."), "nonce_replayed") from None


# --- claims -------------------------------------------------------------------------------------------------


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item is not None]
    return [str(value)]


def _verified(claims: dict, settings: Settings) -> bool:
    if settings.emails_verified:
        return True
    value = claims.get(settings.claim_email_verified)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _email(claims: dict, settings: Settings) -> str | None:
    raw = claims.get(settings.claim_email)
    if not isinstance(raw, str):
        return None
    email = accounts.normalise_email(raw)
    if "@" not in email or len(email) > provisioning.EMAIL_MAX:
        return None
    try:
        from ..organisation.people import checked_email

        return checked_email(email)
    except DomainError:
        return None


def _name(claims: dict, settings: Settings) -> str | None:
    name = provisioning.clean_text(claims.get(settings.claim_name))
    if name:
        return name
    parts = [provisioning.clean_text(claims.get(key)) for key in ("given_name", "family_name")]
    return " ".join(part for part in parts if part) or None


def _team(claims: dict, settings: Settings, source: provisioning.Source) -> Team | None | object:
    """A single value names the team (made if new); a list (groups) picks the first that is a team."""
    if not settings.claim_team or settings.claim_team not in claims:
        return provisioning._UNSET
    value = claims[settings.claim_team]
    if isinstance(value, (list, tuple)):
        names = [name.lower() for name in _as_list(value)]
        if not names:
            return provisioning._UNSET
        teams = {t.name.lower(): t for t in db.session.scalars(select(Team).where(func.lower(Team.name).in_(names)))}
        return next((teams[name] for name in names if name in teams), provisioning._UNSET)
    name = provisioning.clean_text(value)
    return provisioning.team_named(name, source) if name else provisioning._UNSET


def _role(claims: dict, settings: Settings, email: str) -> str | object:
    if not settings.maps_roles or email in settings.break_glass:
        return provisioning._UNSET
    groups = set(_as_list(claims.get(settings.claim_groups)))
    if groups & settings.admin_groups:
        return Role.ADMIN.value
    if groups & settings.manager_groups:
        return Role.MANAGER.value
    return Role.LEARNER.value


# --- the person ---------------------------------------------------------------------------------------------


def _link(user: User, settings: Settings, subject: str, now: datetime) -> ExternalIdentity:
    identity = ExternalIdentity(user_id=user.id, issuer=settings.issuer, subject=subject, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(identity)
    except IntegrityError:  # the same first sign-in in two tabs: the other one linked it
        raise SsoRefused(_("The sign-in could not be completed. Try again."), "linked_concurrently") from None
    provisioning.Source("sso", actor=user).record(
        "user.sso_linked", "user", user.id, {"issuer": settings.issuer, "subject": subject}
    )
    return identity


def account_for(claims: dict, settings: Settings, now: datetime | None = None) -> User:
    """The person these checked claims sign in: linked, linked now by verified email, or created just in time.
    Their details follow the claims. Raises SsoRefused."""
    now = now or utcnow()
    subject = provisioning.clean_text(claims.get("sub"), 255)
    if not subject:
        raise SsoRefused(_("The sign-in could not be completed. Try again."), "subject_missing")
    email = _email(claims, settings)
    verified = _verified(claims, settings)
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.issuer == settings.issuer, ExternalIdentity.subject == subject)
    )
    if identity is not None:
        person = identity.user
    else:
        if email is None:
            raise SsoRefused(
                _("Your organisation's sign-in did not tell us your email address. Ask your administrator."),
                "email_missing",
            )
        person = accounts.find_user_by_email(email)
        if not verified:
            raise SsoRefused(
                _("Your organisation's sign-in did not confirm your email address, so it cannot be used here."),
                "email_not_verified",
            )
        if person is None:
            domain = email.rsplit("@", 1)[1]
            if domain not in settings.allowed_domains:
                raise SsoRefused(
                    _("There is no account for %(email)s here. Ask your administrator for access.", email=email),
                    "domain_not_allowed",
                )
            source = provisioning.Source("sso")
            team = _team(claims, settings, source)
            role = _role(claims, settings, email)
            person = provisioning.create_person(
                email,
                _name(claims, settings) or email.split("@", 1)[0],
                source,
                job_role=provisioning.clean_text(claims.get(settings.claim_job_role)),
                team=None if team is provisioning._UNSET else team,
                role=Role.LEARNER.value if role is provisioning._UNSET else role,
            )
        identity = _link(person, settings, subject, now)
    if not person.active:
        raise SsoRefused(
            _("This account is deactivated. Ask your administrator if you need to use it again."),
            "account_deactivated",
        )
    _follow_claims(person, claims, settings, email if verified else None)
    identity.last_used_at = now
    person.last_login_at = now
    db.session.flush()
    return person


def _follow_claims(person: User, claims: dict, settings: Settings, verified_email: str | None) -> None:
    source = provisioning.Source("sso", actor=person)
    changes: dict = {}
    if verified_email and verified_email != person.email and not provisioning.email_taken(verified_email, person.id):
        changes["email"] = verified_email
    name = _name(claims, settings)
    if name:
        changes["display_name"] = name
    if settings.claim_job_role in claims:
        changes["job_role"] = claims.get(settings.claim_job_role)
    team = _team(claims, settings, source)
    if team is not provisioning._UNSET:
        changes["team"] = team
    role = _role(claims, settings, person.email)
    if role is not provisioning._UNSET:
        changes["role"] = role
    provisioning.update_person(person, source, **changes)


# --- the session's sign-out at the provider -----------------------------------------------------------------


def remember_id_token(session: UserSession, id_token: str) -> None:
    """Kept with the session for signing out at the provider too (RP-initiated logout's id_token_hint)."""
    db.session.add(SingleSignOnSession(session_id=session.id, id_token=id_token))
    db.session.flush()


def id_token_of(session: UserSession | None) -> str | None:
    if session is None:
        return None
    found = db.session.get(SingleSignOnSession, session.id)
    return found.id_token if found is not None else None
