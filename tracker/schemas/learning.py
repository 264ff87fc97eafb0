"""The learner's API: who am I, courses, progress and quiz attempts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, RootModel

from ..enums import ProgressStatus, QuestionKind, ReviewLevel, Role
from .common import Body, Model, Text, Timestamp


class Me(Model):
    id: int
    email: str
    display_name: str
    role: Role
    team: str | None
    job_role: str | None
    timezone: str


class Lesson(Model):
    slug: str
    title: str


class QuizRules(Model):
    pass_mark: int = Field(description="Percent needed to pass")
    questions_per_attempt: int
    max_attempts: int | None = Field(description="None: unlimited")
    cooldown_minutes: int = Field(description="The wait before another attempt, once the failures below are reached")
    cooldown_after_failures: int = Field(description="Failed attempts in a row before each further attempt waits")
    review_after_fail: ReviewLevel = Field(description="What a learner sees of a failed attempt")
    review_after_pass: ReviewLevel = Field(description="What a learner sees once passed or out of attempts")


class Module(Model):
    slug: str
    title: str
    lessons: list[Lesson]
    quiz: QuizRules | None


class Course(Model):
    slug: str
    title: str
    summary: str
    audience: str
    estimated_minutes: int
    version: int
    facts_checked: date | None
    url: str = Field(description="The course page")
    modules: list[Module]


class CourseList(Model):
    courses: list[Course]


class ModuleProgress(Model):
    slug: str
    lessons_read: int
    lessons_total: int
    quiz_passed: bool
    best_score: int | None
    status: ProgressStatus


class CourseProgress(Model):
    course: str = Field(description="The course's slug")
    percent: int = Field(ge=0, le=100)
    modules_completed: int
    modules_total: int
    completed_at: Timestamp | None
    completed_version: int | None
    modules: list[ModuleProgress]


class ProgressList(Model):
    progress: list[CourseProgress]


class Choice(Model):
    id: str
    text: str


class ReviewedChoice(Choice):
    correct: bool


class OpenQuestion(Model):
    key: str = Field(description="The question's identifier within this attempt (random; name answers by it)")
    kind: QuestionKind
    prompt: str
    choices: list[Choice]


class ReviewedQuestion(Model):
    """A question of a submitted attempt. `choices`, `selected` and `explanation` are given at the `full` review
    level only (the quiz's review policy); `correct` says whether it was answered correctly."""

    key: str = Field(description="The question's identifier within this attempt")
    kind: QuestionKind
    prompt: str
    correct: bool
    choices: list[ReviewedChoice] | None = None
    selected: list[str] | None = None
    explanation: str | None = None


class _AttemptBase(Model):
    id: int
    course: str
    module: str
    number: int
    course_version: int
    pass_mark: int
    started_at: Timestamp
    submitted_at: Timestamp | None


class OpenAttempt(_AttemptBase):
    """An attempt being answered: the served questions, never their answers."""

    status: Literal["open"]
    questions: list[OpenQuestion]


class SubmittedAttempt(_AttemptBase):
    """A submitted attempt: the score and, per question, the correct choices, the selection and an explanation."""

    status: Literal["submitted"]
    score: int
    passed: bool
    correct: int
    total: int
    review: ReviewLevel = Field(description="How much of the attempt is shown, by the quiz's review policy")
    questions: list[ReviewedQuestion] = Field(description="Empty at the `score` review level")


class Attempt(RootModel[Annotated[OpenAttempt | SubmittedAttempt, Field(discriminator="status")]]):
    """A quiz attempt, open or submitted (see `status`)."""


ChoiceId = Text(100)
QuestionKey = Annotated[str, Field(max_length=100)]


class Answers(Body):
    answers: dict[QuestionKey, Annotated[list[ChoiceId], Field(max_length=50)]] = Field(
        description="question key (as served in this attempt) -> the ids of the selected choices", max_length=500
    )
