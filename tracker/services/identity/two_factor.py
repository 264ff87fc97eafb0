"""Two-factor sign-in: a TOTP authenticator app (RFC 6238, pyotp) enrolled with a QR code, one-time recovery
codes, remembered browsers, and admins' resets. Each code works once: the database keeps the last accepted time
step (a conditional UPDATE) and marks each recovery code used (another one).

Nothing here reads the request; the sign-in pages keep the half-signed-in state and the throttling.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update

from ...enums import Role
from ...extensions import db
from ...inputs import is_digits
from ...models import RecoveryCode, TwoFactorCredential, User, utcnow
from .. import DomainError, audit

RECOVERY_CODES = 10
RECOVERY_CODE_BYTES = 6  # 48 bits each, written as 10 base32 characters
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
# One step either side is accepted (RFC 6238 §5.2: clocks drift and people are slow to type).
TOTP_WINDOW = 1
REMEMBER_SALT = "two-factor-remembered-browser"


class WrongCode(DomainError):
    """A code that is not right now (or not one of the person's unused recovery codes)."""


class CodeAlreadyUsed(WrongCode):
    """The right code, already used to sign in: a code works once."""


# --- the secret at rest -------------------------------------------------------------------------------------


def _fernet() -> Fernet:
    """A key derived from SECRET_KEY (HKDF), so a copy of the database alone does not yield the secrets."""
    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tracker two-factor secrets").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed: the person enrols again after an admin's reset
        raise WrongCode(_("Your second factor cannot be checked. Ask an administrator to reset it.")) from None


# --- who needs what -----------------------------------------------------------------------------------------


def credential_of(user: User) -> TwoFactorCredential | None:
    return db.session.get(TwoFactorCredential, user.id)


def is_enrolled(user: User) -> bool:
    credential = credential_of(user)
    return credential is not None and credential.confirmed_at is not None


def required_for(user: User) -> bool:
    """The organisation requires a second factor of managers and admins who sign in with a password."""
    return bool(current_app.config["TWO_FACTOR_REQUIRED"]) and user.role in (Role.MANAGER, Role.ADMIN)


def asked_at_password_sign_in(user: User) -> bool:
    return is_enrolled(user) or required_for(user)


# --- enrolment ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app that cannot scan
    uri: str  # otpauth://
    qr_data_uri: str  # an SVG image of the URI


def _enrolment(user: User, secret: str) -> Enrolment:
    issuer = current_app.config["ORGANISATION_NAME"]
    uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=issuer
    )
    qr = segno.make(uri, error="m", micro=False).svg_data_uri(scale=4, border=2)
    return Enrolment(secret=secret, uri=uri, qr_data_uri=qr)


def begin_enrolment(user: User) -> Enrolment:
    """A new secret waiting for its first code (any earlier unfinished one is replaced); shown until confirmed."""
    credential = credential_of(user)
    if credential is not None and credential.confirmed_at is not None:
        raise DomainError(_("Two-factor sign-in is already on for your account."))
    secret = pyotp.random_base32()
    if credential is None:
        credential = TwoFactorCredential(user_id=user.id, secret_encrypted=_encrypt(secret), last_step=-1)
        db.session.add(credential)
    else:
        credential.secret_encrypted = _encrypt(secret)
        credential.created_at = utcnow()
        credential.last_step = -1
    db.session.flush()
    return _enrolment(user, secret)


def pending_enrolment(user: User) -> Enrolment | None:
    """The secret being enrolled, to show its QR code again after a wrong code."""
    credential = credential_of(user)
    if credential is None or credential.confirmed_at is not None:
        return None
    return _enrolment(user, _decrypt(credential.secret_encrypted))


def confirm_enrolment(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-factor sign-in on with the first code from the app. Returns the recovery codes (shown once)."""
    credential = credential_of(user)
    if credential is None or credential.confirmed_at is not None:
        raise DomainError(_("Start setting up two-factor sign-in again."))
    _use_totp(credential, code, now or utcnow())
    credential.confirmed_at = now or utcnow()
    codes = _new_recovery_codes(user)
    audit.record("account.two_factor_enabled", actor=user, target_type="user", target_id=user.id)
    db.session.flush()
    return codes


# --- checking codes -----------------------------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_totp(credential: TwoFactorCredential, code: str, now: datetime) -> None:
    code = _digits(code)
    if not (len(code) == TOTP_DIGITS and is_digits(code)):
        raise WrongCode(_("Enter the %(num)d-digit code from your authenticator app.", num=TOTP_DIGITS))
    step = _matching_step(_decrypt(credential.secret_encrypted), code, now)
    if step is None:
        raise WrongCode(_("That code is not right. Check the time on your phone and try the current code."))
    # Once per step, whatever the number of requests or workers racing with the same code.
    used = db.session.execute(
        update(TwoFactorCredential)
        .where(TwoFactorCredential.user_id == credential.user_id, TwoFactorCredential.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not used.rowcount:
        raise CodeAlreadyUsed(_("That code was already used. Wait for the next one from your app."))
    db.session.refresh(credential)


def verify(user: User, code: str, now: datetime | None = None) -> str:
    """Check a sign-in code: a TOTP code, or one of the recovery codes. Returns "totp" or "recovery_code"."""
    credential = credential_of(user)
    if credential is None or credential.confirmed_at is None:
        raise WrongCode(_("Two-factor sign-in is not set up for this account."))
    cleaned = _digits(code)
    if is_digits(cleaned):
        _use_totp(credential, cleaned, now or utcnow())
        return "totp"
    _use_recovery_code(user, cleaned, now or utcnow())
    return "recovery_code"


# --- recovery codes -----------------------------------------------------------------------------------------


def _normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise_recovery_code(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().rstrip("=").lower()[:10]
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)) for code in codes)
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str, now: datetime) -> None:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code), RecoveryCode.used_at.is_(None)
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not used.rowcount:
        raise WrongCode(_("That code is not right, or that recovery code was already used."))
    audit.record(
        "auth.recovery_code_used",
        actor=user,
        target_type="user",
        target_id=user.id,
        details={"recovery_codes_left": recovery_codes_left(user)},
    )


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def regenerate_recovery_codes(user: User) -> list[str]:
    if not is_enrolled(user):
        raise DomainError(_("Two-factor sign-in is not set up for your account."))
    codes = _new_recovery_codes(user)
    audit.record("account.recovery_codes_regenerated", actor=user, target_type="user", target_id=user.id)
    return codes


# --- turning it off -----------------------------------------------------------------------------------------


def _remove(user: User) -> bool:
    removed = db.session.execute(delete(TwoFactorCredential).where(TwoFactorCredential.user_id == user.id)).rowcount
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.expire_all()
    return bool(removed)


def disable(user: User) -> None:
    """The person turns it off; not while the organisation requires it of their role."""
    if required_for(user):
        raise DomainError(_("Your organisation requires two-factor sign-in for your role; it cannot be turned off."))
    if not _remove(user):
        raise DomainError(_("Two-factor sign-in is not set up for your account."))
    audit.record("account.two_factor_disabled", actor=user, target_type="user", target_id=user.id)


def reset(person: User, actor: User) -> None:
    """An admin removes a person's second factor (a lost phone): they set it up again at their next sign-in if
    their role requires it. Remembered browsers stop counting; the person is signed out everywhere."""
    from ..accounts import end_all_sessions

    if person.id == actor.id:
        raise DomainError(_("Ask another admin to reset your own second factor."))
    if not _remove(person):
        raise DomainError(_("%(name)s has no second factor to reset.", name=person.display_name))
    ended = end_all_sessions(person)
    audit.record(
        "user.two_factor_reset", actor=actor, target_type="user", target_id=person.id, details={"sessions_ended": ended}
    )


# --- remembered browsers ------------------------------------------------------------------------------------


def _remember_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=REMEMBER_SALT)


def remember_days() -> float:
    return float(current_app.config["TWO_FACTOR_REMEMBER_DAYS"])


def remember_token(user: User) -> str | None:
    """A signed cookie value naming this person's current second factor (None: remembering is off)."""
    credential = credential_of(user)
    if remember_days() <= 0 or credential is None or credential.confirmed_at is None:
        return None
    return _remember_serializer().dumps({"u": user.id, "c": _stamp(credential.confirmed_at)})


def _stamp(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def is_remembered(user: User, token: str | None) -> bool:
    """Whether this browser passed this person's current second factor within the remembered time. A reset or a
    new enrolment changes `confirmed_at`, so older cookies stop counting."""
    if not token or remember_days() <= 0:
        return False
    try:
        data = _remember_serializer().loads(token, max_age=int(timedelta(days=remember_days()).total_seconds()))
    except BadSignature:
        return False
    credential = credential_of(user)
    if credential is None or credential.confirmed_at is None or not isinstance(data, dict):
        return False
    return data.get("u") == user.id and data.get("c") == _stamp(credential.confirmed_at)
