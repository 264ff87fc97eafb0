"""Identities from outside: the organisation's single sign-on accounts linked to people, what its provisioning
(SCIM) manages, and people's second factor (TOTP and recovery codes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import Team, User


class ExternalIdentity(db.Model):
    """A person's account at the organisation's OpenID Connect provider: the provider's `sub` is stable where
    an email address is not."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SingleSignOnSession(db.Model):
    """The ID token of a session started by single sign-on, sent back to the provider at sign-out
    (RP-initiated logout). Goes with the session."""

    __tablename__ = "single_sign_on_sessions"

    session_id: Mapped[int] = mapped_column(ForeignKey("user_sessions.id", ondelete="CASCADE"), primary_key=True)
    id_token: Mapped[str] = mapped_column(Text)


class UsedSignInNonce(db.Model):
    """The nonce of every single sign-on that went through: a second ID token carrying one is a replay."""

    __tablename__ = "used_sign_in_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ProvisionedUser(db.Model):
    """A person the identity provider provisions through SCIM (its externalId), or deleted through it: a deleted
    account is deactivated and kept with its training records, and SCIM no longer finds it."""

    __tablename__ = "provisioned_users"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The provider's userName when it is not the email address (Entra ID may send an object id or a UPN).
    user_name: Mapped[str | None] = mapped_column(String(255), unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ProvisionedTeam(db.Model):
    """A team that is a group of the identity provider (SCIM). A deleted group leaves the team and its members
    to the admins."""

    __tablename__ = "provisioned_teams"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship()


class TwoFactorCredential(db.Model):
    """A person's TOTP secret (encrypted with a key derived from SECRET_KEY). `confirmed_at` is None while the
    person is enrolling; `last_step` is the last time step accepted, so a code works once."""

    __tablename__ = "two_factor_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int] = mapped_column(BigInteger, default=-1)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A one-time recovery code (only its SHA-256 is kept); `used_at` is set once, by a conditional UPDATE."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
