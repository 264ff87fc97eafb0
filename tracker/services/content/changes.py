"""What changed between two versions of a course, field by field: shown before publishing and in the history.

Both sides are normalised courses (services/content/schema.py `validate_course`, translations included). Items are
matched on their stable keys (module and lesson slugs, question ids), as the loader matches them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...enums import QuestionKind, ReviewLevel

COURSE_FIELDS = (
    "title",
    "summary",
    "audience",
    "facts_checked",
    "certificate_valid_months",
    "language",
    "estimated_minutes",
)
QUIZ_FIELDS = (
    "pass_mark",
    "questions_per_attempt",
    "max_attempts",
    "cooldown_minutes",
    "cooldown_after_failures",
    "review_after_fail",
    "review_after_pass",
)
LESSON_FIELDS = ("title", "objectives", "body", "key_points", "sources")
QUESTION_FIELDS = ("kind", "scenario", "prompt", "choices", "explanation")
LIST_FIELDS = {"objectives", "key_points", "sources", "choices"}
# Text longer than this (or of several lines) is shown as a line-by-line diff rather than "old → new".
SHORT_TEXT = 160

LABELS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "audience": _l("Audience"),
    "facts_checked": _l("Facts checked"),
    "certificate_valid_months": _l("Certificate valid (months)"),
    "language": _l("Language"),
    "estimated_minutes": _l("Estimated time (minutes)"),
    "pass_mark": _l("Pass mark"),
    "questions_per_attempt": _l("Questions per attempt"),
    "max_attempts": _l("Attempts allowed"),
    "cooldown_minutes": _l("Wait after failed attempts (minutes)"),
    "cooldown_after_failures": _l("Failed attempts before the wait"),
    "review_after_fail": _l("Review after a failed attempt"),
    "review_after_pass": _l("Review after a passed attempt"),
    "objectives": _l("Objectives"),
    "body": _l("Text"),
    "key_points": _l("Key points"),
    "sources": _l("Sources"),
    "kind": _l("Type"),
    "scenario": _l("Workplace scenario"),
    "prompt": _l("Prompt"),
    "choices": _l("Choices"),
    "explanation": _l("Explanation"),
}


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: str  # the values as shown; empty for a list or long text, which come as `lines`
    new: str
    lines: tuple[tuple[str, str], ...] = ()  # ("-" | "+" | " ", line): what was removed, added, kept

    @property
    def label(self) -> str:
        return str(LABELS.get(self.name, self.name))


@dataclass
class ItemChange:
    """A lesson (keyed by slug) or a question (keyed by id)."""

    key: str
    title: str
    status: str  # added | edited | retired
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class ModuleChange:
    slug: str
    title: str
    status: str  # added | changed | unchanged | retired
    fields: list[FieldChange] = field(default_factory=list)  # the module's own title
    quiz: list[FieldChange] = field(default_factory=list)  # quiz settings, old → new
    lessons: list[ItemChange] = field(default_factory=list)
    questions: list[ItemChange] = field(default_factory=list)
    lessons_reordered: bool = False
    questions_reordered: bool = False

    def items(self, kind: str, status: str) -> list[ItemChange]:
        return [item for item in getattr(self, kind) if item.status == status]


@dataclass
class CourseChanges:
    fields: list[FieldChange] = field(default_factory=list)
    modules: list[ModuleChange] = field(default_factory=list)
    modules_reordered: bool = False
    translations: dict[str, str] = field(default_factory=dict)  # language -> added | changed | removed

    @property
    def any(self) -> bool:
        return bool(
            self.fields
            or self.modules_reordered
            or self.translations
            or any(m.status != "unchanged" for m in self.modules)
        )

    def summary(self) -> dict[str, Any]:
        """Counts for the version history (stored with each version, shown in the reader's language)."""
        counts: dict[str, Any] = {}
        if self.fields:
            counts["course_fields"] = [f.name for f in self.fields]
        for name, what in (("modules", None), ("lessons", "lessons"), ("questions", "questions")):
            tally: dict[str, int] = {}
            for module in self.modules:
                if what is None:
                    if module.status != "unchanged":
                        tally[module.status] = tally.get(module.status, 0) + 1
                    continue
                for item in getattr(module, what):
                    tally[item.status] = tally.get(item.status, 0) + 1
            if tally:
                counts[name] = tally
        quiz = [m.slug for m in self.modules if m.quiz]
        if quiz:
            counts["quiz_settings"] = quiz
        if self.modules_reordered or any(m.lessons_reordered or m.questions_reordered for m in self.modules):
            counts["reordered"] = True
        if self.translations:
            counts["translations"] = dict(sorted(self.translations.items()))
        return counts


def compare(old: dict[str, Any] | None, new: dict[str, Any]) -> CourseChanges:
    """Field-level changes from `old` to `new` (a new course when `old` is None)."""
    if old is None:
        changes = CourseChanges(modules=[ModuleChange(m["slug"], m["title"], "added") for m in new["modules"]])
        changes.translations = dict.fromkeys(new.get("translations", {}), "added")
        return changes
    changes = CourseChanges(fields=_fields(old, new, COURSE_FIELDS))
    old_modules = {m["slug"]: m for m in old["modules"]}
    for module in new["modules"]:
        before = old_modules.get(module["slug"])
        changes.modules.append(
            ModuleChange(module["slug"], module["title"], "added") if before is None else _module(before, module)
        )
    kept = {m["slug"] for m in new["modules"]}
    changes.modules.extend(
        ModuleChange(m["slug"], m["title"], "retired") for m in old["modules"] if m["slug"] not in kept
    )
    changes.modules_reordered = _reordered([m["slug"] for m in old["modules"]], [m["slug"] for m in new["modules"]])
    old_translations, new_translations = old.get("translations", {}), new.get("translations", {})
    for language in sorted(old_translations.keys() | new_translations.keys()):
        if language not in old_translations:
            changes.translations[language] = "added"
        elif language not in new_translations:
            changes.translations[language] = "removed"
        elif old_translations[language] != new_translations[language]:
            changes.translations[language] = "changed"
    return changes


def _module(old: dict[str, Any], new: dict[str, Any]) -> ModuleChange:
    change = ModuleChange(new["slug"], new["title"], "unchanged", fields=_fields(old, new, ("title",)))
    old_quiz, new_quiz = old.get("quiz") or {}, new.get("quiz") or {}
    change.quiz = _fields(old_quiz, new_quiz, QUIZ_FIELDS)
    change.lessons = _items(old["lessons"], new["lessons"], "slug", lambda item: item["title"], LESSON_FIELDS)
    change.questions = _items(
        old_quiz.get("questions", []), new_quiz.get("questions", []), "key", lambda item: item["key"], QUESTION_FIELDS
    )
    change.lessons_reordered = _reordered([x["slug"] for x in old["lessons"]], [x["slug"] for x in new["lessons"]])
    change.questions_reordered = _reordered(
        [x["key"] for x in old_quiz.get("questions", [])], [x["key"] for x in new_quiz.get("questions", [])]
    )
    if (
        change.fields
        or change.quiz
        or change.lessons
        or change.questions
        or change.lessons_reordered
        or change.questions_reordered
    ):
        change.status = "changed"
    return change


def _items(old: list[dict], new: list[dict], key: str, title, names: tuple[str, ...]) -> list[ItemChange]:
    old_by_key = {item[key]: item for item in old}
    new_keys = {item[key] for item in new}
    result = []
    for item in new:
        before = old_by_key.get(item[key])
        if before is None:
            result.append(ItemChange(item[key], title(item), "added"))
        elif before != item:
            result.append(ItemChange(item[key], title(item), "edited", _fields(before, item, names)))
    result.extend(ItemChange(item[key], title(item), "retired") for item in old if item[key] not in new_keys)
    return result


def _reordered(old: list[str], new: list[str]) -> bool:
    """Whether the items both sides have are in a different order."""
    both = set(old) & set(new)
    return [x for x in old if x in both] != [x for x in new if x in both]


def _fields(old: dict[str, Any], new: dict[str, Any], names: tuple[str, ...]) -> list[FieldChange]:
    result = []
    for name in names:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name in LIST_FIELDS:
            result.append(FieldChange(name, "", "", _line_diff(_lines(name, before), _lines(name, after))))
        elif isinstance(before, str) and isinstance(after, str) and _long(before, after):
            result.append(FieldChange(name, "", "", _line_diff(before.splitlines(), after.splitlines())))
        else:
            result.append(FieldChange(name, shown(name, before), shown(name, after)))
    return result


def _long(*texts: str) -> bool:
    return any(len(text) > SHORT_TEXT or "\n" in text for text in texts)


def shown(name: str, value: Any) -> str:
    """A setting's value as an admin reads it."""
    if value is None:
        return {
            "max_attempts": _("unlimited"),
            "certificate_valid_months": _("without expiry"),
            "facts_checked": _("not stated"),
        }.get(name, _("none"))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "pass_mark":
        return f"{value}%"
    if name in ("review_after_fail", "review_after_pass") and value in set(ReviewLevel):
        return ReviewLevel(value).label
    if name == "kind" and value in set(QuestionKind):
        return QuestionKind(value).label
    return str(value)


def _lines(name: str, items: list[Any] | None) -> list[str]:
    lines = []
    for item in items or []:
        if name == "choices":
            lines.append(f"{item['text']}{' ✓' if item['correct'] else ''}")
        elif name == "sources":
            lines.append(f"{item['citation']} {item['url']}" if item.get("url") else item["citation"])
        else:
            lines.append(str(item))
    return lines


def _line_diff(old: list[str], new: list[str]) -> tuple[tuple[str, str], ...]:
    """Removed, added and (as context) kept lines, in order; difflib finds the longest matching runs."""
    result: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            kept = old[i1:i2]
            # Long unchanged runs shrink to their ends: the change is what matters.
            if len(kept) > 4:
                kept = [*kept[:1], "…", *kept[-1:]]
            result.extend((" ", line) for line in kept)
            continue
        result.extend(("-", line) for line in old[i1:i2])
        result.extend(("+", line) for line in new[j1:j2])
    return tuple(result)


def unified_diff(old_text: str, new_text: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A unified diff of two texts as (kind, line) rows: kind is "head", "hunk", "-", "+" or " "."""
    rows = []
    lines = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), old_name, new_name, n=3, lineterm="")
    for number, line in enumerate(lines):
        if number < 2:  # the "---" and "+++" lines naming the two sides
            rows.append(("head", line))
        elif line.startswith("@@"):
            rows.append(("hunk", line))
        else:
            rows.append((line[:1] or " ", line[1:]))
    return rows
