"""Accounts: passwords, sign-in, profile changes and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..i18n import LANGUAGES
from ..models import ApiToken, Role, Team, User, utcnow
from . import DomainError, FieldError, audit

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # long passphrases are welcome; this only bounds hashing work
TOKEN_PREFIX = "trk_"  # noqa: S105  (a public prefix, not a secret)

DEFAULT_HASH_METHOD = "scrypt"


def _hash_method() -> str:
    if not has_app_context():
        return DEFAULT_HASH_METHOD
    return current_app.config.get("PASSWORD_HASH_METHOD") or DEFAULT_HASH_METHOD


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """Compared against when the email is unknown, so both failures take the same time."""
    return generate_password_hash("not-a-real-password", method=method)


class WeakPassword(DomainError):
    pass


class EmailTaken(DomainError):
    pass


class WrongPassword(DomainError):
    pass


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("tracker.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problems(password: str, email: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        problems.append(_("This password is too common or too easy to guess; choose another."))
    elif local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append(_("Do not build the password from your email address."))
    return problems


def check_password_strength(password: str, email: str = "") -> None:
    problems = password_problems(password, email)
    if problems:
        raise WeakPassword(" ".join(problems))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method())


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """Return the active user with these credentials, or None. Unknown email and wrong password look alike."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = now or utcnow()
    return user


def load_user_from_session(cookie_id: str) -> User | None:
    """Resolve Flask-Login's stored id `<user id>:<session token>`; a rotated token no longer matches."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def end_all_sessions(user: User) -> None:
    user.session_token = new_session_token()


@dataclass(frozen=True)
class NewUser:
    email: str
    display_name: str
    password: str
    role: str = Role.LEARNER.value
    team_name: str | None = None
    job_role: str | None = None


def create_user(data: NewUser) -> User:
    email = normalise_email(data.email)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise EmailTaken(_("An account with the email %(email)s already exists.", email=email))
    if data.role not in {r.value for r in Role}:
        raise DomainError(_("Unknown role %(role)s.", role=repr(data.role)))
    check_password_strength(data.password, email)
    team = None
    if data.team_name:
        team = db.session.scalar(select(Team).where(Team.name == data.team_name))
        if team is None:
            team = Team(name=data.team_name)
            db.session.add(team)
    user = User(
        email=email,
        display_name=data.display_name.strip(),
        password_hash=hash_password(data.password),
        role=data.role,
        team=team,
        job_role=data.job_role,
        session_token=new_session_token(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword(_("Your current password is not correct."))
    check_password_strength(new, user.email)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_all_sessions(user)


def update_profile(user: User, display_name: str, timezone: str, language: str | None = None) -> None:
    if timezone not in available_timezones():
        raise FieldError("timezone", _("Choose a time zone from the list."))
    if language and language not in LANGUAGES:
        raise FieldError("language", _("Choose a language from the list."))
    changes = {
        field: {"old": old, "new": new}
        for field, old, new in (
            ("display_name", user.display_name, display_name.strip()),
            ("timezone", user.timezone, timezone),
            ("language", user.locale, language or None),
        )
        if old != new
    }
    user.display_name = display_name.strip()
    user.timezone = timezone
    user.locale = language or None
    if changes:
        audit.record("user.profile_updated", actor=user, target_type="user", target_id=user.id, details=changes)


def set_language(user: User, language: str | None) -> None:
    if language and language not in LANGUAGES:
        raise FieldError("language", _("Choose a language from the list."))
    user.locale = language or None


@lru_cache(maxsize=1)
def available_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones() | {"UTC"}))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its plain text, which is shown once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=_hash_token(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    return token, plain


def find_api_token(plain: str) -> ApiToken | None:
    """The live token with this text whose owner may sign in; reads only."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(plain), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.active:
        return None
    return token


def touch_api_token(token_id: int, resolution: timedelta, now: datetime | None = None) -> bool:
    """Record a token's last use, unless it was recorded less than `resolution` ago (a conditional UPDATE, so a
    busy integration does not write on every request). Returns whether a row was updated."""
    now = now or utcnow()
    updated = db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - resolution),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(updated.rowcount)


def api_tokens_of(user: User) -> list[ApiToken]:
    """A person's tokens, newest first (revoked ones included, marked as such)."""
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    )


def revoke_api_token(token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
