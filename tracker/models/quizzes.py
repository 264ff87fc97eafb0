"""Quizzes, their question pools and the attempts learners make."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import QuestionKind, ReviewLevel
from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .courses import Module
    from .users import User


class Quiz(db.Model):
    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_range"),
        CheckConstraint("questions_per_attempt >= 1", name="questions_positive"),
        CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint("cooldown_minutes >= 0", name="cooldown_non_negative"),
        CheckConstraint("cooldown_after_failures >= 1", name="cooldown_after_failures_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    pass_mark: Mapped[int]
    questions_per_attempt: Mapped[int]
    max_attempts: Mapped[int | None]
    # After this many failed attempts in a row, each further attempt waits `cooldown_minutes` after the last one.
    cooldown_minutes: Mapped[int] = mapped_column(default=0)
    cooldown_after_failures: Mapped[int] = mapped_column(default=1)
    # What a learner sees of a submitted attempt (enums.ReviewLevel): after a fail, and after a pass or the last try.
    review_after_fail: Mapped[str] = mapped_column(String(20), default=ReviewLevel.WRONG_QUESTIONS.value)
    review_after_pass: Mapped[str] = mapped_column(String(20), default=ReviewLevel.FULL.value)

    module: Mapped[Module] = relationship(back_populates="quiz")
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz",
        order_by="Question.position",
        primaryjoin="and_(Quiz.id == Question.quiz_id, Question.retired.is_(False))",
        viewonly=True,
    )

    @property
    def pool_size(self) -> int:
        return len(self.questions)

    @property
    def course_id(self) -> int:
        return self.module.course_id


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("quiz_id", "key"),
        CheckConstraint("kind IN (" + ", ".join(f"'{kind.value}'" for kind in QuestionKind) + ")", name="kind_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))  # the stable id from the content file
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    # [{"id": "c1", "text": "...", "correct": true}, ...] in authoring order
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    position: Mapped[int]
    # A workplace situation that asks for a decision, rather than recall of a fact (content quality checks count it).
    scenario: Mapped[bool] = mapped_column(default=False)
    # {language: {"prompt", "explanation", "choices": [text, ...]}}: choices in the source's order
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retired: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class Attempt(db.Model):
    """One sitting of a quiz. `served` is a snapshot, so later content edits never change a finished attempt."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
        # At most one open attempt per learner and quiz: two clicks on "Start" can never open two.
        Index(
            "uq_attempts_one_open",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("submitted_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    course_version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8), default="en")  # the language the questions were served in
    pass_mark: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # [{"key", "kind", "prompt", "explanation", "choices": [{"id", "text", "correct"}]}] in served order
    served: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    answers: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    results: Mapped[dict[str, bool] | None] = mapped_column(JSON)
    correct_count: Mapped[int | None]
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    # Set when the retention schedule removed the questions and answers; number, dates, score and result stay.
    details_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class AttemptGrant(db.Model):
    """One more attempt an admin or manager allowed a learner, past the attempt limit and any waiting time."""

    __tablename__ = "attempt_grants"
    __table_args__ = (
        # At most one unused grant per learner and quiz: a double submit of "Allow another attempt" allows one.
        Index(
            "uq_attempt_grants_one_unused",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("used_by_attempt_id IS NULL"),
            postgresql_where=text("used_by_attempt_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    used_by_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
