"""The AI-literacy programme: the AI systems the organisation uses, the training they require, versioned policies
with their acknowledgements, and the works-council privacy settings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DDL, JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import ManagerVisibility, OrganisationRole, RiskClass, SystemStatus
from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .courses import Course, LearningPath
    from .users import Team, User


def _in(column: str, enum) -> str:
    return f"{column} IN (" + ", ".join(f"'{member.value}'" for member in enum) + ")"


class AISystem(db.Model):
    """One AI system in the inventory. Never deleted: a system that is no longer used is retired."""

    __tablename__ = "ai_systems"
    __table_args__ = (
        CheckConstraint(_in("organisation_role", OrganisationRole), name="organisation_role_valid"),
        CheckConstraint(_in("risk_class", RiskClass), name="risk_class_valid"),
        CheckConstraint(_in("status", SystemStatus), name="status_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    vendor: Mapped[str] = mapped_column(String(120), default="")
    organisation_role: Mapped[str] = mapped_column(String(16), default=OrganisationRole.DEPLOYER.value)
    purpose: Mapped[str] = mapped_column(Text, default="")
    risk_class: Mapped[str] = mapped_column(String(16), default=RiskClass.NOT_ASSESSED.value)
    risk_note: Mapped[str] = mapped_column(Text, default="")  # the reasoning behind the class, in the owner's words
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    data_classes: Mapped[list[str]] = mapped_column(JSON, default=list)  # the data that may go into the system
    status: Mapped[str] = mapped_column(String(16), default=SystemStatus.PILOT.value)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{"label", "url"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User | None] = relationship()
    teams: Mapped[list[AISystemTeam]] = relationship(back_populates="system", cascade="all, delete-orphan")
    job_roles: Mapped[list[AISystemJobRole]] = relationship(back_populates="system", cascade="all, delete-orphan")

    @property
    def in_use(self) -> bool:
        return SystemStatus(self.status).in_use


class AISystemTeam(db.Model):
    """A team that uses an AI system (with every team below it)."""

    __tablename__ = "ai_system_teams"
    __table_args__ = (UniqueConstraint("system_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)

    system: Mapped[AISystem] = relationship(back_populates="teams")
    team: Mapped[Team] = relationship()


class AISystemJobRole(db.Model):
    """A job role whose holders use an AI system, whatever their team."""

    __tablename__ = "ai_system_job_roles"
    __table_args__ = (UniqueConstraint("system_id", "job_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    job_role: Mapped[str] = mapped_column(String(120), index=True)

    system: Mapped[AISystem] = relationship(back_populates="job_roles")


class AISystemChange(db.Model):
    """One change to an AI system's record: what each field was and became. Written once, never changed."""

    __tablename__ = "ai_system_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str | None] = mapped_column(String(254))  # kept after the account is gone
    action: Mapped[str] = mapped_column(String(32))  # created | updated | retired
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> {"old", "new"}


class TrainingRequirement(db.Model):
    """What the users of an AI system, the holders of a job role, or the holders of a job role who use a system
    must hold: a course or learning path (current, not expired) or the acknowledgement of a policy."""

    __tablename__ = "training_requirements"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN course_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN path_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN policy_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_item",
        ),
        CheckConstraint("system_id IS NOT NULL OR job_role IS NOT NULL", name="has_scope"),
        CheckConstraint("due_days BETWEEN 0 AND 3650", name="due_days_range"),
        # "system:3|role:Analyst" and "course:5": the same requirement twice is a constraint violation.
        UniqueConstraint("scope_key", "item_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    job_role: Mapped[str | None] = mapped_column(String(120), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    path_id: Mapped[int | None] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    due_days: Mapped[int] = mapped_column(default=30)  # days from the start of use to complete the course
    scope_key: Mapped[str] = mapped_column(String(160))
    item_key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    system: Mapped[AISystem | None] = relationship()
    course: Mapped[Course | None] = relationship()
    path: Mapped[LearningPath | None] = relationship()
    policy: Mapped[Policy | None] = relationship()


class Policy(db.Model):
    """An AI-use rule book (e.g. the acceptable-use policy); its text lives in numbered versions."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", order_by="PolicyVersion.number", viewonly=True
    )


class PolicyVersion(db.Model):
    """One published text of a policy. Never edited: a change is a new version, which asks everyone again."""

    __tablename__ = "policy_versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("(check_question IS NULL) = (check_answer IS NULL)", name="check_question_has_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered and sanitised once, at publication
    body_sha256: Mapped[str] = mapped_column(String(64))
    change_note: Mapped[str] = mapped_column(Text, default="")
    # An optional short check: a question with choices; acknowledging needs the right one.
    check_question: Mapped[str | None] = mapped_column(Text)
    check_choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    check_answer: Mapped[int | None]  # index into check_choices
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    policy: Mapped[Policy] = relationship()


class PolicyAcknowledgement(db.Model):
    """Who acknowledged which version of a policy, when and from where. Immutable: the database refuses updates,
    and the unique key makes a double submit one record."""

    __tablename__ = "policy_acknowledgements"
    __table_args__ = (UniqueConstraint("user_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id", ondelete="RESTRICT"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="web")  # web | api
    check_passed: Mapped[bool | None]  # None: the version had no check question
    body_sha256: Mapped[str] = mapped_column(String(64))  # the text acknowledged, as a fingerprint

    version: Mapped[PolicyVersion] = relationship()
    user: Mapped[User] = relationship()


# The database refuses to change an acknowledgement (the same statements are in migration 0012).
ACKNOWLEDGEMENT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER policy_acknowledgements_no_update BEFORE UPDATE ON policy_acknowledgements "
        "BEGIN SELECT RAISE(ABORT, 'policy_acknowledgements are immutable'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION policy_acknowledgements_immutable() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'policy_acknowledgements are immutable'; END $$",
        "CREATE TRIGGER policy_acknowledgements_immutable BEFORE UPDATE ON policy_acknowledgements "
        "FOR EACH ROW EXECUTE FUNCTION policy_acknowledgements_immutable()",
    ],
}

for _dialect, _statements in ACKNOWLEDGEMENT_TRIGGERS.items():
    for _statement in _statements:
        event.listen(PolicyAcknowledgement.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class PrivacySettings(db.Model):
    """The organisation's privacy settings (one row), as agreed with the works council."""

    __tablename__ = "privacy_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(_in("manager_visibility", ManagerVisibility), name="manager_visibility_valid"),
        CheckConstraint("aggregate_min_people BETWEEN 0 AND 1000", name="aggregate_min_people_range"),
        CheckConstraint(
            "attempt_retention_months IS NULL OR attempt_retention_months BETWEEN 1 AND 240",
            name="retention_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    manager_visibility: Mapped[str] = mapped_column(String(24), default=ManagerVisibility.STATUS_AND_SCORE.value)
    aggregate_min_people: Mapped[int] = mapped_column(default=0)  # 0: off
    pseudonymise_exports: Mapped[bool] = mapped_column(default=False)
    attempt_retention_months: Mapped[int | None]  # None: attempt details are kept
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
