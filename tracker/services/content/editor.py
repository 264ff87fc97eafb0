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
from ...models import Course, CourseVersion, Lesson, Module, Question, Quiz, User
from .. import DomainError, audit
from . import changes, drafts, quality, translations, versions
from .changes import CourseChanges
from .export import course_for_export, export_translation
from .loader import NEW_COURSE, Base, LoadResult, StaleContent, apply_course
from .markdown import render_markdown
from .schema import fingerprint


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
class PublicationPlan:
    """A validated course next to the stored one: the version it will get and what changes, field by field."""

    course: dict[str, Any]  # normalised content, lessons carrying their rendered `body_html`
    status: str  # new | unchanged | updated
    base: Base  # the stored course this preview was made against; publishing is refused if it changed since
    next_version: int
    published: bool  # whether learners currently see the course (new courses are published)
    changes: CourseChanges = field(default_factory=CourseChanges)
    pool_findings: list[str] = field(default_factory=list)  # quiz pool checks (quality.py); not blocking

    @property
    def current_version(self) -> int | None:
        return self.base.version

    @property
    def modules(self):
        return self.changes.modules

    @property
    def facts_checked(self) -> dt.date | None:
        value = self.course["facts_checked"]
        return dt.date.fromisoformat(value) if value else None


def plan_publication(data: dict[str, Any], restore: CourseVersion | None = None) -> PublicationPlan:
    """Compare a validated course with the stored one, with the translations publishing would give it (the
    stored ones fitted to the edit, or those of the version being restored); nothing is written."""
    data = with_version_translations(data, restore) if restore is not None else with_stored_translations(data)
    stored = db.session.scalar(select(Course).where(Course.slug == data["slug"]))
    shown = _with_rendered_bodies(data)
    report = quality.pool_report(data)
    findings = report.cue_problems() + report.shape_problems()
    if stored is None:
        return PublicationPlan(shown, "new", NEW_COURSE, 1, True, changes.compare(None, data), findings)
    base = Base(stored.version, stored.content_hash)
    if stored.content_hash == fingerprint(data):
        return PublicationPlan(shown, "unchanged", base, stored.version, stored.published, pool_findings=findings)
    current = versions.get_version(stored, stored.version)
    if current is not None and current.content_hash == stored.content_hash:
        before = current.content
    else:
        before, _text = versions.stored_content(stored)
    return PublicationPlan(
        shown, "updated", base, stored.version + 1, stored.published, changes.compare(before, data), findings
    )


def _with_rendered_bodies(data: dict[str, Any]) -> dict[str, Any]:
    shown = copy.deepcopy(data)
    for module in shown["modules"]:
        for lesson in module["lessons"]:
            lesson["body_html"] = render_markdown(lesson["body"])
    return shown


# --- Publishing ---------------------------------------------------------------------------------------------------


class StalePreview(DomainError):
    """The stored course changed between the preview and the publish; the preview no longer tells the truth."""

    def __init__(
        self, slug: str, version: int, published_at: dt.datetime | None, published_by: str | None, since: Base
    ) -> None:
        super().__init__(_("Someone else published version %(version)s; review their changes.", version=version))
        self.slug = slug
        self.version = version  # the version stored now
        self.published_at = published_at
        self.published_by = published_by  # None: loaded from files
        self.since = since  # the version the refused change was prepared against


def conflict(slug: str, since: Base) -> StalePreview | None:
    """Who published what since `since`, if the stored course is no longer that version."""
    row = db.session.execute(select(Course.id, Course.version, Course.content_hash).where(Course.slug == slug)).first()
    if row is None or Base(row.version, row.content_hash) == since:
        return None
    at, by = versions.who_published(row.id, row.version)
    return StalePreview(slug, row.version, at, by, since)


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


def with_version_translations(data: dict[str, Any], version: CourseVersion) -> dict[str, Any]:
    """The course being restored with the translations of the version it restores, checked against it again."""
    return {**data, "translations": versions.restored_translations(version, data)}


def publish_course(
    actor: User | None,
    data: dict[str, Any],
    base: Base,
    *,
    source_text: str | None = None,
    restore: CourseVersion | None = None,
    discard_draft: bool = False,
) -> LoadResult:
    """Publish a validated course that was previewed against the stored course `base`: with the stored
    translations fitted to it, or, for a restore, with those of the version restored.

    Publishing the same content twice is a no-op (audited as `content.unchanged`), so a double submit never bumps
    the version twice. If someone else published since the preview, nothing is written and StalePreview says who
    and when: the version is claimed by a conditional UPDATE, so of two publishes from one preview exactly one
    wins.
    """
    restored_from = restore.version if restore is not None else None
    data = with_version_translations(data, restore) if restore is not None else with_stored_translations(data)
    try:
        result = apply_course(data, base, source_text=source_text, actor=actor, restored_from=restored_from)
    except StaleContent:
        stale = conflict(data["slug"], base)
        if stale is None:  # cannot happen: the version check failed because the stored course changed
            raise
        raise stale from None
    action = "content.unchanged" if result.status == "unchanged" else "content.published"
    course_id = db.session.scalar(select(Course.id).where(Course.slug == result.slug))
    details: dict[str, Any] = {"slug": result.slug, "version": result.version, "status": result.status}
    if restored_from is not None and result.status != "unchanged":
        details["restored_from"] = restored_from
    audit.record(action, actor=actor, target_type="course", target_id=course_id, details=details)
    if discard_draft and actor is not None and course_id is not None:
        drafts.discard(actor, course_id)
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
