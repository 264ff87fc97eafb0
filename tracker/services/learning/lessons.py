"""Reading lessons: the learner's step that records progress and, when it completes a course, its certificate."""

from __future__ import annotations

from datetime import datetime

from ...models import Lesson, User
from .. import certification
from . import progress


def read_lesson(user: User, lesson: Lesson, now: datetime | None = None) -> bool:
    """Mark a lesson read (safe under double submit); return False when it was read before."""
    created, completed = progress.mark_lesson_read(user, lesson, now)
    for row in completed:
        certification.award(row, row.course)
    return created
