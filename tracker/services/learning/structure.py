"""A course as learners see it: modules, lessons and quiz settings in their language, cached per course version.

A course's content only changes with a new version (its content fingerprint), so its structure and rendered lesson
text are built once per process for each (course, fingerprint, language) and reused by every page: learner pages
read only the small course row and the learner's own state from the database. A new version has a new
fingerprint, so nothing stale is ever served, on any worker.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Course, Module, Quiz

CACHE_SIZE = 512  # (course, version, language) structures kept per process; a course is ~100 small objects


@dataclass(frozen=True)
class LessonView:
    id: int
    slug: str
    title: str
    objectives: tuple[str, ...]
    body_html: str
    key_points: tuple[str, ...]
    sources: tuple[dict[str, Any], ...]
    word_count: int
    translated: bool  # in the language asked for (False: shown in the course's own language)


@dataclass(frozen=True)
class QuizView:
    id: int
    course_id: int
    pass_mark: int
    questions_per_attempt: int
    max_attempts: int | None
    cooldown_minutes: int
    cooldown_after_failures: int
    review_after_fail: str
    review_after_pass: str
    pool_size: int


@dataclass(frozen=True)
class ModuleView:
    id: int
    slug: str
    title: str
    lessons: tuple[LessonView, ...]
    quiz: QuizView | None
    translated: bool


@dataclass(frozen=True)
class CourseView:
    """The course row's own fields (live) with the cached modules. Attribute names follow the ORM model, so
    templates and progress calculations read either."""

    id: int
    slug: str
    title: str
    summary: str
    audience: str
    estimated_minutes: int
    facts_checked: date | None
    certificate_valid_months: int | None
    version: int
    published: bool
    source_language: str
    language: str  # the language asked for
    modules: tuple[ModuleView, ...] = field(default=())

    @property
    def in_own_language(self) -> bool:
        return self.language == self.source_language

    @property
    def untranslated(self) -> bool:
        """Some of the course is shown in its own language because no translation covers it."""
        return not self.in_own_language and any(
            not m.translated or any(not lesson.translated for lesson in m.lessons) for m in self.modules
        )

    @property
    def translated_at_all(self) -> bool:
        return self.in_own_language or any(m.translated for m in self.modules)

    def module(self, slug: str) -> ModuleView | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def lesson_sequence(self) -> list[tuple[ModuleView, LessonView]]:
        return [(module, lesson) for module in self.modules for lesson in module.lessons]


class _Cache:
    """A small thread-safe LRU of module tuples keyed by (course id, content fingerprint, language)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple, tuple[ModuleView, ...]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> tuple[ModuleView, ...] | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple, value: tuple[ModuleView, ...]) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_cache = _Cache(CACHE_SIZE)


def head_columns() -> tuple:
    """The course row's own fields that a CourseView shows (plain columns: no ORM object is built for them)."""
    c = Course.__table__.c
    return (
        c.id,
        c.slug,
        c.title,
        c.summary,
        c.audience,
        c.estimated_minutes,
        c.facts_checked,
        c.certificate_valid_months,
        c.version,
        c.content_hash,
        c.published,
        c.source_language,
        c.translations,
    )


def _text(obj: Any, language: str, key: str, default: Any) -> tuple[Any, bool]:
    translated = (obj.translations or {}).get(language, {})
    return (translated[key], True) if key in translated else (default, False)


def _build_modules(course: Course, language: str) -> tuple[ModuleView, ...]:
    own = language == course.source_language
    modules = []
    for module in course.modules:
        lessons = []
        for lesson in module.lessons:
            mine = {} if own else (lesson.translations or {}).get(language, {})
            lessons.append(
                LessonView(
                    id=lesson.id,
                    slug=lesson.slug,
                    title=mine.get("title", lesson.title),
                    objectives=tuple(mine.get("objectives", lesson.objectives)),
                    body_html=mine.get("body_html", lesson.body_html),
                    key_points=tuple(mine.get("key_points", lesson.key_points)),
                    sources=tuple(mine.get("sources", lesson.sources)),
                    word_count=lesson.word_count,
                    translated=own or bool(mine),
                )
            )
        quiz = module.quiz
        title, translated = (module.title, True) if own else _text(module, language, "title", module.title)
        modules.append(
            ModuleView(
                id=module.id,
                slug=module.slug,
                title=title,
                lessons=tuple(lessons),
                quiz=None
                if quiz is None
                else QuizView(
                    id=quiz.id,
                    course_id=course.id,
                    pass_mark=quiz.pass_mark,
                    questions_per_attempt=quiz.questions_per_attempt,
                    max_attempts=quiz.max_attempts,
                    cooldown_minutes=quiz.cooldown_minutes,
                    cooldown_after_failures=quiz.cooldown_after_failures,
                    review_after_fail=quiz.review_after_fail,
                    review_after_pass=quiz.review_after_pass,
                    pool_size=len(quiz.questions),
                ),
                translated=translated,
            )
        )
    return tuple(modules)


def _content_options():
    return selectinload(Course.modules).options(
        selectinload(Module.lessons), selectinload(Module.quiz).selectinload(Quiz.questions)
    )


def views(courses: Sequence[Any], language: str) -> list[CourseView]:
    """CourseViews for course rows (Course objects, or rows of `head_columns()`; loaded without their content):
    content is read only for the courses whose version is not cached yet, in one batch."""
    missing = [c.id for c in courses if _cache.get((c.id, c.content_hash, language)) is None]
    if missing:
        loaded = db.session.scalars(select(Course).where(Course.id.in_(missing)).options(_content_options()))
        for course in loaded:
            _cache.put((course.id, course.content_hash, language), _build_modules(course, language))
    result = []
    for course in courses:
        modules = _cache.get((course.id, course.content_hash, language))
        if modules is None:  # evicted at once by a flood of other courses: build it directly
            full = db.session.scalars(select(Course).where(Course.id == course.id).options(_content_options())).one()
            modules = _build_modules(full, language)
        result.append(_course_view(course, language, modules))
    return result


def view(course: Any, language: str) -> CourseView:
    return views([course], language)[0]


def _course_view(course: Any, language: str, modules: tuple[ModuleView, ...]) -> CourseView:
    own = language == course.source_language
    head = {} if own else (course.translations or {}).get(language, {})
    return CourseView(
        id=course.id,
        slug=course.slug,
        title=head.get("title", course.title),
        summary=head.get("summary", course.summary),
        audience=head.get("audience", course.audience),
        estimated_minutes=course.estimated_minutes,
        facts_checked=course.facts_checked,
        certificate_valid_months=course.certificate_valid_months,
        version=course.version,
        published=course.published,
        source_language=course.source_language,
        language=language,
        modules=modules,
    )


def clear_cache() -> None:
    _cache.clear()
