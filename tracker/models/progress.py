"""What each learner has done. CourseProgress is kept up to date so a whole team reads in one query."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .courses import Course, Lesson


class LessonRead(db.Model):
    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the page the learner marked it read from was served: the time spent on the lesson (None when unknown).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CourseProgress(db.Model):
    __tablename__ = "course_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    percent: Mapped[int] = mapped_column(default=0)
    lessons_read: Mapped[int] = mapped_column(default=0)
    quizzes_passed: Mapped[int] = mapped_column(default=0)
    modules_completed: Mapped[int] = mapped_column(default=0)
    best_score: Mapped[int | None]  # mean of the best passing scores per module, once the course is complete
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_version: Mapped[int | None]
    # Each recertification starts a new cycle: only quizzes passed since it began count towards it.
    cycle: Mapped[int] = mapped_column(default=1)
    cycle_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()
