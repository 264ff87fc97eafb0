"""The learner's home page: what is assigned and due, what is under way, certificates to renew, what to start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Row, Select, bindparam

from ...enums import StepKind
from ...extensions import db
from ...models import Certificate, Course, User, utcnow
from .. import certification, queries
from ..organisation.assignments import Person, due_dates_of
from ..queries import current_certificates
from . import catalog, progress


@dataclass(frozen=True)
class Dashboard:
    today: date
    assigned: list[tuple[date, progress.CourseState]]  # assigned courses: unfinished first, then by due date
    due: dict[int, date]  # course id -> due date
    certificates: dict[int, Row]  # course id -> the current certificate (`_own_certificates` columns)
    renewals: list[Row]  # certificates in their recertification window
    mine: list[tuple[progress.Started, progress.CourseState]]  # courses begun, most recent activity first
    resume: tuple[progress.Started, progress.CourseState] | None  # the most recent unfinished course
    not_started: list[progress.CourseState]


@cache
def _own_certificates() -> Select:
    # Every dashboard runs this: built once, not per request (building a statement costs more than running it).
    # Plain columns (what the cards and renewal notices show, `certification.status` reads, and the course's
    # address), not Certificate objects.
    certs, courses = Certificate.__table__.c, Course.__table__.c
    return (
        current_certificates(
            certs.id,
            certs.course_id,
            certs.code,
            certs.course_title,
            certs.issued_at,
            certs.expires_at,
            certs.revoked_at,
            certs.superseded_at,
            certs.pending_reason,
            courses.slug.label("course_slug"),
        )
        .join_from(Certificate.__table__, Course.__table__, courses.id == certs.course_id)
        .where(certs.user_id == bindparam("user_id"))
        .order_by(certs.issued_at)
    )


def build(user: User, language: str, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    courses = catalog.published_views(language)
    own: list[progress.Started] = []
    states = progress.course_states(user.id, courses, started=own)
    rows = [row for row in own if row.course_id in states]
    mine = [(row, states[row.course_id]) for row in rows]
    started = {row.course_id for row in rows}
    certificates = {cert.course_id: cert for cert in queries.run(_own_certificates(), {"user_id": user.id})}
    due = due_dates_of(Person(user.id, user.team_id, user.job_role))
    assigned = sorted(
        ((due_on, states[course_id]) for course_id, due_on in due.items() if course_id in states),
        key=lambda item: (item[1].complete, item[0]),
    )
    unfinished = [(row, state) for row, state in mine if state.next_step().kind != StepKind.DONE]
    return Dashboard(
        today=now.date(),
        assigned=assigned,
        due=due,
        certificates=certificates,
        renewals=[c for c in certificates.values() if certification.can_renew(c, now)],
        mine=mine,
        resume=unfinished[0] if unfinished else None,
        not_started=[states[c.id] for c in courses if c.id not in started],
    )


def my_certificates(user: User) -> list[Certificate]:
    """The learner's current certificates, newest award first."""
    return list(
        db.session.scalars(
            current_certificates().where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc())
        )
    )


@dataclass(frozen=True)
class NextCourse:
    """What to take after finishing a course, and why it is suggested."""

    state: progress.CourseState
    reason: str  # "path" (next on a learning path), "assigned", "in_progress" or "not_started"
    path_title: str | None = None
    due_on: date | None = None


def next_after(user: User, course_id: int, language: str) -> NextCourse | None:
    """The learner's next step once a course is complete, in the order the dashboard weighs things: the next
    unfinished course of a learning path holding this one, else the assigned course due soonest, else the course
    under way most recently, else a course not started yet. None when every published course is complete."""
    courses = catalog.published_views(language)
    states = progress.course_states(user.id, courses)
    open_states = {cid: state for cid, state in states.items() if cid != course_id and not state.complete}
    if not open_states:
        return None
    for path in catalog.learning_paths():
        order = [entry.course_id for entry in path.entries]
        if course_id in order:
            at = order.index(course_id)
            for candidate in order[at + 1 :] + order[:at]:  # the courses after this one first
                if candidate in open_states:
                    return NextCourse(open_states[candidate], "path", path_title=path.title)
    due = due_dates_of(Person(user.id, user.team_id, user.job_role))
    assigned = sorted((due_on, cid) for cid, due_on in due.items() if cid in open_states)
    if assigned:
        due_on, cid = assigned[0]
        return NextCourse(open_states[cid], "assigned", due_on=due_on)
    for row in progress.progress_rows(user.id):
        if row.course_id in open_states:
            return NextCourse(open_states[row.course_id], "in_progress")
    first = next(iter(state for state in open_states.values()))
    return NextCourse(first, "not_started")
