"""Reading lessons: the learner's step that records progress and, when it completes a course, its certificate."""

from __future__ import annotations

from datetime import datetime

from ...models import Course, Lesson, User
from .. import certification
from . import progress


def read_lesson(user: User, lesson: Lesson, now: datetime | None = None, *, course: Course | None = None) -> bool:
    """Mark a lesson read (safe under double submit); return False when it was read before. `course`: the course
    with its content when the caller has it (a course view)."""
    created, completed = progress.mark_lesson_read(user, lesson, now, course=course)
    for row in completed:
        certification.award(row, row.course)
    return created
