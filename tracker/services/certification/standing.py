"""Where a learner stands after a certificate was revoked: told why, and shown the way back to a new certificate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...models import Certificate, CourseProgress


@dataclass(frozen=True)
class AfterRevocation:
    reopened_at: datetime | None  # when a new cycle of the course began, if one began after the revocation
    earned_again: bool  # a certificate for the course awarded after the revoked one is held


def after_revocation(user_id: int, certificates: Sequence[Certificate]) -> dict[int, AfterRevocation]:
    """For each revoked certificate among `certificates` (the learner's), keyed by id: whether the course was reopened
    since and whether a newer certificate replaced it. One query, whatever the number of certificates."""
    revoked = [cert for cert in certificates if cert.revoked_at is not None]
    if not revoked:
        return {}
    cycle_starts = dict(
        db.session.execute(
            select(CourseProgress.course_id, CourseProgress.cycle_started_at).where(
                CourseProgress.user_id == user_id,
                CourseProgress.course_id.in_(sorted({cert.course_id for cert in revoked})),
            )
        ).all()
    )
    result = {}
    for cert in revoked:
        started = cycle_starts.get(cert.course_id)
        newer = any(
            other.course_id == cert.course_id and other.revoked_at is None and other.issued_at > cert.issued_at
            for other in certificates
        )
        reopened = started if started is not None and started >= cert.revoked_at else None
        result[cert.id] = AfterRevocation(reopened, newer)
    return result
