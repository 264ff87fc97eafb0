"""Reopening a course for a learner: a new cycle that an admin or manager starts, e.g. after a revocation.

Like a recertification, the new cycle counts only quizzes passed from now on; every earlier attempt, completion
and certificate stays as it was, as history. Lessons already read stay read (the learner may read them again).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from ...extensions import db
from ...models import Certificate, Completion, Course, CourseProgress, User, utcnow
from .. import DomainError, FieldError, audit
from . import progress
from .structure import CourseView


class AlreadyReopened(DomainError):
    """The cycle the request was made for has already been replaced (a double submit, or another admin)."""


def current_cycle(user_id: int, course_id: int) -> int | None:
    """The learner's cycle number in the course (None: never started), which a reopen request must name."""
    return db.session.scalar(
        select(CourseProgress.cycle).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
    )


def reopen_course(
    actor: User,
    person: User,
    course: Course | CourseView,
    reason: str,
    *,
    cycle: int,
    now: datetime | None = None,
) -> CourseProgress:
    """Start a new cycle of `course` for `person`, replacing `cycle` (the one the confirmation page showed).

    The cycle number is the guard against doing it twice: the UPDATE only applies while the stored cycle is still
    `cycle`, so of two identical submits (or two admins at once) one reopens and the other raises AlreadyReopened.
    `course` carries its content (a course view), which tells whether it has a quiz to pass again."""
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", _("Give a reason for reopening the course."))
    if person.id == actor.id:
        raise DomainError(_("You cannot reopen a course on your own record; ask another administrator or manager."))
    if not any(module.quiz is not None for module in course.modules):
        # Without a quiz the new cycle would be complete at once, with lessons read long ago.
        raise DomainError(_("This course has no quiz to pass again, so it cannot be reopened."))
    row = db.session.scalar(
        select(CourseProgress).where(CourseProgress.user_id == person.id, CourseProgress.course_id == course.id)
    )
    if row is None:
        raise DomainError(
            _("%(name)s has not started this course: there is nothing to reopen.", name=person.display_name)
        )
    now = now or utcnow()
    reopened = db.session.execute(
        update(CourseProgress)
        .where(CourseProgress.id == row.id, CourseProgress.cycle == cycle)
        .values(
            cycle=CourseProgress.cycle + 1,
            cycle_started_at=now,
            completed_at=None,
            completed_version=None,
            best_score=None,
            last_activity_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not reopened:
        raise AlreadyReopened(
            _("This course was already reopened for %(name)s; nothing more was changed.", name=person.display_name)
        )
    db.session.refresh(row)
    # Recount the new cycle (no quiz is passed in it yet, so it cannot be complete: nothing to award).
    progress.refresh(person.id, course, now=now)
    previous = db.session.scalar(
        select(Certificate.code)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(Certificate.user_id == person.id, Certificate.course_id == course.id)
        .order_by(Completion.cycle.desc(), Certificate.revision.desc())
        .limit(1)
    )
    audit.record(
        "course.reopened",
        actor=actor,
        target_type="user",
        target_id=person.id,
        details={"course": course.slug, "cycle": row.cycle, "reason": reason, "previous_certificate": previous},
    )
    return row
