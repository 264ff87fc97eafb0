"""Invitations and password resets: a signed, expiring link that sets a password once.

The link carries the person's id and a fingerprint of their current password hash, signed with the app's secret
(itsdangerous). Setting a password changes the hash, so the link dies on use, on any other password change and
on expiry; nothing about it is stored. Setting the password ends every session and revokes every API token, as a
password change does (`accounts.end_all_sessions`, `accounts.revoke_all_api_tokens`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..enums import NotificationKind
from ..extensions import db
from ..mail.content import Action, Content, absolute_url
from ..models import MailMessage, User, utcnow
from . import DomainError, accounts, audit, mail

SALT = "tracker.password-link"
INVITE, RESET = "invite", "reset"
RESET_BUCKET = timedelta(minutes=15)  # at most one reset message per account in this time, however often asked


class LinkInvalid(DomainError):
    """The link is unknown, used, expired or replaced by a newer password."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def _max_age(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == INVITE:
        return timedelta(hours=float(config["INVITATION_HOURS"]))
    return timedelta(minutes=float(config["PASSWORD_RESET_MINUTES"]))


def make_token(user: User, purpose: str, now: datetime | None = None) -> str:
    serializer = _serializer()
    if now is None:
        return serializer.dumps({"u": user.id, "p": purpose, "h": _fingerprint(user)})
    # Signed as of `now` (tests and schedules pass a frozen clock).
    signer = serializer.make_signer(SALT)
    original = signer.get_timestamp
    signer.get_timestamp = lambda: int(now.timestamp())
    try:
        payload = serializer.dump_payload({"u": user.id, "p": purpose, "h": _fingerprint(user)})
        return signer.sign(payload).decode()
    finally:
        signer.get_timestamp = original


def read_token(token: str, now: datetime | None = None) -> tuple[User, str]:
    """The person and the purpose of a valid link, or LinkInvalid."""
    serializer = _serializer()
    try:
        data, signed_at = serializer.loads(token, return_timestamp=True)
        purpose, user_id, fingerprint = data["p"], int(data["u"]), data["h"]
    except SignatureExpired:
        raise LinkInvalid(_("This link has expired. Ask for a new one.")) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid(_("This link is not valid. Ask for a new one.")) from None
    now = now or utcnow()
    if purpose not in (INVITE, RESET) or now - signed_at > _max_age(purpose):
        raise LinkInvalid(_("This link has expired. Ask for a new one."))
    user = db.session.get(User, user_id)
    if user is None or not user.active or _fingerprint(user) != fingerprint:
        raise LinkInvalid(_("This link was used already or replaced by a newer one. Ask for a new one."))
    return user, purpose


def _link_content(user: User, purpose: str, url: str) -> Content:
    organisation = current_app.config["ORGANISATION_NAME"]
    if purpose == INVITE:
        days = max(1, round(_max_age(INVITE).total_seconds() / 86400))
        return Content(
            subject=_("Your account for AI-literacy training at %(organisation)s", organisation=organisation),
            greeting=_("Hello %(name)s,", name=user.display_name),
            paragraphs=[
                _(
                    "%(organisation)s has created an account for you to take its AI-literacy training.",
                    organisation=organisation,
                ),
                _("Choose your password with the link below; you then sign in with %(email)s.", email=user.email),
            ],
            action=Action(_("Choose your password"), url),
            footer=_("The link works once, for %(days)s days.", days=days),
        )
    minutes = round(_max_age(RESET).total_seconds() / 60)
    return Content(
        subject=_("Reset your password"),
        greeting=_("Hello %(name)s,", name=user.display_name),
        paragraphs=[
            _(
                "Someone asked to reset the password of your training account. If it was you, choose a new "
                "password with the link below."
            )
        ],
        action=Action(_("Choose a new password"), url),
        footer=_(
            "The link works once, for %(minutes)s minutes. If you did not ask, ignore this message: your "
            "password stays as it is.",
            minutes=minutes,
        ),
    )


def invite(person: User, actor: User | None, now: datetime | None = None) -> MailMessage | None:
    """Send an invitation to choose a password. At most one a day for the same password state (a double click
    sends one). Returns the message, or None when one was sent today already."""
    now = now or utcnow()
    if not person.active:
        raise DomainError(_("%(display_name)s is deactivated.", display_name=person.display_name))
    token = make_token(person, INVITE, now)
    url = absolute_url("password_links.choose", token=token)
    key = f"invitation:{person.id}:{_fingerprint(person)}:{now.date().isoformat()}"
    message = mail.compose(NotificationKind.INVITATION, person, key, lambda: _link_content(person, INVITE, url))
    if message is not None:
        person.invited_at = now
        audit.record("user.invited", actor=actor, target_type="user", target_id=person.id)
    return message


def request_reset(email: str, now: datetime | None = None) -> None:
    """Send a reset link when an active account has this email; the caller answers the same either way. At most
    one message per account per RESET_BUCKET."""
    now = now or utcnow()
    user = accounts.find_user_by_email(email)
    if user is None or not user.active:
        return
    bucket = int(now.timestamp() // RESET_BUCKET.total_seconds())
    url = absolute_url("password_links.choose", token=make_token(user, RESET, now))
    message = mail.compose(
        NotificationKind.PASSWORD_RESET,
        user,
        f"password_reset:{user.id}:{bucket}",
        lambda: _link_content(user, RESET, url),
    )
    if message is not None:
        audit.record("account.password_reset_requested", actor=user, target_type="user", target_id=user.id)


def set_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set the password through a link: checks the link and the password's strength, ends every session and
    revokes every API token. The link dies with the old password hash."""
    user, purpose = read_token(token, now)
    accounts.check_password_strength(password, user.email, user.display_name)
    user.password_hash = accounts.hash_password(password)
    user.must_change_password = False
    user.password_expires_at = None
    sessions_ended = accounts.end_all_sessions(user)
    tokens_revoked = accounts.revoke_all_api_tokens(user)
    audit.record(
        "account.password_set_by_link",
        actor=user,
        target_type="user",
        target_id=user.id,
        details={"link": purpose, "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked},
    )
    db.session.flush()
    return user


def pending_query():
    """Active people who never signed in and were never invited (a CSV import, an account made without one)."""
    return select(User).where(User.active.is_(True), User.last_login_at.is_(None), User.invited_at.is_(None))


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(pending_query().subquery())) or 0


def pending_people() -> list[User]:
    return list(db.session.scalars(pending_query().order_by(User.id)))


def people_by_ids(user_ids) -> list[User]:
    ids = [int(i) for i in user_ids]
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)))
