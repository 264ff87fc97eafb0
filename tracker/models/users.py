"""People, teams and their credentials."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.base import NO_VALUE

from ..enums import Role
from ..extensions import db
from .types import UTCDateTime, utcnow

# The managers of each team (several per team). A manager sees the team and every team below it.
team_managers = db.Table(
    "team_managers",
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # A department is a team with child teams; managers see their teams and everything below.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optional Microsoft Teams or Slack incoming-webhook address for the managers' digest and escalations.
    webhook_url: Mapped[str | None] = mapped_column(String(500))

    parent: Mapped[Team | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Team]] = relationship(back_populates="parent")
    managers: Mapped[list[User]] = relationship(secondary=team_managers, order_by="User.email")
    members: Mapped[list[User]] = relationship(back_populates="team", foreign_keys="User.team_id")

    @property
    def manager(self) -> User | None:
        """The first of the team's managers (by email), or None."""
        return self.managers[0] if self.managers else None

    @manager.setter
    def manager(self, user: User | None) -> None:
        """Make `user` the team's only manager (None: no manager)."""
        self.managers = [user] if user is not None else []

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('learner', 'manager', 'admin')", name="role_valid"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # The name printed on certificates: changed only by an admin (or by the person, audited, if the organisation
    # allows it); None prints the display name.
    certificate_name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.LEARNER.value)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    job_role: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The interface language this person chose (en, de, fr); None follows the organisation's default.
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin resets the password: the next sign-in leads straight to choosing a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # When a one-time password set by an admin stops working (None: the password is the person's own).
    password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Renewed whenever all of the person's sessions end (sessions themselves are rows of user_sessions).
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the person joined their current team (relative due dates count from it); None: when the account was made.
    team_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the last invitation to choose a password was sent (None: never invited).
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])
    api_tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def name_on_certificates(self) -> str:
        return self.certificate_name or self.display_name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A personal bearer token for integrations; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="api_tokens")


class NameChangeRequest(db.Model):
    """A learner asks for the name printed on certificates to change; an admin decides."""

    __tablename__ = "name_change_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_valid"),
        # One open request per person: a second request replaces the wording of the first, never piles up.
        Index(
            "uq_name_change_one_pending",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_name: Mapped[str] = mapped_column(String(120))
    previous_name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])


@event.listens_for(User.team, "set")
@event.listens_for(User.team_id, "set")
def _joined_team(target: User, value, oldvalue, _initiator) -> None:
    # Relative due dates count from the day a person joined their team, whichever way the team was set.
    old = getattr(oldvalue, "id", oldvalue)
    new = getattr(value, "id", value)
    if new is not None and (old is None or old is NO_VALUE or old != new or isinstance(oldvalue, type(NO_VALUE))):
        target.team_joined_at = utcnow()
