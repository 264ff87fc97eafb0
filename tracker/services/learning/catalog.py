"""The course catalogue: published courses and learning paths, loaded with the content tree where a page walks it."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Course, LearningPath, LearningPathCourse, Module
from .. import queries
from . import structure


def course_content_options():
    """Eager loading for anything that walks a course's modules, lessons and quizzes."""
    return selectinload(Course.modules).options(selectinload(Module.lessons), selectinload(Module.quiz))


@cache
def _published_rows() -> Select:
    c = Course.__table__.c  # table columns throughout: a plain Core statement, no ORM compilation
    return select(*structure.key_columns()).where(c.published.is_(True))


def published_rows() -> list[Row]:
    """Every published course's `structure.key_columns()` (what names its cached view)."""
    return queries.run(_published_rows()).all()


@cache
def _head_by_slug() -> Select:
    # Every course, lesson and quiz page runs this: built once, not per request.
    return select(*structure.key_columns()).where(Course.__table__.c.slug == bindparam("slug"))


def course_head_by_slug(slug: str) -> Row | None:
    """A course's `structure.key_columns()`, for a page that shows it from the structure cache."""
    return queries.run(_head_by_slug(), {"slug": slug}).first()


def published_views(language: str) -> list[structure.CourseView]:
    """Every published course as learners see it in `language`, by its title there. The content comes from the
    per-version cache: one query for the rows when it is warm."""
    return structure.sorted_views(published_rows(), language)


def course_by_slug(slug: str, *, with_content: bool = False) -> Course | None:
    query = select(Course).where(Course.slug == slug)
    if with_content:
        query = query.options(course_content_options())
    return db.session.scalar(query)


def course_with_content(course_id: int) -> Course:
    return db.session.scalars(select(Course).where(Course.id == course_id).options(course_content_options())).one()


def learning_paths() -> list[LearningPath]:
    """Every learning path with its courses in order."""
    return list(
        db.session.scalars(
            select(LearningPath)
            .options(selectinload(LearningPath.entries).selectinload(LearningPathCourse.course))
            .order_by(LearningPath.id)
        )
    )
