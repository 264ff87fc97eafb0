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

from sqlalchemy import Row, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Course, Module, Quiz

CACHE_SIZE = 512  # course views (per version and language) kept per process; a course is ~100 small objects


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
    """A course version as learners see it in one language, built once per process (`views`). Attribute names
    follow the ORM model, so templates and progress calculations read either."""

    id: int
    slug: str
    title: str
    summary: str
    audience: str
    estimated_minutes: int
    facts_checked: date | None
    certificate_valid_months: int | None
    version: int
    content_hash: str | None
    published: bool
    source_language: str
    language: str  # the language asked for
    modules: tuple[ModuleView, ...] = field(default=())
    # Derived values shared by every request that shows this view (`progress.fresh_state`): filled on first use.
    shared: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

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
    """A small thread-safe LRU of course views keyed by (course id, content fingerprint, version, published,
    language)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple, CourseView] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> CourseView | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple, value: CourseView) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_cache = _Cache(CACHE_SIZE)


def key_columns() -> tuple:
    """The course row's fields that name its view: the content fingerprint covers everything else a CourseView
    shows (title, summary, translations, settings: `content.schema.fingerprint`), so these few plain columns are
    all a page reads of the course when its view is cached."""
    c = Course.__table__.c
    return (c.id, c.slug, c.content_hash, c.version, c.published)


def _key(course: Any, language: str) -> tuple:
    return (course.id, course.content_hash, course.version, course.published, language)


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
    """CourseViews for course rows (Course objects, or rows of `key_columns()`): each is built once per version
    and language; the courses not cached yet are read whole, content included, in one batch."""
    found = [_cache.get(_key(course, language)) for course in courses]
    missing = [course.id for course, view in zip(courses, found, strict=True) if view is None]
    if not missing:
        return found
    built = {}
    for course in db.session.scalars(select(Course).where(Course.id.in_(missing)).options(_content_options())):
        built[course.id] = _course_view(course, language, _build_modules(course, language))
        # Under the key of the row read now: if the course changed since `courses` was read, the newer view is
        # cached under its own key, and this page shows the newer one.
        _cache.put(_key(course, language), built[course.id])
    return [view if view is not None else built[course.id] for course, view in zip(courses, found, strict=True)]


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
        content_hash=course.content_hash,
        published=course.published,
        source_language=course.source_language,
        language=language,
        modules=modules,
    )


def sorted_views(courses: Sequence[Row], language: str) -> list[CourseView]:
    """`views` by title in `language` of `key_columns()` rows; the list is kept for each set of rows (the catalogue
    and the dashboard show every published course on every request)."""
    # The rows themselves are the key (they hash and compare by value): a tenth of the cost of picking fields.
    key = (language, *courses)
    found = _lists.get(key)
    if found is None:
        found = sorted(views(courses, language), key=lambda view: view.title.casefold())
        if len(_lists) >= LISTS:
            _lists.clear()
        _lists[key] = found
    return list(found)


LISTS = 64  # sorted lists (a language and a set of course versions) kept per process
_lists: dict[tuple, list[CourseView]] = {}


def clear_cache() -> None:
    _cache.clear()
    _lists.clear()
