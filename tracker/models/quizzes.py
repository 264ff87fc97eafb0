"""Quizzes, their question pools and the attempts learners make."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import QuestionKind
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    pass_mark: Mapped[int]
    questions_per_attempt: Mapped[int]
    max_attempts: Mapped[int | None]
    cooldown_minutes: Mapped[int] = mapped_column(default=0)

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


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("quiz_id", "key"),
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind.value}'" for kind in QuestionKind) + ")", name="kind_valid"
        ),
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

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None
