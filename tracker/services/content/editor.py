"""The content editor: the course list, what publishing a course file would change, and publishing it."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from ...extensions import db
from ...i18n import LANGUAGES
from ...models import Course, Lesson, Module, Question, Quiz, User
from .. import DomainError, audit
from . import translations
from .export import course_for_export, export_course, export_translation
from .loader import LoadResult, apply_course
from .markdown import render_markdown
from .schema import fingerprint, validate_course

COURSE_FIELDS = ("title", "summary", "audience", "estimated_minutes", "facts_checked", "certificate_valid_months")


@dataclass(frozen=True)
class LanguageStatus:
    language: str
    translated: int  # modules, lessons and questions with text in this language
    total: int

    @property
    def complete(self) -> bool:
        return self.translated == self.total

    @property
    def missing(self) -> int:
        return self.total - self.translated


@dataclass(frozen=True)
class CourseRow:
    course: Course
    modules: int
    lessons: int
    questions: int
    translations: tuple[LanguageStatus, ...] = ()


def course_rows() -> list[CourseRow]:
    """Every course (published or not) with its number of current modules, lessons and questions: one query."""
    live_module = (Module.course_id == Course.id, Module.retired.is_(False))
    modules = select(func.count(Module.id)).where(*live_module).correlate(Course).scalar_subquery()
    lessons = (
        select(func.count(Lesson.id))
        .join(Module, Module.id == Lesson.module_id)
        .where(*live_module, Lesson.retired.is_(False))
        .correlate(Course)
        .scalar_subquery()
    )
    questions = (
        select(func.count(Question.id))
        .join(Quiz, Quiz.id == Question.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .where(*live_module, Question.retired.is_(False))
        .correlate(Course)
        .scalar_subquery()
    )
    rows = db.session.execute(select(Course, modules, lessons, questions).order_by(Course.title, Course.id))
    statuses = translation_counts()
    return [
        CourseRow(
            course,
            m,
            lesson_count,
            q,
            tuple(
                LanguageStatus(language, statuses.get((course.id, language), 0), m + lesson_count + q)
                for language in LANGUAGES
                if language != course.source_language and (course.id, language) in statuses
            ),
        )
        for course, m, lesson_count, q in rows
    ]


def _has_language(column, language: str):
    """SQL: the JSON column has text for `language` (a key of the fixed LANGUAGES, never user input)."""
    if db.engine.dialect.name == "postgresql":
        return func.json_extract_path(column, language).is_not(None)
    return func.json_extract(column, f'$."{language}"').is_not(None)


def translation_counts() -> dict[tuple[int, str], int]:
    """(course id, language) -> how many live modules, lessons and questions are translated. Three grouped
    queries, whatever the number of courses and languages; only the keys of the stored JSON are read."""
    counts: dict[tuple[int, str], int] = {}
    live = Module.retired.is_(False)
    queries = {
        Module: select(Module.course_id).select_from(Module).where(live),
        Lesson: select(Module.course_id)
        .select_from(Lesson)
        .join(Module, Module.id == Lesson.module_id)
        .where(live, Lesson.retired.is_(False)),
        Question: select(Module.course_id)
        .select_from(Question)
        .join(Quiz, Quiz.id == Question.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .where(live, Question.retired.is_(False)),
    }
    for model, query in queries.items():
        columns = [func.sum(case((_has_language(model.translations, lang), 1), else_=0)) for lang in LANGUAGES]
        for row in db.session.execute(query.add_columns(*columns).group_by(Module.course_id)):
            for language, value in zip(LANGUAGES, row[1:], strict=True):
                if value:
                    counts[(row[0], language)] = counts.get((row[0], language), 0) + int(value)
    return counts


@dataclass
class ModuleChanges:
    slug: str
    title: str
    status: str  # added | changed | unchanged | retired
    lessons: dict[str, list[str]] = field(default_factory=dict)  # added/changed/retired -> lesson titles
    questions: dict[str, list[str]] = field(default_factory=dict)  # added/changed/retired -> question ids
    quiz_settings_changed: bool = False


@dataclass
class PublicationPlan:
    """A validated course file next to the stored course: the version it will get and what changes."""

    course: dict[str, Any]  # normalised content, lessons carrying their rendered `body_html`
    status: str  # new | unchanged | updated
    current_version: int | None
    next_version: int
    published: bool  # whether learners currently see the course (new courses are published)
    course_fields_changed: list[str] = field(default_factory=list)
    modules: list[ModuleChanges] = field(default_factory=list)

    @property
    def facts_checked(self) -> dt.date | None:
        value = self.course["facts_checked"]
        return dt.date.fromisoformat(value) if value else None


def plan_publication(data: dict[str, Any]) -> PublicationPlan:
    """Compare a validated course with the stored one; nothing is written."""
    stored = course_for_export(data["slug"])
    shown = _with_rendered_bodies(data)
    if stored is None:
        modules = [ModuleChanges(m["slug"], m["title"], "added") for m in data["modules"]]
        return PublicationPlan(shown, "new", None, 1, True, modules=modules)
    if stored.content_hash == fingerprint(with_stored_translations(data)):
        return PublicationPlan(shown, "unchanged", stored.version, stored.version, stored.published)
    current, _problems = validate_course(export_course(stored))
    # A stored course always exports to valid content (the round-trip test pins this); guard anyway.
    current = current or {"modules": [], **dict.fromkeys(COURSE_FIELDS)}
    plan = PublicationPlan(shown, "updated", stored.version, stored.version + 1, stored.published)
    plan.course_fields_changed = [name for name in COURSE_FIELDS if current.get(name) != data[name]]
    plan.modules = _compare_modules(current["modules"], data["modules"])
    return plan


def _with_rendered_bodies(data: dict[str, Any]) -> dict[str, Any]:
    shown = copy.deepcopy(data)
    for module in shown["modules"]:
        for lesson in module["lessons"]:
            lesson["body_html"] = render_markdown(lesson["body"])
    return shown


def _compare_modules(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[ModuleChanges]:
    old_by_slug = {m["slug"]: m for m in old}
    result = []
    for module in new:
        before = old_by_slug.get(module["slug"])
        if before is None:
            result.append(ModuleChanges(module["slug"], module["title"], "added"))
            continue
        changes = ModuleChanges(module["slug"], module["title"], "unchanged")
        changes.lessons = _compare_items(before["lessons"], module["lessons"], "slug", "title")
        changes.questions = _compare_items(before["quiz"]["questions"], module["quiz"]["questions"], "key", "key")
        settings = ("pass_mark", "questions_per_attempt", "max_attempts", "cooldown_minutes")
        changes.quiz_settings_changed = any(before["quiz"][s] != module["quiz"][s] for s in settings)
        if (
            changes.lessons
            or changes.questions
            or changes.quiz_settings_changed
            or before["title"] != module["title"]
            or [x["slug"] for x in before["lessons"]] != [x["slug"] for x in module["lessons"]]
            or [x["key"] for x in before["quiz"]["questions"]] != [x["key"] for x in module["quiz"]["questions"]]
        ):
            changes.status = "changed"
        result.append(changes)
    wanted = {m["slug"] for m in new}
    result.extend(ModuleChanges(m["slug"], m["title"], "retired") for m in old if m["slug"] not in wanted)
    return result


def _compare_items(old: list[dict], new: list[dict], key: str, label: str) -> dict[str, list[str]]:
    """Items matched on their stable key: added, changed (any field differs) and retired, each by label."""
    old_by_key = {item[key]: item for item in old}
    new_keys = {item[key] for item in new}
    changes: dict[str, list[str]] = {}
    for item in new:
        before = old_by_key.get(item[key])
        if before is None:
            changes.setdefault("added", []).append(item[label])
        elif before != item:
            changes.setdefault("changed", []).append(item[label])
    for item in old:
        if item[key] not in new_keys:
            changes.setdefault("retired", []).append(item[label])
    return changes


# --- Publishing ---------------------------------------------------------------------------------------------------


class StalePreview(DomainError):
    """The stored course changed between the preview and the publish; the preview no longer tells the truth."""


def content_hash_of(slug: str) -> str | None:
    return db.session.scalar(select(Course.content_hash).where(Course.slug == slug))


def with_stored_translations(data: dict[str, Any]) -> dict[str, Any]:
    """The edited course with the translations already stored for it, fitted to the edit (what no longer matches
    is dropped, so learners see the source text there until the translation is updated)."""
    course = course_for_export(data["slug"])
    if course is None:
        return data
    kept = {}
    for language in course.translations:
        translation = translations.carry_over(data, export_translation(course, language))
        if translation is not None:
            kept[language] = translation
    return {**data, "translations": kept}


def publish_course(actor: User, data: dict[str, Any], previewed_hash: str | None) -> LoadResult:
    """Apply a validated course that was previewed against the stored content with hash `previewed_hash`.

    Publishing the same content twice is a no-op (audited as `content.unchanged`), so a double submit never bumps
    the version twice. If someone else published a different version since the preview, nothing is written.
    """
    data = with_stored_translations(data)
    stored_hash = content_hash_of(data["slug"])
    if stored_hash not in (previewed_hash, fingerprint(data)):
        raise StalePreview(
            _(
                "The course %(slug)s was changed by someone else after your preview. Check the changes again.",
                slug=repr(data["slug"]),
            )
        )
    result = apply_course(data)
    action = "content.unchanged" if result.status == "unchanged" else "content.published"
    course_id = db.session.scalar(select(Course.id).where(Course.slug == result.slug))
    audit.record(
        action,
        actor=actor,
        target_type="course",
        target_id=course_id,
        details={"slug": result.slug, "version": result.version, "status": result.status},
    )
    return result


def set_published(actor: User, course: Course, published: bool) -> bool:
    """Show or hide a course for learners; their history stays. Returns whether anything changed."""
    if course.published == published:
        return False
    course.published = published
    audit.record(
        "content.republished" if published else "content.unpublished",
        actor=actor,
        target_type="course",
        target_id=course.id,
        details={"slug": course.slug, "version": course.version},
    )
    db.session.flush()
    return True
