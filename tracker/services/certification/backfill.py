"""Certificates for completions that have none: course cycles completed before certificates existed (data
upgraded from the first schema), or completions recorded without a certificate.

Safe to run twice or at the same time as another run: each issue goes through the unique keys of completions
(user, course, cycle) and of certificate revisions (completion, revision); the loser of a race skips the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select

from ...extensions import db
from ...models import Certificate, Completion, Course, CourseProgress, User, utcnow
from .issuing import award_if_new, issue_for_completion


@dataclass(frozen=True)
class Missing:
    """One completed course cycle without a certificate: a progress row (no completion recorded) or a completion."""

    progress_id: int | None = None
    completion_id: int | None = None


@dataclass(frozen=True)
class Issued:
    course_slug: str
    email: str
    code: str
    pending: bool  # the name could not be printed: an admin resolves it by reissuing


def missing() -> list[Missing]:
    """Everything without a certificate, oldest completion first."""
    completion_of_cycle = exists().where(
        Completion.user_id == CourseProgress.user_id,
        Completion.course_id == CourseProgress.course_id,
        Completion.cycle == CourseProgress.cycle,
    )
    rows = db.session.scalars(
        select(CourseProgress.id)
        .where(CourseProgress.completed_at.is_not(None), ~completion_of_cycle)
        .order_by(CourseProgress.completed_at, CourseProgress.id)
    )
    found = [Missing(progress_id=row_id) for row_id in rows]
    bare = db.session.scalars(
        select(Completion.id)
        .where(~exists().where(Certificate.completion_id == Completion.id))
        .order_by(Completion.completed_at, Completion.id)
    )
    return found + [Missing(completion_id=completion_id) for completion_id in bare]


def fill(item: Missing, now: datetime | None = None) -> Issued | None:
    """Issue the certificate of one missing item; None when it has one by now (another run was first)."""
    now = now or utcnow()
    if item.progress_id is not None:
        row = db.session.get(CourseProgress, item.progress_id)
        if row is None or row.completed_at is None:
            return None
        cert = award_if_new(row, db.session.get_one(Course, row.course_id), now=now)
    else:
        completion = db.session.get(Completion, item.completion_id)
        cert = issue_for_completion(completion, now=now) if completion is not None else None
    if cert is None:
        return None
    course = db.session.get_one(Course, cert.course_id)
    user = db.session.get_one(User, cert.user_id)
    return Issued(course.slug, user.email, cert.code, cert.pending_reason is not None)
