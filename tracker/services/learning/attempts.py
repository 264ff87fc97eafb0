"""Starting and submitting quiz attempts."""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ...enums import QuestionKind, ReviewLevel
from ...extensions import db
from ...i18n import BABEL_LOCALES, language_for
from ...models import Attempt, AttemptGrant, Course, CourseProgress, LessonRead, Question, Quiz, User, utcnow
from .. import DomainError, audit, certification, queries
from . import progress
from .grading import grade


class QuizUnavailable(DomainError):
    """The learner may not start this quiz now (attempts used up, cooldown, empty pool)."""


@dataclass
class IncompleteAnswers(DomainError):
    """Some served questions have no valid answer; nothing was recorded."""

    missing: list[str]

    def __str__(self) -> str:
        return "Answer every question before submitting."


class AttemptSummary(NamedTuple):
    """What the quiz page and `quiz_status` read of an attempt (plain columns; its answers stay in the database)."""

    id: int
    number: int
    submitted_at: datetime | None
    score: int | None
    passed: bool | None

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


@dataclass(frozen=True)
class QuizStatus:
    attempts_used: int  # submitted in the current cycle of the course
    attempts_left: int | None  # None: no limit; counts attempts granted by an admin or manager
    open_attempt: AttemptSummary | None
    best_score: int | None
    passed: bool
    available_at: datetime | None  # when a waiting time after repeated failures ends
    can_start: bool
    reason: str | None
    history: list[AttemptSummary]  # submitted attempts of the cycle, oldest first
    grants: int = 0  # extra attempts granted and not used yet
    needs_grant: bool = False  # starting now uses a granted attempt (past the limit or the waiting time)
    lessons_read: int | None = None  # of the lessons asked about (`quiz_status(lesson_ids=...)`)


@cache
def _attempts_and_grants_statement():
    # Built once, not per request: building and compiling an ORM statement costs more than running it.
    user_id, quiz_id, course_id = bindparam("user_id"), bindparam("quiz_id"), bindparam("course_id")
    since = (
        select(CourseProgress.cycle_started_at)
        .where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
        .scalar_subquery()
    )
    grants = (
        select(func.count(AttemptGrant.id).label("n"))
        .where(
            AttemptGrant.user_id == user_id,
            AttemptGrant.quiz_id == quiz_id,
            AttemptGrant.used_by_attempt_id.is_(None),
        )
        .subquery()
    )
    lessons_read = (
        select(func.count(LessonRead.id))
        .where(LessonRead.user_id == user_id, LessonRead.lesson_id.in_(bindparam("lesson_ids", expanding=True)))
        .scalar_subquery()
    )
    attempts = Attempt.__table__.c  # plain columns: no ORM objects on a page every learner opens
    in_cycle = and_(
        attempts.user_id == user_id,
        attempts.quiz_id == quiz_id,
        or_(since.is_(None), attempts.started_at >= since),
    )
    return (
        select(
            grants.c.n,
            lessons_read.label("lessons_read"),
            *(attempts[name] for name in AttemptSummary._fields),
        )
        .select_from(grants)
        .outerjoin(Attempt.__table__, in_cycle)
        .order_by(attempts.number)
    )


def _attempts_and_grants(
    user_id: int, quiz_id: int, course_id: int, lesson_ids: Sequence[int]
) -> tuple[list[AttemptSummary], int, int]:
    """The learner's attempts at a quiz in the current cycle of its course (a renewal or a reset starts the count
    again), in order, the unused extra attempts granted to them and how many of `lesson_ids` they have read: one
    statement, as the quiz page is on every learner's path. The counts are the one row the attempts are outer-joined
    to, so they come back even when there is no attempt. Plain columns: the answers and question snapshots are
    never read here."""
    parameters = {"user_id": user_id, "quiz_id": quiz_id, "course_id": course_id, "lesson_ids": list(lesson_ids)}
    rows = queries.run(_attempts_and_grants_statement(), parameters).all()
    attempts = [AttemptSummary(*row[2:]) for row in rows if row[2] is not None]
    return attempts, rows[0][0] if rows else 0, rows[0][1] if rows else 0


def quiz_status(user: User, quiz: Quiz, now: datetime | None = None, *, lesson_ids: Sequence[int] = ()) -> QuizStatus:
    """Where a learner stands with a quiz in the current cycle of its course: attempts used and left, a waiting time
    after repeated failures, and whether they may start now (and how many of `lesson_ids` they have read)."""
    now = now or utcnow()
    attempts, grants, lessons_read = _attempts_and_grants(user.id, quiz.id, quiz.course_id, lesson_ids)
    submitted = [a for a in attempts if not a.is_open]
    open_attempt = next((a for a in attempts if a.is_open), None)
    passing = [a.score for a in submitted if a.passed and a.score is not None]
    limit_left = None if quiz.max_attempts is None else max(quiz.max_attempts - len(submitted), 0)
    failures = 0  # failed attempts in a row, the most recent last
    for attempt in reversed(submitted):
        if attempt.passed:
            break
        failures += 1
    available_at = None
    if quiz.cooldown_minutes and failures >= quiz.cooldown_after_failures:
        ends = submitted[-1].submitted_at + timedelta(minutes=quiz.cooldown_minutes)
        if ends > now:
            available_at = ends
    blocked = limit_left == 0 or available_at is not None
    reason = None
    if open_attempt is None:
        if quiz.pool_size < quiz.questions_per_attempt:
            reason = _("This quiz is not available: its question pool is smaller than one attempt.")
        elif blocked and not grants:
            if limit_left == 0:
                reason = _(
                    "You have used every attempt allowed for this quiz. An administrator or your manager "
                    "can allow another attempt."
                )
            else:
                reason = _(
                    "You can try again once the waiting time after your last attempts has passed. Use it "
                    "to read the module's lessons again."
                )
    return QuizStatus(
        attempts_used=len(submitted),
        attempts_left=None if limit_left is None else limit_left + grants,
        open_attempt=open_attempt,
        best_score=max(passing) if passing else None,
        passed=bool(passing),
        available_at=available_at if not grants else None,
        can_start=reason is None,
        reason=reason,
        history=submitted,
        grants=grants,
        needs_grant=blocked,
        lessons_read=lessons_read if lesson_ids else None,
    )


def start_attempt(
    user: User,
    quiz: Quiz,
    *,
    language: str | None = None,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Open a new attempt, or return the one already open (so a double click never creates two: the database keeps
    one open attempt per learner and quiz). The questions are served in `language` where the course is translated
    (default: the learner's language). `quiz` may be the course structure's view of it: the quiz and its pool are
    read here."""
    quiz = db.session.get_one(Quiz, quiz.id)
    now = now or utcnow()
    status = quiz_status(user, quiz, now)
    if status.open_attempt is not None:
        return db.session.get_one(Attempt, status.open_attempt.id)
    if not status.can_start:
        raise QuizUnavailable(status.reason)
    rng = rng or random.Random()
    course = db.session.get_one(Course, quiz.module.course_id)
    language = language or language_for(user)
    number = (
        db.session.scalar(
            select(func.max(Attempt.number)).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
        )
        or 0
    ) + 1
    attempt = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        number=number,
        course_version=course.version,
        language=language,
        pass_mark=quiz.pass_mark,
        started_at=now,
        served=_serve(user, quiz, rng, language, translated=language != course.source_language),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            if status.needs_grant and not _use_grant(user, quiz, attempt):
                raise QuizUnavailable(_("The attempt that was allowed has just been used."))
    except IntegrityError:
        # A concurrent request opened an attempt first (same number, or the one-open-attempt index): use that one.
        existing = db.session.scalar(
            select(Attempt).where(
                Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_(None)
            )
        )
        if existing is None:  # the concurrent attempt was rolled back after all
            raise
        return existing
    return attempt


def _use_grant(user: User, quiz: Quiz, attempt: Attempt) -> bool:
    """Mark the oldest unused grant as used by `attempt` (a conditional UPDATE: a grant is used once)."""
    db.session.flush()
    grant_id = db.session.scalar(
        select(AttemptGrant.id)
        .where(
            AttemptGrant.user_id == user.id, AttemptGrant.quiz_id == quiz.id, AttemptGrant.used_by_attempt_id.is_(None)
        )
        .order_by(AttemptGrant.id)
        .limit(1)
    )
    if grant_id is None:
        return False
    used = db.session.execute(
        update(AttemptGrant)
        .where(AttemptGrant.id == grant_id, AttemptGrant.used_by_attempt_id.is_(None))
        .values(used_by_attempt_id=attempt.id)
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount)


def grant_attempt(actor: User, user: User, quiz: Quiz, reason: str = "") -> tuple[AttemptGrant, bool]:
    """Allow one more attempt past the limit and any waiting time (audited). A learner holds at most one unused
    grant per quiz (a unique index): allowing again while one is unused, or a double submit, changes nothing.
    Returns the unused grant and whether it is new."""
    if actor.id == user.id:
        raise DomainError(_("You cannot allow yourself another attempt; ask another administrator or manager."))
    for _try in range(2):
        grant = AttemptGrant(user_id=user.id, quiz_id=quiz.id, granted_by_id=actor.id, reason=reason.strip())
        try:
            with db.session.begin_nested():
                db.session.add(grant)
        except IntegrityError:
            existing = unused_grant(user.id, quiz.id)
            if existing is not None:
                return existing, False
            continue  # the unused grant was used by an attempt in between: allow a new one
        audit.record(
            "quiz.attempt_granted",
            actor=actor,
            target_type="user",
            target_id=user.id,
            details={"quiz_id": quiz.id, "module": quiz.module.slug, "reason": grant.reason},
        )
        return grant, True
    raise DomainError(_("The attempts of this learner changed at this very moment; try again."))


def unused_grant(user_id: int, quiz_id: int) -> AttemptGrant | None:
    return db.session.scalar(
        select(AttemptGrant).where(
            AttemptGrant.user_id == user_id, AttemptGrant.quiz_id == quiz_id, AttemptGrant.used_by_attempt_id.is_(None)
        )
    )


def review_level(attempt: Attempt, status: QuizStatus | None = None) -> ReviewLevel:
    """How much of a submitted attempt its learner sees (the quiz's review policy): the after-pass level once
    passed or when no attempt is left, the after-fail level otherwise."""
    quiz = attempt.quiz
    if attempt.passed or (status is not None and status.attempts_left == 0):
        return ReviewLevel(quiz.review_after_pass)
    return ReviewLevel(quiz.review_after_fail)


def _serve(user: User, quiz: Quiz, rng: random.Random, language: str, *, translated: bool) -> list[dict[str, Any]]:
    """Draw the questions of a new attempt, preferring those this learner has seen least, in `language` (from the
    course's translation into it, when `translated`; a question it lacks stays in the course's own language)."""
    seen: Counter[str] = Counter()
    for served in db.session.scalars(
        select(Attempt.served).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
    ):
        seen.update(q["key"] for q in served)
    pool: Sequence[Question] = quiz.questions
    ranked = sorted(pool, key=lambda q: (seen[q.key], rng.random()))
    chosen = ranked[: quiz.questions_per_attempt]
    rng.shuffle(chosen)
    snapshot = []
    for question in chosen:
        text = (question.translations or {}).get(language, {}) if translated else {}
        # Each served choice gets a fresh random id: the page and the API show nothing of the file order or of which
        # choice is correct. `key` keeps the file's id for grading history and item analysis.
        choices = [{**c, "key": c["id"], "id": _choice_id()} for c in question.choices]
        for choice, translated in zip(choices, text.get("choices") or [], strict=False):
            choice["text"] = translated
        if question.kind == QuestionKind.TRUE_FALSE:  # True before False reads naturally, in the attempt's language
            for choice in choices:
                choice["text"] = true_false_word(choice["key"] == "true", language)
        else:
            rng.shuffle(choices)
        snapshot.append(
            {
                "id": _choice_id(),  # what pages and the API call the question: the file's key can hint at the answer
                "key": question.key,
                "kind": question.kind,
                "prompt": text.get("prompt", question.prompt),
                "explanation": text.get("explanation", question.explanation),
                "choices": choices,
            }
        )
    return snapshot


def _choice_id() -> str:
    return secrets.token_urlsafe(9)  # 72 random bits


def true_false_word(value: bool, language: str) -> str:
    with force_locale(BABEL_LOCALES.get(language, language)):
        return _("True") if value else _("False")


def public_id(question: Mapping[str, Any]) -> str:
    """A served question's identifier in pages and the API: random per attempt (attempts served before questions
    had one use the file's key)."""
    return question.get("id") or question["key"]


def public_answers(attempt: Attempt) -> dict[str, list[str]]:
    """The stored answers (kept by the file's question key) as pages and the API name them."""
    stored = attempt.answers or {}
    return {public_id(q): stored[q["key"]] for q in attempt.served if q["key"] in stored}


def clean_answers(attempt: Attempt, answers: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Keep only valid choice ids per served question; raise IncompleteAnswers listing what is missing (by public
    id). Answers are named by the question's public id (the file's key is accepted too, for imports and scripts
    that hold the content); they are stored by the file's key, for grading and item analysis."""
    cleaned: dict[str, list[str]] = {}
    missing = []
    for question in attempt.served:
        valid = {c["id"] for c in question["choices"]}
        given = answers.get(public_id(question))
        if given is None:
            given = answers.get(question["key"], ())
        selected = [c for c in dict.fromkeys(given) if c in valid]
        if question["kind"] != QuestionKind.MULTIPLE and len(selected) > 1:
            selected = []
        if not selected:
            missing.append(public_id(question))
        cleaned[question["key"]] = selected
    if missing:
        raise IncompleteAnswers(missing)
    return cleaned


def save_answers(attempt: Attempt, answers: Mapping[str, Sequence[str]]) -> bool:
    """Keep the answers chosen so far on an open attempt, ungraded, so that the learner finds them when coming back
    (to the same questions: the attempt's served snapshot). Unanswered questions are allowed; invalid choices are
    dropped. Returns False when the attempt was submitted meanwhile (nothing changes then)."""
    if not attempt.is_open:
        return False
    kept: dict[str, list[str]] = {}
    for question in attempt.served:
        valid = {c["id"] for c in question["choices"]}
        given = answers.get(public_id(question))
        if given is None:
            given = answers.get(question["key"], ())
        selected = [c for c in dict.fromkeys(given) if c in valid]
        if question["kind"] != QuestionKind.MULTIPLE and len(selected) > 1:
            selected = []
        if selected:
            kept[question["key"]] = selected
    # Conditional update: a save racing a submit never overwrites the graded answers.
    saved = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(answers=kept)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    return bool(saved)


def submit_attempt(
    user: User, attempt: Attempt, answers: Mapping[str, Sequence[str]], now: datetime | None = None
) -> Attempt:
    """Grade and close an attempt. Submitting an already closed attempt changes nothing and returns it."""
    if not attempt.is_open:
        return attempt
    now = now or utcnow()
    cleaned = clean_answers(attempt, answers)
    result = grade(attempt.served, cleaned, attempt.pass_mark)
    # Conditional update: of two concurrent submits only one closes the attempt.
    closed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            submitted_at=now,
            answers=cleaned,
            results=result.results,
            correct_count=result.correct,
            score=result.score,
            passed=result.passed,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if closed:
        course = db.session.get_one(Course, attempt.quiz.module.course_id)
        for row in progress.refresh(user.id, course, now=now):
            certification.award(row, course)
    return attempt
