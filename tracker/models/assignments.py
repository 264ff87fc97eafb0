"""Assignments: a course or a learning path given to a team, a person or a job role, with a due date."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .courses import Course, LearningPath
    from .users import Team, User


class Assignment(db.Model):
    """Resolved when read, so people who join a team (or take on a job role) later get it too."""

    __tablename__ = "assignments"
    __table_args__ = (
        # exactly one item and exactly one target
        CheckConstraint("(course_id IS NULL) <> (path_id IS NULL)", name="one_item"),
        CheckConstraint(
            "(CASE WHEN team_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN job_role IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        # item_key/target_key ("course:3", "team:5") make "the same assignment twice" a constraint violation,
        # which nullable columns alone cannot express on PostgreSQL.
        UniqueConstraint("item_key", "target_key"),
        CheckConstraint("due_rule IN ('fixed', 'after_assigned', 'after_joining')", name="due_rule_valid"),
        CheckConstraint("(due_rule = 'fixed') = (due_days IS NULL)", name="due_days_with_rule"),
        CheckConstraint("due_days IS NULL OR (due_days >= 1 AND due_days <= 3650)", name="due_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    path_id: Mapped[int | None] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_role: Mapped[str | None] = mapped_column(String(120), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    target_key: Mapped[str] = mapped_column(String(160))
    # The fixed due date; for a relative rule, the date of the people the assignment reached when it was made.
    due_on: Mapped[date] = mapped_column(Date)
    due_rule: Mapped[str] = mapped_column(String(16), default="fixed", server_default="fixed")
    due_days: Mapped[int | None]
    # Reminder days before the due date ("7,1"); None: the organisation's default.
    reminder_days: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set on the assignments that follow from a training requirement (one per person it reaches): they start and
    # end with the person's use of the AI system or job role. Manual assignments leave it empty.
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_requirements.id", ondelete="CASCADE"), index=True
    )

    course: Mapped[Course | None] = relationship()
    path: Mapped[LearningPath | None] = relationship()
    team: Mapped[Team | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
