"""Reading lessons: the learner's step that records progress and, when it completes a course, its certificate.

The time a learner spends on a lesson is measured without JavaScript: the lesson page carries a signed stamp of
when it was served, and marking the lesson read returns it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from ...models import Course, Lesson, User
from .. import certification
from . import progress

OPENED_SALT = "lesson-opened"
# A page left open longer than this says nothing about reading time: the stamp is ignored.
LONGEST_READING = timedelta(hours=4)


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=OPENED_SALT)


def opened_stamp(user: User, lesson_id: int) -> str:
    """A signed stamp of now, for this learner and lesson, to put in the lesson page's mark-as-read form."""
    return _signer().sign(f"{user.id}:{lesson_id}").decode()


def opened_at(stamp: str | None, user: User, lesson_id: int) -> datetime | None:
    """When the page carrying `stamp` was served; None for a missing, forged, foreign or stale stamp."""
    if not stamp:
        return None
    try:
        value, when = _signer().unsign(stamp, max_age=int(LONGEST_READING.total_seconds()), return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    if value.decode() != f"{user.id}:{lesson_id}":
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_lesson(
    user: User,
    lesson: Lesson,
    now: datetime | None = None,
    *,
    course: Course | None = None,
    opened: datetime | None = None,
) -> bool:
    """Mark a lesson read (safe under double submit); return False when it was read before. `course`: the course
    with its content when the caller has it (a course view); `opened`: when the page was served."""
    created, completed = progress.mark_lesson_read(user, lesson, now, course=course, opened_at=opened)
    for row in completed:
        certification.award(row, row.course)
    return created
