"""Loading course files into the database: validate everything first, then apply, keeping learners' history."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Course, LearningPath, LearningPathCourse, Lesson, Module, Question, Quiz, User, utcnow
from .. import DomainError, certification
from ..learning import progress
from . import translations, versions
from .markdown import render_markdown
from .schema import ContentError, Problem, fingerprint, parse_yaml, validate_course, validate_paths

PATHS_FILE = "paths.yaml"


@dataclass(frozen=True)
class LoadResult:
    slug: str
    status: str  # created | updated | unchanged
    version: int


@dataclass(frozen=True)
class Base:
    """The stored course a change was prepared against: its version and content fingerprint (None, None: no
    course with that slug existed)."""

    version: int | None
    content_hash: str | None


NEW_COURSE = Base(None, None)


class StaleContent(DomainError):
    """The stored course is no longer the one the change was prepared against: someone else published since."""

    def __init__(self, slug: str) -> None:
        super().__init__(_("The course %(slug)s was published by someone else in the meantime.", slug=repr(slug)))
        self.slug = slug


def check_course_text(text: str, source: str) -> dict[str, Any]:
    """Parse and validate one course file; raise ContentError listing every problem."""
    data, errors = parse_yaml(text, source)
    if errors:
        raise ContentError(errors)
    course, problems = validate_course(data)
    if problems:
        raise ContentError([f"{source}: {p}" for p in problems])
    if course is None:  # validate_course returns no course only together with problems
        raise ContentError([f"{source}: the file holds no course"])
    return course


@dataclass
class Directory:
    """A folder of course files, translations and paths, read and checked, nothing applied yet."""

    courses: list[dict[str, Any]]
    paths: list[dict[str, Any]] | None
    problems: list[str]
    texts: dict[str, str] = field(default_factory=dict)  # course slug -> its file as written (comments kept)


def read_directory(directory: Path, *, stored_courses: bool = True) -> Directory:
    """Check every course file, translation file and the learning paths of a folder. Paths may name courses
    already in the database unless `stored_courses` is off (a check of the files alone)."""
    files = sorted(p for p in directory.glob("*.yaml") if p.name != PATHS_FILE)
    translation_files = [p for p in files if translations.language_of_file(p.name)]
    courses: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    texts: dict[str, str] = {}
    for path in files:
        if path in translation_files:
            continue
        text = path.read_text(encoding="utf-8")
        try:
            course = check_course_text(text, path.name)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        if course["slug"] in seen:
            problems.append(f"{path.name}: slug: {course['slug']!r} is also used by {seen[course['slug']]}")
        seen[course["slug"]] = path.name
        texts[course["slug"]] = text
        courses.append(course)
    by_slug = {course["slug"]: course for course in courses}
    for path in translation_files:
        problems.extend(_add_translation(path, by_slug))

    paths = None
    paths_file = directory / PATHS_FILE
    if paths_file.exists():
        known = {c["slug"] for c in courses}
        if stored_courses:
            known |= set(db.session.scalars(select(Course.slug)))
        data, errors = parse_yaml(paths_file.read_text(encoding="utf-8"), PATHS_FILE)
        problems.extend(errors)
        if not errors:
            paths, path_problems = validate_paths(data, known)
            problems.extend(f"{PATHS_FILE}: {p}" for p in path_problems)
    return Directory(courses, paths, problems, texts)


def load_directory(directory: Path) -> list[LoadResult]:
    """Load every course file, its translations and the learning paths of a folder, all or nothing."""
    found = read_directory(directory)
    if found.problems:
        raise ContentError(found.problems)
    results = [apply_course(course, source_text=found.texts.get(course["slug"])) for course in found.courses]
    if found.paths is not None:
        apply_paths(found.paths)
    return results


def _add_translation(path: Path, courses: dict[str, dict[str, Any]]) -> list[str]:
    """Check one translation file against its course and attach it; return the problems."""
    slug, language = translations.language_of_file(path.name)
    course = courses.get(slug)
    if course is None:
        return [f"{path.name}: " + _("no course file %(file)s to translate", file=slug + ".yaml")]
    data, errors = parse_yaml(path.read_text(encoding="utf-8"), path.name)
    if errors:
        return errors
    translation, problems = translations.validate_translation(course, data)
    if translation is not None and translation["language"] != language:
        problems.append(Problem("language", _("the file name says %(language)s", language=language)))
    if not problems:
        course["translations"][language] = translation
    return [f"{path.name}: {problem}" for problem in problems]


def apply_course(
    data: dict[str, Any],
    base: Base | None = None,
    *,
    source_text: str | None = None,
    actor: User | None = None,
    restored_from: int | None = None,
) -> LoadResult:
    """Create or update one validated course. Unchanged content is a no-op; changed content bumps the version.

    `base` is the stored course the change was prepared against (default: the one stored now). The version is
    claimed by one conditional UPDATE on that version and fingerprint, so of two publishes prepared against the
    same version exactly one wins; the other raises StaleContent and writes nothing. Every new version is kept
    whole in `course_versions` (with `source_text`, the course file as written, when given)."""
    content_hash = fingerprint(data)
    course = db.session.scalar(select(Course).where(Course.slug == data["slug"]).options(selectinload(Course.modules)))
    if course is not None and course.content_hash == content_hash:
        versions.record_missing(course, data, source_text)
        return LoadResult(course.slug, "unchanged", course.version)
    if base is None:
        base = Base(course.version, course.content_hash) if course is not None else NEW_COURSE

    now = utcnow()
    created = course is None
    if course is None:
        if base != NEW_COURSE:
            raise StaleContent(data["slug"])
        course = Course(slug=data["slug"], version=1, created_at=now)
        _fill_course(course, data, content_hash, now)
        try:
            with db.session.begin_nested():  # the unique slug decides between two first publishes
                db.session.add(course)
        except IntegrityError:
            raise StaleContent(data["slug"]) from None
    else:
        versions.record_missing(course)  # a course published before versions were kept: keep what is replaced
        claimed = db.session.execute(
            update(Course)
            .where(
                Course.id == course.id,
                Course.version == base.version,
                Course.content_hash == base.content_hash,
            )
            .values(version=Course.version + 1, content_hash=content_hash, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise StaleContent(data["slug"])
        db.session.refresh(course)
        _fill_course(course, data, content_hash, now)
        db.session.flush()

    _apply_modules(course, data["modules"])
    _apply_translations(course, data.get("translations", {}))
    db.session.flush()
    db.session.expire(course, ["modules"])
    versions.record(course, data, source_text=source_text, actor=actor, restored_from=restored_from)
    if not created:
        # A change can complete learners (say, a module's quiz was removed): they earn their certificates now.
        for row in progress.recompute_course(course):
            certification.award(row, course)
    return LoadResult(course.slug, "created" if created else "updated", course.version)


def _fill_course(course: Course, data: dict[str, Any], content_hash: str, now) -> None:
    course.title = data["title"]
    course.summary = data["summary"]
    course.audience = data["audience"]
    course.estimated_minutes = data["estimated_minutes"]
    course.facts_checked = date.fromisoformat(data["facts_checked"]) if data["facts_checked"] else None
    course.certificate_valid_months = data["certificate_valid_months"]
    course.source_language = data.get("language", "en")
    course.content_hash = content_hash
    course.updated_at = now


def _sync(
    existing_rows: Iterable[Any],
    key: str,
    items: list[dict[str, Any]],
    item_key: str,
    create: Callable[[dict[str, Any]], Any],
    fill: Callable[[Any, dict[str, Any]], None],
) -> list[Any]:
    """Bring rows in line with the file: update by stable key, create what is new, retire (never delete) what is
    gone, so that history keeps pointing at real rows. Returns the rows in file order."""
    existing = {getattr(row, key): row for row in existing_rows}
    wanted = {item[item_key] for item in items}
    for row_key, row in existing.items():
        if row_key not in wanted:
            row.retired = True
    rows = []
    for position, item in enumerate(items, start=1):
        row = existing.get(item[item_key])
        if row is None:
            row = create(item)
            db.session.add(row)
        fill(row, item)
        row.position = position
        row.retired = False
        rows.append(row)
    return rows


def _apply_modules(course: Course, modules: list[dict[str, Any]]) -> None:
    existing = db.session.scalars(
        select(Module).where(Module.course_id == course.id).options(selectinload(Module.quiz))
    ).all()
    all_lessons = _by_parent(
        db.session.scalars(select(Lesson).join(Module).where(Module.course_id == course.id)), "module_id"
    )
    all_questions = _by_parent(
        db.session.scalars(select(Question).join(Quiz).join(Module).where(Module.course_id == course.id)), "quiz_id"
    )
    rows = _sync(
        existing,
        "slug",
        modules,
        "slug",
        create=lambda item: Module(course_id=course.id, slug=item["slug"]),
        fill=lambda module, item: setattr(module, "title", item["title"]),
    )
    db.session.flush()
    for module, data in zip(rows, modules, strict=True):
        _sync(
            all_lessons.get(module.id, []),
            "slug",
            data["lessons"],
            "slug",
            create=lambda item, module=module: Lesson(module_id=module.id, slug=item["slug"]),
            fill=_fill_lesson,
        )
        quiz = module.quiz
        if quiz is None:
            quiz = Quiz(module_id=module.id)
            db.session.add(quiz)
        spec = data["quiz"]
        quiz.pass_mark = spec["pass_mark"]
        quiz.questions_per_attempt = spec["questions_per_attempt"]
        quiz.max_attempts = spec["max_attempts"]
        quiz.cooldown_minutes = spec["cooldown_minutes"]
        quiz.cooldown_after_failures = spec["cooldown_after_failures"]
        quiz.review_after_fail = spec["review_after_fail"]
        quiz.review_after_pass = spec["review_after_pass"]
        db.session.flush()
        _sync(
            all_questions.get(quiz.id, []),
            "key",
            spec["questions"],
            "key",
            create=lambda item, quiz=quiz: Question(quiz_id=quiz.id, key=item["key"]),
            fill=_fill_question,
        )


def _apply_translations(course: Course, by_language: dict[str, dict[str, Any]]) -> None:
    """Store each language's text on the course and on its live modules, lessons and questions."""
    by_language = {language: translations.rendered(copy.deepcopy(t)) for language, t in by_language.items()}
    course.translations = {
        language: {key: t[key] for key in ("title", "summary", "audience")} for language, t in by_language.items()
    }
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.retired.is_(False))
        .options(selectinload(Module.lessons), selectinload(Module.quiz).selectinload(Quiz.questions))
    )
    for module in modules:
        mine = {language: t["modules"].get(module.slug) for language, t in by_language.items()}
        mine = {language: m for language, m in mine.items() if m is not None}
        module.translations = {language: {"title": m["title"]} for language, m in mine.items()}
        for lesson in module.lessons:
            lesson.translations = {
                language: m["lessons"][lesson.slug] for language, m in mine.items() if lesson.slug in m["lessons"]
            }
        for question in module.quiz.questions if module.quiz else ():
            question.translations = {
                language: m["questions"][question.key] for language, m in mine.items() if question.key in m["questions"]
            }


def _by_parent(rows: Iterable[Any], attr: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, attr), []).append(row)
    return grouped


def _fill_lesson(lesson: Lesson, data: dict[str, Any]) -> None:
    lesson.title = data["title"]
    lesson.objectives = data["objectives"]
    lesson.body_markdown = data["body"]
    lesson.body_html = render_markdown(data["body"])
    lesson.key_points = data["key_points"]
    lesson.sources = data["sources"]
    lesson.word_count = len(data["body"].split())


def _fill_question(question: Question, data: dict[str, Any]) -> None:
    question.kind = data["kind"]
    question.prompt = data["prompt"]
    question.explanation = data["explanation"]
    question.choices = data["choices"]
    question.scenario = data.get("scenario", False)


def apply_paths(paths: list[dict[str, Any]]) -> None:
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    existing = {p.slug: p for p in db.session.scalars(select(LearningPath).options(selectinload(LearningPath.entries)))}
    for data in paths:
        path = existing.get(data["slug"])
        if path is None:
            path = LearningPath(slug=data["slug"])
            db.session.add(path)
        path.title = data["title"]
        path.description = data["description"]
        path.entries.clear()
        db.session.flush()
        for position, slug in enumerate(data["courses"], start=1):
            path.entries.append(LearningPathCourse(course_id=courses[slug].id, position=position))
    db.session.flush()
