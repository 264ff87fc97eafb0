"""Drafts of the structured editor: an admin's working copy of a course file, changed one form at a time.

Each form edits the course file in place (services/content/document.py: comments and layout kept) and the whole
file is validated again as a YAML edit is (schema.py): an edit whose own fields have problems is refused and
nothing is saved; problems elsewhere (a new module without lessons yet) are listed until they are fixed, and the
draft is published through the same preview and the same version check as a YAML edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Course, CourseDraft, Lesson, Module, Question, Quiz, User, utcnow
from .. import DomainError
from . import quality, versions
from .document import Document, DocumentError
from .loader import Base
from .schema import Problem, parse_yaml, validate_course

# A problem's path names the form field it belongs to: modules[0].lessons[1].objectives[2] -> objectives.
FIELD_NAMES = {"id": "key", "type": "kind"}


class DraftItemMissing(DomainError):
    """The draft has no module, lesson or question by that key."""


class DraftRefused(DomainError):
    """The edit has problems of its own; nothing was saved. `fields` maps form fields to their problems."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(_("The change was not saved: fix the problems shown."))
        self.fields = fields


@dataclass
class EditOutcome:
    lost_comments: list[str] = field(default_factory=list)  # comments of the file the edit could not keep
    misplaced_comments: bool = False  # a move left a comment above a different item


@dataclass
class DraftView:
    """What the structured editor shows: the working copy (the draft, or the published file when there is none),
    its problems, and the versions it is based on."""

    course: Course
    draft: CourseDraft | None
    text: str
    data: Any  # the file as parsed (None if it does not parse)
    parse_errors: list[str]
    problems: list[Problem]
    normalised: dict[str, Any] | None  # the course when it has no problems
    pool_findings: list[str]
    base: Base
    published_keys: dict[str, set]  # module slugs, (module, lesson) and (module, question) keys learners have

    @property
    def stale(self) -> bool:
        """Someone published since this draft was started."""
        return self.draft is not None and self.draft.base_hash != self.course.content_hash

    def modules(self) -> list[dict[str, Any]]:
        items = self.data.get("modules") if isinstance(self.data, dict) else None
        return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []

    def module(self, slug: str) -> dict[str, Any] | None:
        return next((m for m in self.modules() if str(m.get("slug")) == slug), None)

    def module_index(self, slug: str) -> int | None:
        items = self.data.get("modules") if isinstance(self.data, dict) else None
        if not isinstance(items, list):
            return None
        return next((i for i, m in enumerate(items) if isinstance(m, dict) and str(m.get("slug")) == slug), None)

    def problems_under(self, prefix: str) -> list[Problem]:
        return [p for p in self.problems if _within(p.path, prefix)]


def source_name(course: Course) -> str:
    return f"{course.slug}.yaml"


def get(user: User, course: Course) -> CourseDraft | None:
    return db.session.scalar(
        select(CourseDraft).where(CourseDraft.course_id == course.id, CourseDraft.user_id == user.id)
    )


def view(user: User, course: Course) -> DraftView:
    draft = get(user, course)
    text = draft.text if draft is not None else versions.latest_source(course)
    data, errors = parse_yaml(text, source_name(course))
    problems: list[Problem] = []
    normalised = None
    findings: list[str] = []
    if not errors:
        normalised, problems = validate_course(data)
        if normalised is not None:
            report = quality.pool_report(normalised)
            findings = report.cue_problems() + report.shape_problems()
    base = Base(draft.base_version, draft.base_hash) if draft else Base(course.version, course.content_hash)
    return DraftView(course, draft, text, data, errors, problems, normalised, findings, base, published_keys(course))


def published_keys(course: Course) -> dict[str, set]:
    """The keys of what learners have now: a published item keeps its slug or id (their history refers to it)."""
    live = (Module.course_id == course.id, Module.retired.is_(False))
    lessons = db.session.execute(
        select(Module.slug, Lesson.slug).join(Lesson, Lesson.module_id == Module.id).where(*live, ~Lesson.retired)
    )
    questions = db.session.execute(
        select(Module.slug, Question.key)
        .join(Quiz, Quiz.module_id == Module.id)
        .join(Question, Question.quiz_id == Quiz.id)
        .where(*live, ~Question.retired)
    )
    return {
        "modules": set(db.session.scalars(select(Module.slug).where(*live))),
        "lessons": {tuple(row) for row in lessons},
        "questions": {tuple(row) for row in questions},
    }


def _open(user: User, course: Course) -> CourseDraft:
    """The user's draft of the course, started from the published file if there is none yet."""
    draft = get(user, course)
    if draft is not None:
        return draft
    now = utcnow()
    draft = CourseDraft(
        course_id=course.id,
        user_id=user.id,
        base_version=course.version,
        base_hash=course.content_hash,
        text=versions.latest_source(course),
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():  # the same admin in two tabs: one draft
            db.session.add(draft)
    except IntegrityError:
        draft = get(user, course)
        assert draft is not None
    return draft


def discard(user: User, course_id: int) -> bool:
    result = db.session.execute(
        delete(CourseDraft).where(CourseDraft.course_id == course_id, CourseDraft.user_id == user.id)
    )
    return bool(result.rowcount)


def save_text(user: User, course: Course, text: str) -> None:
    """The YAML view of the draft: any course file that parses is kept (its problems are listed)."""
    data, errors = parse_yaml(text, source_name(course))
    if errors:
        raise DraftRefused({"text": errors})
    if not isinstance(data, dict):
        raise DraftRefused({"text": [_("The file must be a mapping of fields (slug, title, modules, ...).")]})
    problems = validate_course(data)[1]
    if any(p.path == "slug" for p in problems) or data.get("slug") != course.slug:
        raise DraftRefused({"text": [_("slug: keep %(slug)s; a draft edits this course only.", slug=course.slug)]})
    draft = _open(user, course)
    draft.text = text
    draft.updated_at = utcnow()
    db.session.flush()


# --- Form edits ------------------------------------------------------------------------------------------------

COURSE_SCOPE = ("title", "summary", "audience", "facts_checked", "certificate_valid_months", "language")
QUIZ_SETTINGS = (
    "pass_mark",
    "questions_per_attempt",
    "max_attempts",
    "cooldown_minutes",
    "cooldown_after_failures",
    "review",
)


def save_settings(user: User, course: Course, values: dict[str, Any]) -> EditOutcome:
    return _edit(user, course, lambda doc: doc.set_course(values) or (), lambda _i: COURSE_SCOPE)


def save_module(user: User, course: Course, module_slug: str, values: dict[str, Any]) -> EditOutcome:
    _keep_published_key(course, "modules", module_slug, values.get("slug", module_slug), "slug")

    def change(doc: Document):
        return doc.set_module(module_slug, values) and doc.index_of("module", None, values.get("slug", module_slug))

    return _edit(user, course, change, lambda i: (f"modules[{i[0]}].slug", f"modules[{i[0]}].title"))


def save_quiz(user: User, course: Course, module_slug: str, values: dict[str, Any]) -> EditOutcome:
    def change(doc: Document):
        return doc.set_quiz(module_slug, dict(values)) and doc.index_of("module", None, module_slug)

    return _edit(user, course, change, lambda i: tuple(f"modules[{i[0]}].quiz.{name}" for name in QUIZ_SETTINGS))


def save_lesson(user: User, course: Course, module_slug: str, slug: str, values: dict[str, Any]) -> EditOutcome:
    _keep_published_key(course, "lessons", (module_slug, slug), (module_slug, values.get("slug", slug)), "slug")

    def change(doc: Document):
        return doc.set_lesson(module_slug, slug, values) and doc.index_of(
            "lesson", module_slug, values.get("slug", slug)
        )

    return _edit(user, course, change, lambda i: (f"modules[{i[0]}].lessons[{i[1]}]",))


def save_question(user: User, course: Course, module_slug: str, key: str, values: dict[str, Any]) -> EditOutcome:
    _keep_published_key(course, "questions", (module_slug, key), (module_slug, values.get("key", key)), "key")

    def change(doc: Document):
        return doc.set_question(module_slug, key, values) and doc.index_of(
            "question", module_slug, values.get("key", key)
        )

    return _edit(user, course, change, lambda i: (f"modules[{i[0]}].quiz.questions[{i[1]}]",))


def add_module(user: User, course: Course, values: dict[str, Any], quiz: dict[str, Any]) -> EditOutcome:
    def change(doc: Document):
        return (doc.add_module(values, quiz),)

    return _edit(
        user,
        course,
        change,
        lambda i: (
            f"modules[{i[0]}].slug",
            f"modules[{i[0]}].title",
            f"modules[{i[0]}].quiz.pass_mark",
            f"modules[{i[0]}].quiz.questions_per_attempt",
        ),
    )


def add_lesson(user: User, course: Course, module_slug: str, values: dict[str, Any]) -> EditOutcome:
    def change(doc: Document):
        index = doc.add_lesson(module_slug, values)
        return None if index is None else (doc.index_of("module", None, module_slug)[0], index)

    return _edit(user, course, change, lambda i: (f"modules[{i[0]}].lessons[{i[1]}]",))


def add_question(user: User, course: Course, module_slug: str, values: dict[str, Any]) -> EditOutcome:
    def change(doc: Document):
        index = doc.add_question(module_slug, values)
        return None if index is None else (doc.index_of("module", None, module_slug)[0], index)

    return _edit(user, course, change, lambda i: (f"modules[{i[0]}].quiz.questions[{i[1]}]",))


def remove(user: User, course: Course, kind: str, module_slug: str | None, key: str) -> EditOutcome:
    """Remove a module, lesson or question from the draft; once published, learners' history of it is kept (it
    is retired, not deleted). What the draft then lacks (a module without lessons) is listed as problems."""
    return _edit(user, course, lambda doc: doc.remove(kind, module_slug, key) or None, lambda _i: ())


def move(user: User, course: Course, kind: str, module_slug: str | None, key: str, step: int) -> EditOutcome:
    def change(doc: Document):
        moved = doc.move(kind, module_slug, key, step)
        return None if moved is None else ()

    return _edit(user, course, change, lambda _i: ())


def _edit(
    user: User,
    course: Course,
    change: Callable[[Document], Any],
    scope: Callable[[Any], tuple[str, ...]],
) -> EditOutcome:
    """Apply one form's change to the draft, validate the whole file, and save it unless the fields the form
    edits (`scope`, paths as validate_course names them) have problems."""
    draft = _open(user, course)
    try:
        doc = Document(draft.text)
    except DocumentError as exc:
        raise DraftRefused(
            {"": [_("The draft is not a course file the forms can edit: %(error)s", error=str(exc))]}
        ) from None
    where = change(doc)
    if where is None or where is False:
        raise DraftItemMissing(_("Your draft has no such item; it may have been removed or renamed."))
    text = doc.text()
    data, errors = parse_yaml(text, source_name(course))
    if errors:  # the writer always produces YAML; guard anyway
        raise DraftRefused({"": errors})
    problems = validate_course(data)[1]
    prefixes = scope(where)
    mine = [p for p in problems if any(_within(p.path, prefix) for prefix in prefixes)]
    if mine:
        fields: dict[str, list[str]] = {}
        for problem in mine:
            prefix = next(prefix for prefix in prefixes if _within(problem.path, prefix))
            fields.setdefault(field_of(problem.path, prefix), []).append(str(problem))
        raise DraftRefused(fields)
    draft.text = text
    draft.updated_at = utcnow()
    db.session.flush()
    return EditOutcome(doc.lost_comments(), doc.misplaced_comments)


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def field_of(path: str, prefix: str) -> str:
    """The form field a problem belongs to: the first name after the item's own path (or the field the scope
    names itself, as in modules[0].quiz.pass_mark)."""
    rest = path[len(prefix) :].lstrip(".")
    last = prefix.rsplit(".", 1)[-1]
    if not rest:
        name = last
    elif last == "review":
        name = "review_" + rest.split(".", 1)[0]
    else:
        name = rest.split(".", 1)[0].split("[", 1)[0]
    return FIELD_NAMES.get(name, name)


def _keep_published_key(course: Course, kind: str, old: Any, new: Any, field_name: str) -> None:
    if old != new and old in published_keys(course)[kind]:
        raise DraftRefused(
            {field_name: [_("Learners' history refers to this one: keep it, or add a new one and remove this.")]}
        )
