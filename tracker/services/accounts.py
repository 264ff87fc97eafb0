"""Accounts: passwords, sign-in, profile changes and personal API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..extensions import db
from ..i18n import LANGUAGES
from ..models import ApiToken, Role, Team, User, utcnow
from . import DomainError, FieldError, audit, sessions

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # long passphrases are welcome; this only bounds hashing work
TOKEN_PREFIX = "trk_"  # noqa: S105  (a public prefix, not a secret)
PRODUCT_NAME = "tracker"
# zxcvbn's score 3: at least 10^8 guesses to find, "safely unguessable" for an online attacker.
MIN_STRENGTH_SCORE = 3
STRENGTH_CHECK_LENGTH = 72  # zxcvbn's own limit: its cost grows quickly with length, and the start decides

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


class SignInRefused(DomainError):
    """The sign-in does not go ahead; the message is safe to show on the sign-in page."""

    reason = "refused"  # for the audit log


class WrongCredentials(SignInRefused):
    """Unknown email or wrong password (told apart by nothing): the only outcome that counts against the limits."""

    reason = "wrong_credentials"


class AccountDeactivated(SignInRefused):
    """The password was right, but the account is deactivated."""

    reason = "account_deactivated"


class OneTimePasswordExpired(SignInRefused):
    """The password was a one-time password from an admin, right but too old."""

    reason = "one_time_password_expired"


# --- password rules -------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _published_passwords() -> tuple[str, ...]:
    text = resources.files("tracker.data").joinpath("published-passwords.txt").read_text(encoding="utf-8")
    return tuple(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords (from breach corpora, MIT licence) and the ones this product
    published. The strength estimate below finds variations of them too; this set answers the exact ones fast."""
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(_published_passwords())


def context_words(email: str = "", name: str = "") -> list[str]:
    """Words an attacker tries first for this person: the product, the organisation, their email and name."""
    words = [PRODUCT_NAME, *_published_passwords()]
    if has_app_context():
        organisation = current_app.config.get("ORGANISATION_NAME") or ""
        words += [organisation, re.sub(r"\W+", "", organisation), *re.split(r"\W+", organisation)]
    local, _at, domain = email.strip().lower().partition("@")
    words += [local, *re.split(r"[._+\-]+", local), *domain.split(".")[:-1]]
    words += [name, re.sub(r"\W+", "", name), *re.split(r"\W+", name)]
    seen: dict[str, None] = {}
    for word in words:
        word = word.strip().lower()
        if len(word) >= 3:
            seen.setdefault(word, None)
    return list(seen)


def password_problems(password: str, email: str = "", name: str = "", extra_words: Iterable[str] = ()) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH))
    if problems:
        return problems
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        return [_("This password is too common or too easy to guess; choose another.")]
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return [_("Do not build the password from your email address.")]
    checked = password[:STRENGTH_CHECK_LENGTH]
    estimate = zxcvbn(checked, user_inputs=[*context_words(email, name), *extra_words])
    from_context = sum(len(m["token"]) for m in estimate["sequence"] if m.get("dictionary_name") == "user_inputs")
    if estimate["score"] >= MIN_STRENGTH_SCORE and from_context * 2 < len(checked):
        return []
    return [_guessable_because(estimate["sequence"])]


def _guessable_because(matches: list[dict]) -> str:
    """One sentence naming what makes the password guessable (zxcvbn's own feedback is English only)."""
    if any(m.get("dictionary_name") == "user_inputs" for m in matches):
        return _(
            "This password is easy to guess: it is built from your name, your email address, the organisation's "
            "name, the name of this application or a password published with it. Choose another."
        )
    if any(m.get("dictionary_name") == "passwords" for m in matches):
        return _("This password is too common or too easy to guess; choose another.")
    if any(m.get("pattern") in ("date", "regex") for m in matches):
        return _(
            "This password is easy to guess: a common word with a year or a date is among the first things "
            "tried. A passphrase of several unrelated words is best."
        )
    if any(m.get("pattern") in ("sequence", "repeat", "spatial") for m in matches):
        return _(
            "This password is easy to guess: sequences, repeats and keyboard rows like abc, 1111 or qwerty are "
            "among the first things tried. A passphrase of several unrelated words is best."
        )
    return _("This password is too easy to guess. Make it longer: a passphrase of several unrelated words is best.")


def check_password_strength(password: str, email: str = "", name: str = "") -> None:
    problems = password_problems(password, email, name)
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


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """The user with these credentials, who may sign in now. Raises WrongCredentials (unknown email and wrong
    password look alike, and take the same time), or, only once the password was right, AccountDeactivated or
    OneTimePasswordExpired."""
    now = now or utcnow()
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        raise WrongCredentials(_("The email or password is not correct."))
    if not check_password_hash(user.password_hash, password):
        raise WrongCredentials(_("The email or password is not correct."))
    if not user.active:
        raise AccountDeactivated(_("This account is deactivated. Ask your administrator if you need to use it again."))
    if user.must_change_password and user.password_expires_at is not None and user.password_expires_at <= now:
        raise OneTimePasswordExpired(
            _("This one-time password has expired. Ask your administrator to reset your password again.")
        )
    user.last_login_at = now
    return user


def one_time_password_expiry(now: datetime | None = None) -> datetime:
    hours = current_app.config["ONE_TIME_PASSWORD_HOURS"] if has_app_context() else 72
    return (now or utcnow()) + timedelta(hours=float(hours))


def end_all_sessions(user: User, except_session_id: int | None = None) -> int:
    """Sign the person out of every session (all but one when given). Returns how many ended."""
    user.session_token = new_session_token()  # the login cookie of older releases named it
    return sessions.end_all(user, except_id=except_session_id)


def revoke_all_api_tokens(user: User, now: datetime | None = None) -> int:
    """Revoke every live token of the person. Returns how many were revoked."""
    revoked = 0
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now or utcnow()
        revoked += 1
    db.session.flush()
    return revoked


@dataclass(frozen=True)
class NewUser:
    email: str
    display_name: str
    password: str
    role: str = Role.LEARNER.value
    team_name: str | None = None
    job_role: str | None = None


def create_user(data: NewUser, *, check_strength: bool = True) -> User:
    """Create an account. `check_strength=False` only for the documented demo logins, whose password is public
    and therefore refused for everyone else."""
    email = normalise_email(data.email)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise EmailTaken(_("An account with the email %(email)s already exists.", email=email))
    if data.role not in {r.value for r in Role}:
        raise DomainError(_("Unknown role %(role)s.", role=repr(data.role)))
    if check_strength:
        check_password_strength(data.password, email, data.display_name)
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


@dataclass(frozen=True)
class PasswordChanged:
    sessions_ended: int
    tokens_revoked: int


def change_password(user: User, current: str, new: str, keep_session_id: int | None = None) -> PasswordChanged:
    """Set a new password. Every other session ends and every API token is revoked: whoever knew the old password
    may have signed in or made a token with it."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword(_("Your current password is not correct."))
    if new == current:
        raise WeakPassword(_("Choose a password different from the current one."))
    check_password_strength(new, user.email, user.display_name)
    was_one_time = user.must_change_password
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_expires_at = None
    outcome = PasswordChanged(
        sessions_ended=end_all_sessions(user, except_session_id=keep_session_id),
        tokens_revoked=revoke_all_api_tokens(user),
    )
    audit.record(
        "account.password_changed",
        actor=user,
        target_type="user",
        target_id=user.id,
        details={
            "replaced_one_time_password": was_one_time,
            "sessions_ended": outcome.sessions_ended,
            "tokens_revoked": outcome.tokens_revoked,
        },
    )
    return outcome


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
    if "display_name" in changes and user.certificate_name is None:
        # The name printed on certificates is governed (changed by request and approval): a new display name
        # must not reach certificates, so keep printing the name they were issued to.
        user.certificate_name = user.display_name
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
    audit.record(
        "account.token_created",
        actor=user,
        target_type="api_token",
        target_id=token.id,
        details={"name": token.name, "prefix": token.prefix},
    )
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


def revoke_api_token(token: ApiToken, actor: User | None = None, now: datetime | None = None) -> None:
    """Revoke one token; recorded when a person does it (`actor`), not when a larger change revokes them all."""
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        if actor is not None:
            audit.record(
                "account.token_revoked",
                actor=actor,
                target_type="api_token",
                target_id=token.id,
                details={"name": token.name, "prefix": token.prefix, "owner_id": token.user_id},
            )
