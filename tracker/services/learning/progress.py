"""Learner progress: lessons read, quizzes passed, course percentages and the next step to take."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, cast, func, literal_column, null, select, type_coerce, union_all, update
from sqlalchemy.exc import IntegrityError

from ...enums import ProgressStatus, StepKind
from ...extensions import db
from ...models import Attempt, Course, CourseProgress, Lesson, LessonRead, Module, Quiz, User, utcnow
from ...models.types import UTCDateTime
from .. import queries
from .catalog import course_with_content, published_views


@dataclass
class ModuleState:
    """A learner's state in one module; fixed once built (its derived values are computed once: a dashboard asks
    for them per course card)."""

    module: Module
    lessons_read: set[int]
    best_score: int | None  # best passing score, None when not passed

    @cached_property
    def lessons_total(self) -> int:
        return len(self.module.lessons)

    @cached_property
    def read_count(self) -> int:
        return sum(1 for lesson in self.module.lessons if lesson.id in self.lessons_read)

    @cached_property
    def quiz_passed(self) -> bool:
        return self.best_score is not None

    @cached_property
    def complete(self) -> bool:
        return self.read_count == self.lessons_total and (self.module.quiz is None or self.quiz_passed)

    @cached_property
    def status(self) -> ProgressStatus:
        if self.complete:
            return ProgressStatus.COMPLETED
        if self.read_count or self.quiz_passed:
            return ProgressStatus.IN_PROGRESS
        return ProgressStatus.NOT_STARTED


@dataclass
class NextStep:
    kind: StepKind
    module: Module | None = None
    lesson: Lesson | None = None


@dataclass
class CourseState:
    """A learner's state in one course, built whole by `course_states` and not changed afterwards: its derived
    values are computed once."""

    course: Course
    modules: list[ModuleState] = field(default_factory=list)

    @cached_property
    def steps_total(self) -> int:
        return sum(m.lessons_total + (1 if m.module.quiz else 0) for m in self.modules)

    @cached_property
    def steps_done(self) -> int:
        return sum(m.read_count + (1 if m.quiz_passed and m.module.quiz else 0) for m in self.modules)

    @cached_property
    def percent(self) -> int:
        total = self.steps_total
        return 100 if total == 0 else (100 * self.steps_done) // total

    @cached_property
    def complete(self) -> bool:
        return bool(self.modules) and all(m.complete for m in self.modules)

    @cached_property
    def modules_completed(self) -> int:
        return sum(m.complete for m in self.modules)

    @cached_property
    def mean_best_score(self) -> int | None:
        scores = [m.best_score for m in self.modules if m.best_score is not None]
        return round(sum(scores) / len(scores)) if scores and self.complete else None

    @cached_property
    def summary(self) -> tuple:
        """The progress as a course card shows it: percent, modules completed and the next step (its kind and the
        slugs of its module and lesson). A state not started is shared, so this is worked out once for it."""
        step = self.next_step()
        return (
            self.percent,
            self.modules_completed,
            step.kind.value,
            step.module.slug if step.module else None,
            step.lesson.slug if step.lesson else None,
        )

    def next_step(self) -> NextStep:
        """The first thing left to do, in course order: an unread lesson, else the module's quiz."""
        return self._next_step

    @cached_property
    def _next_step(self) -> NextStep:
        for state in self.modules:
            for lesson in state.module.lessons:
                if lesson.id not in state.lessons_read:
                    return NextStep(StepKind.LESSON, state.module, lesson)
            if state.module.quiz is not None and not state.quiz_passed:
                return NextStep(StepKind.QUIZ, state.module)
        return NextStep(StepKind.DONE)


class Started(NamedTuple):
    """A course the learner has begun (a progress row), for the dashboard."""

    course_id: int
    last_activity_at: datetime
    cycle_started_at: datetime | None


def course_states(
    user_id: int, courses: Sequence[Course], *, started: list[Started] | None = None
) -> dict[int, CourseState]:
    """Build the state of several courses for one learner with one statement, whatever their number: the lessons
    read, the quiz passes and when each recertification cycle began. Plain columns, no ORM objects: this runs on
    every learner page. `started`, when given, receives every course the learner has begun, most recent activity
    first (read by the same statement)."""
    # One course (its pages): its own ids in the SQL. Several (the dashboard, the catalogue): all the learner's
    # rows, rather than hundreds of ids expanded into the SQL; each course's state takes its own from them.
    by_ids = len(courses) == 1
    parameters: dict = {"user_id": user_id}
    if by_ids:
        course = courses[0]
        lesson_ids = [lesson.id for m in course.modules for lesson in m.lessons]
        quiz_ids = [m.quiz.id for m in course.modules if m.quiz is not None]
        parameters |= {"course_ids": [course.id], "quiz_ids": quiz_ids, "lesson_ids": lesson_ids}
        statement = _state_statement(True, bool(quiz_ids), bool(lesson_ids), True, started is not None)
    else:
        statement = _state_statement(bool(courses), bool(courses), bool(courses), False, started is not None)
    read: set[int] = set()
    passes = []
    starts: dict[int, datetime] = {}
    activity: dict[int, datetime] = {}
    if statement is not None:
        for kind, key, points, at in queries.run(statement, parameters).all():
            if kind == "r":
                read.add(key)
            elif kind == "p":
                passes.append((user_id, key, points, at))
            elif kind == "a":
                activity[key] = at
            else:
                starts[key] = at
    if started is not None:
        rows = [Started(course_id, at, starts.get(course_id)) for course_id, at in activity.items()]
        started.extend(sorted(rows, key=lambda row: row.last_activity_at, reverse=True))
    best: dict[int, int] = {}
    if passes:  # which course each passed quiz belongs to, for the start of its cycle
        quiz_course = {m.quiz.id: c.id for c in courses for m in c.modules if m.quiz is not None}
        passes = [p for p in passes if p[1] in quiz_course]
        best = _best_scores(passes, quiz_course, {(user_id, c): at for c, at in starts.items() if at})[user_id]
    return {course.id: _state(course, read, best) for course in courses}


@cache
def _state_statement(with_starts: bool, with_quizzes: bool, with_lessons: bool, by_ids: bool, with_started: bool):
    """The one statement of `course_states` for the parts a call needs, built once each (every learner page runs
    it; building a statement costs more than running it): the learner's cycle starts, quiz passes and lessons read
    (and the last activity of every course begun), tagged, by the learner's index (and, for one course, its ids)."""
    reads, attempts, stored = LessonRead.__table__.c, Attempt.__table__.c, CourseProgress.__table__.c
    # Typed NULLs: PostgreSQL takes each column's type of a UNION from its first parts, which may all be NULL.
    score, moment = cast(null(), Integer), type_coerce(null(), UTCDateTime())
    user_id = bindparam("user_id")
    parts = []
    if with_starts:
        parts.append(
            select(literal_column("'c'"), stored.course_id, score, stored.cycle_started_at).where(
                stored.user_id == user_id,
                stored.cycle_started_at.is_not(None),
                *([stored.course_id.in_(bindparam("course_ids", expanding=True))] if by_ids else []),
            )
        )
    if with_started:
        parts.append(
            select(literal_column("'a'"), stored.course_id, score, stored.last_activity_at).where(
                stored.user_id == user_id
            )
        )
    if with_quizzes:
        parts.append(
            select(literal_column("'p'"), attempts.quiz_id, attempts.score, attempts.submitted_at).where(
                attempts.user_id == user_id,
                attempts.passed.is_(True),
                *([attempts.quiz_id.in_(bindparam("quiz_ids", expanding=True))] if by_ids else []),
            )
        )
    if with_lessons:
        parts.append(
            select(literal_column("'r'"), reads.lesson_id, score, moment).where(
                reads.user_id == user_id,
                *([reads.lesson_id.in_(bindparam("lesson_ids", expanding=True))] if by_ids else []),
            )
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _cycle_starts(user_ids: Sequence[int], course_ids: Sequence[int]) -> dict[tuple[int, int], datetime]:
    """When each (user, course) recertification cycle began; absent for a first cycle."""
    if not user_ids or not course_ids:
        return {}
    rows = db.session.execute(
        select(CourseProgress.user_id, CourseProgress.course_id, CourseProgress.cycle_started_at).where(
            CourseProgress.user_id.in_(list(user_ids)),
            CourseProgress.course_id.in_(list(course_ids)),
            CourseProgress.cycle_started_at.is_not(None),
        )
    )
    return {(u, c): started for u, c, started in rows}


def _best_scores(passes, quiz_course: dict[int, int], cycle_start) -> dict[int, dict[int, int]]:
    """Best passing score per user and quiz, counting only passes of the current cycle."""
    best: dict[int, dict[int, int]] = defaultdict(dict)
    for user_id, quiz_id, score, submitted_at in passes:
        started = cycle_start.get((user_id, quiz_course[quiz_id]))
        if started is not None and submitted_at < started:
            continue
        if score > best[user_id].get(quiz_id, -1):
            best[user_id][quiz_id] = score
    return best


def _state(course: Course, read: set[int], best: dict[int, int]) -> CourseState:
    shared = getattr(course, "shared", None)  # a cached CourseView (not an ORM Course)
    if shared is None:
        return _build_state(course, read, best)
    ids = shared.get("ids")
    if ids is None:
        ids = shared["ids"] = (
            frozenset(lesson.id for m in course.modules for lesson in m.lessons),
            frozenset(m.quiz.id for m in course.modules if m.quiz is not None),
        )
    if read.isdisjoint(ids[0]) and best.keys().isdisjoint(ids[1]):
        # Nothing done in this course yet: the same state for everybody (a dashboard shows a card for each course
        # not started), built once per course view and shared, since a state is not changed once built.
        fresh = shared.get("fresh")
        if fresh is None:
            fresh = shared["fresh"] = _build_state(course, set(), {})
        return fresh
    return _build_state(course, read, best)


def _build_state(course: Course, read: set[int], best: dict[int, int]) -> CourseState:
    state = CourseState(course)
    for module in course.modules:
        mine = {lesson.id for lesson in module.lessons if lesson.id in read}
        state.modules.append(ModuleState(module, mine, best.get(module.quiz.id) if module.quiz else None))
    return state


def has_read(user_id: int, lesson_id: int) -> bool:
    """Whether the learner has read the lesson (in any cycle, as `course_states` counts it)."""
    return queries.run(_read_statement(), {"user_id": user_id, "lesson_id": lesson_id}).first() is not None


@cache
def _read_statement():
    reads = LessonRead.__table__.c  # every lesson page runs this: built once
    return select(reads.id).where(reads.user_id == bindparam("user_id"), reads.lesson_id == bindparam("lesson_id"))


def course_state(user_id: int, course: Course) -> CourseState:
    return course_states(user_id, [course])[course.id]


def mark_lesson_read(
    user: User,
    lesson: Lesson,
    now: datetime | None = None,
    *,
    course: Course | None = None,
    opened_at: datetime | None = None,
) -> tuple[bool, list[CourseProgress]]:
    """Record that the learner read a lesson (`opened_at`: when the page was served, for the time spent on it).
    Returns whether it was new (False when it was already read; safe under double submit) and the course progress
    that this completed, for the caller to award."""
    now = now or utcnow()
    already = db.session.scalar(
        select(LessonRead.id).where(LessonRead.user_id == user.id, LessonRead.lesson_id == lesson.id)
    )
    created = False
    if already is None:
        try:
            with db.session.begin_nested():
                db.session.add(LessonRead(user_id=user.id, lesson_id=lesson.id, read_at=now, opened_at=opened_at))
            created = True
        except IntegrityError:
            created = False  # a concurrent request recorded it first
    # The course with its content: the caller's (a cached course view) or the lesson's own.
    course = course or db.session.get_one(Course, lesson.module.course_id)
    return created, refresh(user.id, course, now=now, last_lesson_id=lesson.id)


def refresh(
    user_id: int, course: Course, *, now: datetime | None = None, last_lesson_id: int | None = None
) -> list[CourseProgress]:
    """Recompute the stored progress of one learner in one course after something happened.
    Returns the progress rows this completed (the caller awards their certificates).

    The learner's progress row is locked first, so two things finishing at once (the last lesson read in one tab,
    the last quiz passed in another) are counted one after the other: the second sees the first and completes the
    course. Without the lock each could count without the other and the completion would be lost."""
    lock(user_id, course.id, now or utcnow())
    return _store(course, {user_id: course_state(user_id, course)}, now or utcnow(), last_lesson_id)


def lock(user_id: int, course_id: int, now: datetime) -> None:
    """Create the learner's progress row if there is none, then lock it until the transaction ends. The lock is a
    no-op UPDATE: a row lock on PostgreSQL (like SELECT ... FOR UPDATE) and the database write lock on SQLite,
    which has no row locks."""
    exists = db.session.scalar(
        select(CourseProgress.id).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    CourseProgress(user_id=user_id, course_id=course_id, started_at=now, last_activity_at=now)
                )
        except IntegrityError:
            pass  # created by a concurrent request: lock that one
    db.session.execute(
        update(CourseProgress)
        .where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
        .values(id=CourseProgress.id)
        .execution_options(synchronize_session=False)
    )


def recompute_course(course: Course) -> list[CourseProgress]:
    """Recompute everybody's progress in a course, e.g. after its content changed. Set-based, not per person.
    Returns the progress rows this completed."""
    course = course_with_content(course.id)
    user_ids = list(db.session.scalars(select(CourseProgress.user_id).where(CourseProgress.course_id == course.id)))
    if not user_ids:
        return []
    lesson_ids = [lesson.id for m in course.modules for lesson in m.lessons]
    quiz_course = {m.quiz.id: course.id for m in course.modules if m.quiz}
    reads: dict[int, set[int]] = defaultdict(set)
    for user_id, lesson_id in db.session.execute(
        select(LessonRead.user_id, LessonRead.lesson_id).where(LessonRead.lesson_id.in_(lesson_ids))
    ):
        reads[user_id].add(lesson_id)
    passes = db.session.execute(
        select(Attempt.user_id, Attempt.quiz_id, Attempt.score, Attempt.submitted_at).where(
            Attempt.quiz_id.in_(list(quiz_course)), Attempt.passed.is_(True)
        )
    )
    best = _best_scores(passes, quiz_course, _cycle_starts(user_ids, [course.id]))
    states = {user_id: _state(course, reads[user_id], best[user_id]) for user_id in user_ids}
    return _store(course, states, None, None)


def _store(
    course: Course, states: dict[int, CourseState], now: datetime | None, last_lesson_id: int | None
) -> list[CourseProgress]:
    completed: list[CourseProgress] = []
    rows = {
        row.user_id: row
        for row in db.session.scalars(
            select(CourseProgress).where(
                CourseProgress.course_id == course.id, CourseProgress.user_id.in_(list(states))
            )
        )
    }
    for user_id, state in states.items():
        row = rows.get(user_id)
        if row is None:
            row = CourseProgress(user_id=user_id, course_id=course.id, started_at=now or utcnow())
            db.session.add(row)
        row.percent = state.percent
        row.lessons_read = sum(m.read_count for m in state.modules)
        row.quizzes_passed = sum(1 for m in state.modules if m.quiz_passed)
        row.modules_completed = state.modules_completed
        if now is not None:
            row.last_activity_at = now
        if last_lesson_id is not None:
            row.last_lesson_id = last_lesson_id
        # Completion is a historical fact about a version: later content changes do not undo it.
        if state.complete and row.completed_at is None:
            row.completed_at = now or utcnow()
            row.completed_version = course.version
            row.best_score = state.mean_best_score
            completed.append(row)
    db.session.flush()
    return completed


def progress_rows(user_id: int) -> list[CourseProgress]:
    """The learner's courses in progress or done, most recent activity first (one query)."""
    return list(
        db.session.scalars(
            select(CourseProgress)
            .where(CourseProgress.user_id == user_id)
            .order_by(CourseProgress.last_activity_at.desc())
        )
    )


def team_progress(user_ids: Iterable[int]) -> list[CourseProgress]:
    """Every course progress of a group of people in one aggregate read."""
    return list(db.session.scalars(select(CourseProgress).where(CourseProgress.user_id.in_(list(user_ids)))))


@dataclass(frozen=True)
class CourseOverview:
    state: CourseState
    completed_at: datetime | None
    completed_version: int | None


def overview(user_id: int, language: str) -> list[CourseOverview]:
    """The learner's standing in every published course, with when each was completed (a fixed number of queries)."""
    courses = published_views(language)
    states = course_states(user_id, courses)
    stored = {row.course_id: row for row in progress_rows(user_id)}
    return [
        CourseOverview(
            states[course.id],
            stored[course.id].completed_at if course.id in stored else None,
            stored[course.id].completed_version if course.id in stored else None,
        )
        for course in courses
    ]


@dataclass(frozen=True)
class LearningEvidence:
    attempts: int  # quiz attempts submitted in the cycle
    first_opened_at: datetime | None  # the first lesson page (or quiz) opened in the cycle


def learning_evidence(user_id: int, course_id: int, since: datetime | None) -> LearningEvidence:
    """What the learner did to complete a cycle of a course (`since`: when the cycle began; None for the first)."""
    quiz_ids = (
        select(Quiz.id).join(Module, Module.id == Quiz.module_id).where(Module.course_id == course_id).scalar_subquery()
    )
    attempts_query = select(func.count(Attempt.id), func.min(Attempt.started_at)).where(
        Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids), Attempt.submitted_at.is_not(None)
    )
    opened_query = (
        select(func.min(LessonRead.opened_at))
        .join(Lesson, Lesson.id == LessonRead.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonRead.user_id == user_id, Module.course_id == course_id)
    )
    if since is not None:
        attempts_query = attempts_query.where(Attempt.started_at >= since)
        opened_query = opened_query.where(LessonRead.opened_at >= since)
    count, first_attempt = db.session.execute(attempts_query).one()
    first_opened = db.session.scalar(opened_query)
    moments = [moment for moment in (first_opened, first_attempt) if moment is not None]
    return LearningEvidence(count or 0, min(moments) if moments else None)


def completed_at(user_id: int, course_id: int) -> datetime | None:
    """When the learner's current cycle of the course was completed (None while it is not)."""
    return db.session.scalar(
        select(CourseProgress.completed_at).where(
            CourseProgress.user_id == user_id, CourseProgress.course_id == course_id
        )
    )
