"""A person's training record (transcript): courses and progress, assignments and due dates, every quiz attempt, the
evidence of learning of each completion, time spent on each lesson, certificates, and the audit events about them.

Built with a fixed number of queries whatever the number of courses, attempts, lessons or certificates: one query
per kind of record, then assembled in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from ...enums import CertificateStatus, ProgressStatus
from ...extensions import db
from ...models import (
    Attempt,
    AttemptGrant,
    AuditEvent,
    Certificate,
    Completion,
    Course,
    CourseProgress,
    Lesson,
    LessonRead,
    Module,
    Quiz,
    Team,
    User,
    utcnow,
)
from ..certification import status as certificate_status
from ..learning import structure
from ..organisation.assignments import Person, due_dates_of

EVENTS_SHOWN = 200  # the most recent audit events; the audit log has the rest


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    number: int
    started_at: datetime
    submitted_at: datetime | None
    score: int | None
    passed: bool | None
    language: str
    in_current_cycle: bool


@dataclass
class QuizRecord:
    quiz_id: int
    module_title: str
    max_attempts: int | None
    in_course: bool  # False: its module was retired from the course (history only)
    attempts: list[AttemptRecord] = field(default_factory=list)
    unused_grant_at: datetime | None = None  # another attempt allowed and not used yet
    unused_grant_by: str | None = None

    @property
    def used_in_cycle(self) -> int:
        return sum(1 for a in self.attempts if a.in_current_cycle and a.submitted_at is not None)

    @property
    def passed_in_cycle(self) -> bool:
        return any(a.passed for a in self.attempts if a.in_current_cycle)


@dataclass(frozen=True)
class LessonRecord:
    module_title: str
    lesson_title: str
    opened_at: datetime | None
    read_at: datetime

    @property
    def time_on_page(self) -> timedelta | None:
        """From the page being served to "mark as read" (None when the opening was not recorded)."""
        if self.opened_at is None or self.read_at < self.opened_at:
            return None
        return self.read_at - self.opened_at


@dataclass(frozen=True)
class CompletionRecord:
    cycle: int
    completed_at: datetime
    course_version: int
    score: int | None
    language: str
    attempts: int  # quiz attempts submitted in the cycle
    first_opened_at: datetime | None

    @property
    def time_to_complete(self) -> timedelta | None:
        """From the first lesson (or quiz) opened in the cycle to the completion: the last quiz passed."""
        if self.first_opened_at is None:
            return None
        return self.completed_at - self.first_opened_at


@dataclass(frozen=True)
class CertificateRecord:
    code: str
    revision: int
    status: CertificateStatus
    issued_at: datetime
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None
    revoked_public_reason: str | None
    revoked_reason: str | None  # internal: only in an admin's transcript
    superseded_at: datetime | None
    pending_reason: str | None
    cycle: int


@dataclass
class CourseRecord:
    course_id: int
    slug: str
    title: str
    published: bool
    has_quiz: bool
    percent: int = 0
    started_at: datetime | None = None
    last_activity_at: datetime | None = None
    completed_at: datetime | None = None  # of the current cycle
    cycle: int | None = None  # None: never started
    cycle_started_at: datetime | None = None
    due_on: date | None = None
    quizzes: list[QuizRecord] = field(default_factory=list)
    lessons: list[LessonRecord] = field(default_factory=list)
    completions: list[CompletionRecord] = field(default_factory=list)
    certificates: list[CertificateRecord] = field(default_factory=list)

    @property
    def status(self) -> ProgressStatus:
        if self.completed_at is not None:
            return ProgressStatus.COMPLETED
        return ProgressStatus.IN_PROGRESS if self.cycle is not None else ProgressStatus.NOT_STARTED

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.completed_at is None and self.due_on < today

    @property
    def can_reopen(self) -> bool:
        return self.cycle is not None and self.has_quiz


@dataclass(frozen=True)
class EventRecord:
    at: datetime
    action: str
    actor_email: str | None
    target_type: str | None
    target_id: str | None
    details: dict | None  # None: not shown to this viewer (managers see what happened, not the internal details)


@dataclass(frozen=True)
class Transcript:
    person_id: int
    name: str
    email: str
    team: str | None
    job_role: str | None
    active: bool
    generated_at: datetime
    courses: list[CourseRecord]
    events: list[EventRecord]
    more_events: bool  # older events exist beyond EVENTS_SHOWN
    internal: bool  # built for an admin: internal revocation reasons and event details included

    @property
    def today(self) -> date:
        return self.generated_at.date()


def build(person: User, language: str, *, internal: bool, now: datetime | None = None) -> Transcript:
    """The record of `person`, with titles in `language`. `internal`: for an admin (internal reasons, details)."""
    now = now or utcnow()
    uid = person.id
    progress_rows = db.session.scalars(select(CourseProgress).where(CourseProgress.user_id == uid)).all()
    completions = db.session.scalars(
        select(Completion).where(Completion.user_id == uid).order_by(Completion.course_id, Completion.cycle)
    ).all()
    certificates = db.session.execute(
        select(Certificate, Completion.cycle)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(Certificate.user_id == uid)
        .order_by(Completion.cycle, Certificate.revision)
    ).all()
    attempts = db.session.execute(
        select(  # columns only: an attempt's question snapshot and answers are not part of the record
            Attempt.id,
            Attempt.quiz_id,
            Attempt.number,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.passed,
            Attempt.language,
            Module.course_id,
            Module.title.label("module_title"),
            Quiz.max_attempts,
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .where(Attempt.user_id == uid)
        .order_by(Module.position, Attempt.number)
    ).all()
    granter = aliased(User)
    grants = db.session.execute(
        select(AttemptGrant.quiz_id, AttemptGrant.granted_at, granter.display_name)
        .outerjoin(granter, granter.id == AttemptGrant.granted_by_id)
        .where(AttemptGrant.user_id == uid, AttemptGrant.used_by_attempt_id.is_(None))
    ).all()
    reads = db.session.execute(
        select(
            LessonRead.lesson_id, LessonRead.opened_at, LessonRead.read_at, Lesson.title, Module.course_id, Module.title
        )
        .join(Lesson, Lesson.id == LessonRead.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonRead.user_id == uid)
        .order_by(Module.position, Lesson.position)
    ).all()
    due = due_dates_of(Person(uid, person.team_id, person.job_role))

    course_ids = (
        {row.course_id for row in progress_rows}
        | {c.course_id for c in completions}
        | {cert.course_id for cert, _cycle in certificates}
        | {row.course_id for row in attempts}
        | set(due)
    )
    rows = db.session.scalars(select(Course).where(Course.id.in_(sorted(course_ids)))).all() if course_ids else []
    views = {view.id: view for view in structure.views(rows, language)}
    records: dict[int, CourseRecord] = {}
    for course_id, view in views.items():
        record = CourseRecord(
            course_id=course_id,
            slug=view.slug,
            title=view.title,
            published=view.published,
            has_quiz=any(m.quiz is not None for m in view.modules),
            due_on=due.get(course_id),
        )
        for module in view.modules:
            if module.quiz is not None:
                record.quizzes.append(QuizRecord(module.quiz.id, module.title, module.quiz.max_attempts, True))
        records[course_id] = record
    for row in progress_rows:
        record = records[row.course_id]
        record.percent, record.cycle, record.cycle_started_at = row.percent, row.cycle, row.cycle_started_at
        record.started_at, record.last_activity_at, record.completed_at = (
            row.started_at,
            row.last_activity_at,
            row.completed_at,
        )

    quizzes = {quiz.quiz_id: quiz for record in records.values() for quiz in record.quizzes}
    for attempt in attempts:
        record = records[attempt.course_id]
        quiz = quizzes.get(attempt.quiz_id)
        if quiz is None:  # a retired module: its attempts stay in the record
            quiz = QuizRecord(attempt.quiz_id, attempt.module_title, attempt.max_attempts, False)
            quizzes[attempt.quiz_id] = quiz
            record.quizzes.append(quiz)
        since = record.cycle_started_at
        quiz.attempts.append(
            AttemptRecord(
                id=attempt.id,
                number=attempt.number,
                started_at=attempt.started_at,
                submitted_at=attempt.submitted_at,
                score=attempt.score,
                passed=attempt.passed,
                language=attempt.language,
                in_current_cycle=since is None or attempt.started_at >= since,
            )
        )
    for quiz_id, granted_at, granted_by in grants:
        if quiz_id in quizzes:
            quizzes[quiz_id].unused_grant_at, quizzes[quiz_id].unused_grant_by = granted_at, granted_by

    lesson_titles = {
        lesson.id: (module.title, lesson.title)
        for view in views.values()
        for module in view.modules
        for lesson in module.lessons
    }
    for lesson_id, opened_at, read_at, lesson_title, course_id, module_title in reads:
        module_title, lesson_title = lesson_titles.get(lesson_id, (module_title, lesson_title))
        records[course_id].lessons.append(LessonRecord(module_title, lesson_title, opened_at, read_at))

    for completion in completions:
        records[completion.course_id].completions.append(
            CompletionRecord(
                cycle=completion.cycle,
                completed_at=completion.completed_at,
                course_version=completion.course_version,
                score=completion.score,
                language=completion.language,
                attempts=completion.attempts,
                first_opened_at=completion.first_opened_at,
            )
        )
    for cert, cycle in certificates:
        records[cert.course_id].certificates.append(
            CertificateRecord(
                code=cert.code,
                revision=cert.revision,
                status=certificate_status(cert, now),
                issued_at=cert.issued_at,
                expires_at=cert.expires_at,
                created_at=cert.created_at,
                revoked_at=cert.revoked_at,
                revoked_public_reason=cert.revoked_public_reason,
                revoked_reason=cert.revoked_reason if internal else None,
                superseded_at=cert.superseded_at,
                pending_reason=cert.pending_reason,
                cycle=cycle,
            )
        )

    events = _events(uid, internal)
    team = db.session.scalar(select(Team.name).where(Team.id == person.team_id)) if person.team_id else None
    courses = sorted(records.values(), key=lambda r: (r.cycle is None, r.title.casefold()))
    return Transcript(
        person_id=uid,
        name=person.display_name,
        email=person.email,
        team=team,
        job_role=person.job_role,
        active=person.active,
        generated_at=now,
        courses=courses,
        events=events[:EVENTS_SHOWN],
        more_events=len(events) > EVENTS_SHOWN,
        internal=internal,
    )


def _events(user_id: int, internal: bool) -> list[EventRecord]:
    """Audit events about the person: on their account, on their certificates, and their own course actions
    (renewals). Sign-ins are left to the audit log. One query, newest first."""
    codes = select(Certificate.code).where(Certificate.user_id == user_id)
    query = (
        select(AuditEvent)
        .where(
            or_(
                and_(AuditEvent.target_type == "user", AuditEvent.target_id == str(user_id)),
                and_(AuditEvent.target_type == "certificate", AuditEvent.target_id.in_(codes.scalar_subquery())),
                and_(AuditEvent.actor_id == user_id, AuditEvent.target_type == "course"),
            ),
            ~AuditEvent.action.startswith("auth."),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(EVENTS_SHOWN + 1)
    )
    return [
        EventRecord(
            at=event.at,
            action=event.action,
            actor_email=event.actor_email,
            target_type=event.target_type,
            target_id=event.target_id,
            details=(event.details or {}) if internal else None,
        )
        for event in db.session.scalars(query)
    ]
