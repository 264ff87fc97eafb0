"""A course file edited in place: ruamel.yaml's round-trip mode keeps the comments, key order, quoting and block
styles of everything an edit does not touch, so a form edit changes only the lines it must.

The course file is read for validation by PyYAML (schema.parse_yaml, YAML 1.1); ruamel writes YAML 1.2. New text
is therefore written in a form both read alike: quoted where YAML 1.1 would read it as something other than text
(`yes`, `1:20`, ...), as a literal block where it spans lines.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from ...enums import QuestionKind

# Where keys go when an edit adds one that the file lacks: the documented order (docs/content-format.md).
COURSE_KEYS = (
    "slug",
    "title",
    "summary",
    "audience",
    "facts_checked",
    "certificate_valid_months",
    "language",
    "modules",
)
MODULE_KEYS = ("slug", "title", "lessons", "quiz")
QUIZ_KEYS = (
    "pass_mark",
    "questions_per_attempt",
    "max_attempts",
    "cooldown_minutes",
    "cooldown_after_failures",
    "review",
    "questions",
)
LESSON_KEYS = ("slug", "title", "objectives", "body", "key_points", "sources")
QUESTION_KEYS = ("id", "type", "scenario", "prompt", "choices", "answer", "explanation")
FOLD_WIDTH = 100
_RESOLVER = pyyaml.resolver.Resolver()


class DocumentError(ValueError):
    """The text is not a course file the structured editor can work on (not YAML, or not a mapping of fields)."""


def _yaml(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line someone wrote
    offset = _sequence_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _sequence_offset(text: str) -> int:
    """How far the dash of a block sequence stands in from its key in this file (the seed files: 2)."""
    lines = text.splitlines()
    for before, line in zip(lines, lines[1:], strict=False):
        key = re.match(r"^(\s*)[\w-]+:\s*(#.*)?$", before)
        dash = re.match(r"^(\s*)- ", line)
        if key and dash:
            return max(0, len(dash.group(1)) - len(key.group(1)))
    return 2


class Document:
    """One course file, loaded for editing. Operations name items by their stable keys (module and lesson slugs,
    question ids); they return False when there is no such item."""

    def __init__(self, text: str) -> None:
        self._yaml = _yaml(text)
        try:
            self.data = self._yaml.load(text)
        except YAMLError as exc:
            raise DocumentError(str(exc)) from exc
        if not isinstance(self.data, CommentedMap):
            raise DocumentError("the file is not a mapping of fields")
        self._comments = comments_in(self.data)
        self.misplaced_comments = False  # a move could not take a comment along with its item

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    def lost_comments(self) -> list[str]:
        """Comments of the file as loaded that the edited document no longer holds."""
        return list((self._comments - comments_in(self.data)).elements())

    # --- Finding items ---------------------------------------------------------------------------------------

    def modules(self) -> CommentedSeq:
        return _seq(self.data, "modules")

    def module(self, slug: str) -> CommentedMap | None:
        return _find(self.data.get("modules"), "slug", slug)

    def quiz(self, module_slug: str) -> CommentedMap | None:
        module = self.module(module_slug)
        if module is None:
            return None
        if not isinstance(module.get("quiz"), CommentedMap):
            _set(module, "quiz", CommentedMap(), MODULE_KEYS)
        return module["quiz"]

    def lessons(self, module_slug: str) -> CommentedSeq | None:
        module = self.module(module_slug)
        return _seq(module, "lessons", MODULE_KEYS) if module is not None else None

    def questions(self, module_slug: str) -> CommentedSeq | None:
        quiz = self.quiz(module_slug)
        return _seq(quiz, "questions", QUIZ_KEYS) if quiz is not None else None

    def lesson(self, module_slug: str, slug: str) -> CommentedMap | None:
        module = self.module(module_slug)
        return _find(module.get("lessons"), "slug", slug) if module is not None else None

    def question(self, module_slug: str, key: str) -> CommentedMap | None:
        module = self.module(module_slug)
        quiz = module.get("quiz") if module is not None else None
        return _find(quiz.get("questions"), "id", key) if isinstance(quiz, dict) else None

    # --- Editing ---------------------------------------------------------------------------------------------

    def set_course(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            _set(self.data, key, value, COURSE_KEYS, optional=key in ("certificate_valid_months", "facts_checked"))

    def set_module(self, slug: str, values: dict[str, Any]) -> bool:
        module = self.module(slug)
        if module is None:
            return False
        for key, value in values.items():
            _set(module, key, value, MODULE_KEYS)
        return True

    def set_quiz(self, module_slug: str, values: dict[str, Any]) -> bool:
        quiz = self.quiz(module_slug)
        if quiz is None:
            return False
        review = {k: values.pop(k) for k in ("review_after_fail", "review_after_pass") if k in values}
        for key, value in values.items():
            _set(quiz, key, value, QUIZ_KEYS)
        if review:
            if not isinstance(quiz.get("review"), CommentedMap):
                _set(quiz, "review", CommentedMap(), QUIZ_KEYS)
            for key, value in review.items():
                _set(quiz["review"], key.removeprefix("review_"), value, ("after_fail", "after_pass"))
        return True

    def set_lesson(self, module_slug: str, slug: str, values: dict[str, Any]) -> bool:
        lesson = self.lesson(module_slug, slug)
        if lesson is None:
            return False
        _fill_lesson(lesson, values)
        return True

    def set_question(self, module_slug: str, key: str, values: dict[str, Any]) -> bool:
        question = self.question(module_slug, key)
        if question is None:
            return False
        _fill_question(question, values)
        return True

    def add_module(self, values: dict[str, Any], quiz: dict[str, Any]) -> int:
        module = CommentedMap()
        for key in ("slug", "title"):
            module[key] = _scalar(values[key])
        module["lessons"] = CommentedSeq()
        module["quiz"] = CommentedMap((key, value) for key, value in quiz.items())
        module["quiz"]["questions"] = CommentedSeq()
        return _append(self.modules(), module, self.data, "modules")

    def add_lesson(self, module_slug: str, values: dict[str, Any]) -> int | None:
        lessons = self.lessons(module_slug)
        if lessons is None:
            return None
        lesson = CommentedMap()
        _fill_lesson(lesson, values)
        return _append(lessons, lesson, self.module(module_slug), "lessons")

    def add_question(self, module_slug: str, values: dict[str, Any]) -> int | None:
        questions = self.questions(module_slug)
        if questions is None:
            return None
        question = CommentedMap()
        _fill_question(question, values)
        return _append(questions, question, self.quiz(module_slug), "questions")

    def _items(self, kind: str, module_slug: str | None) -> tuple[CommentedSeq | None, str]:
        if kind == "module":
            return self.data.get("modules") if isinstance(self.data.get("modules"), list) else None, "slug"
        module = self.module(module_slug or "")
        if module is None:
            return None, ""
        if kind == "lesson":
            lessons = module.get("lessons")
            return (lessons if isinstance(lessons, list) else None), "slug"
        quiz = module.get("quiz")
        questions = quiz.get("questions") if isinstance(quiz, dict) else None
        return (questions if isinstance(questions, list) else None), "id"

    def remove(self, kind: str, module_slug: str | None, key: str) -> bool:
        items, field = self._items(kind, module_slug)
        index = _index(items, field, key)
        if index is None:
            return False
        # Full-line comments after an item introduce the next one: they stay where they stand.
        following = _take_trailing(items[index])
        del items[index]
        if index > 0:
            _put_trailing(items[index - 1], following)
        if not items:
            _take_header(items)  # ruamel cannot write a comment above an empty list
        return True

    def move(self, kind: str, module_slug: str | None, key: str, step: int) -> bool | None:
        """Move an item one place up (step -1) or down (+1). None when there is no such item; False at an end."""
        items, field = self._items(kind, module_slug)
        index = _index(items, field, key)
        if index is None:
            return None
        other = index + step
        if not 0 <= other < len(items):
            return False
        first = min(index, other)
        a, b = items[first], items[first + 1]
        # A full-line comment above an item is held at the end of the item before it: move those with the items.
        above_b = _take_trailing(a)
        above_next = _take_trailing(b)
        above_a = _take_trailing(items[first - 1]) if first > 0 else ""
        items[first], items[first + 1] = b, a
        if first > 0:
            _put_trailing(items[first - 1], above_b)
        else:  # the comment above the first item is held by the list itself
            above_a = _take_header(items)
            _put_header(items, above_b)
        _put_trailing(b, above_a)
        _put_trailing(a, above_next)
        return True

    def index_of(self, kind: str, module_slug: str | None, key: str) -> tuple[int, ...] | None:
        """Where an item stands: (module,) or (module, lesson or question), as validation paths count."""
        if kind == "module":
            index = _index(self.data.get("modules"), "slug", key)
            return None if index is None else (index,)
        module = self.index_of("module", None, module_slug or "")
        items, field = self._items(kind, module_slug)
        index = _index(items, field, key)
        return None if module is None or index is None else (module[0], index)

    def has_comments(self, kind: str, module_slug: str | None, key: str) -> bool:
        items, field = self._items(kind, module_slug)
        index = _index(items, field, key)
        return index is not None and bool(comments_in(items[index]))


def comments_in(node: Any) -> Counter:
    """Every comment line held in a loaded document (or part of one), counted."""
    found: Counter = Counter()

    def tokens(value: Any) -> None:
        if isinstance(value, CommentToken):
            for line in value.value.splitlines():
                if line.strip().startswith("#"):
                    found[line.strip()] += 1
        elif isinstance(value, list | tuple):
            for item in value:
                tokens(item)

    def walk(value: Any) -> None:
        ca = getattr(value, "ca", None)
        if ca is not None:
            tokens(ca.comment)
            tokens(list(ca.items.values()))
            tokens(ca.end)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return found


# --- Helpers ---------------------------------------------------------------------------------------------------


def _find(items: Any, field: str, key: str) -> CommentedMap | None:
    index = _index(items, field, key)
    return items[index] if index is not None else None


def _index(items: Any, field: str, key: str) -> int | None:
    if not isinstance(items, list):
        return None
    for index, item in enumerate(items):
        if isinstance(item, dict) and str(item.get(field)) == key:
            return index
    return None


def _seq(parent: CommentedMap, key: str, order: tuple[str, ...] = COURSE_KEYS) -> CommentedSeq:
    if not isinstance(parent.get(key), CommentedSeq):
        _set(parent, key, CommentedSeq(), order)
    return parent[key]


def _append(items: CommentedSeq, item: Any, parent: CommentedMap | None = None, key: str = "") -> int:
    items.fa.set_block_style()  # an empty list written as [] would otherwise take the new item in flow style
    # The comments after the list's end follow the new last item; after an empty list they hang on its key.
    following = _take_trailing(items) if items or parent is None else _take_comment(parent, key, 2)
    items.append(item)
    _put_trailing(items, following)
    return len(items) - 1


def _set(mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...], *, optional: bool = False) -> None:
    """Set one field, keeping the old value (and its style) when it already means the same; a new key goes to
    its documented place. An optional field set to None is removed."""
    if optional and value is None:
        mapping.pop(key, None)
        return
    if key in mapping:
        old = mapping[key]
        if _same(old, value):
            return
        mapping[key] = value if isinstance(value, CommentedMap | CommentedSeq) else _scalar(value, old)
        return
    new = value if isinstance(value, CommentedMap | CommentedSeq) else _scalar(value)
    position = len(mapping)
    if key in order:
        later = set(order[order.index(key) + 1 :])
        position = next((i for i, existing in enumerate(mapping) if existing in later), len(mapping))
    following = _take_trailing(mapping) if position == len(mapping) else ""
    mapping.insert(position, key, new)
    _put_trailing(mapping, following)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip()
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, date) or isinstance(new, date):
        return isinstance(old, date) and isinstance(new, date) and old == new
    return old == new


def _scalar(value: Any, old: Any = None) -> Any:
    """A value as ruamel should write it, in the style of the value it replaces where that style can hold it."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if "\n" in value:
        return LiteralScalarString(value + "\n")
    if isinstance(old, FoldedScalarString) or (isinstance(old, LiteralScalarString) and len(value) > FOLD_WIDTH):
        folded = FoldedScalarString(value)
        folded.fold_pos = _fold_positions(value)
        return folded
    if isinstance(old, SingleQuotedScalarString) and "'" not in value:
        return SingleQuotedScalarString(value)
    if isinstance(old, DoubleQuotedScalarString) or _read_as_other(value):
        return DoubleQuotedScalarString(value)
    return value


def _read_as_other(value: str) -> bool:
    """Whether PyYAML (YAML 1.1) would read this text, written plain, as something else (a bool, number, date)."""
    return _RESOLVER.resolve(pyyaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str"


def _fold_positions(value: str) -> list[int]:
    """The spaces at which a folded block (`>`) breaks its lines: the last space before each FOLD_WIDTH."""
    breaks: list[int] = []
    last_space, line_start = None, 0
    for index, char in enumerate(value):
        if char != " ":
            continue
        if index - line_start > FOLD_WIDTH and last_space is not None and last_space >= line_start:
            breaks.append(last_space)
            line_start = last_space + 1
        last_space = index
    return breaks


def _trailing_slot(node: Any) -> tuple[Any, Any, int] | None:
    """Where ruamel keeps the comments that follow a node: on the last scalar at its end (container, key, index
    into the container's comment entry)."""
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        value = node[key]
        if isinstance(value, CommentedMap | CommentedSeq) and value:
            return _trailing_slot(value)
        return node, key, 2
    if isinstance(node, CommentedSeq) and node:
        value = node[-1]
        if isinstance(value, CommentedMap | CommentedSeq) and value:
            return _trailing_slot(value)
        return node, len(node) - 1, 0
    return None


def _take_trailing(node: Any) -> str:
    """Remove and return the full-line comments after a node (an end-of-line comment on its last line stays)."""
    slot = _trailing_slot(node)
    if slot is None:
        return ""
    return _take_comment(*slot)


def _take_comment(container: Any, key: Any, index: int) -> str:
    entry = container.ca.items.get(key)
    token = entry[index] if entry and len(entry) > index else None
    if not isinstance(token, CommentToken):
        return ""
    head, _newline, rest = token.value.partition("\n")
    if "#" not in rest:
        return ""
    if head.strip():
        token.value = head + "\n"
    else:
        entry[index] = None
    return rest


def _header_tokens(items: CommentedSeq) -> list[CommentToken]:
    comment = items.ca.comment
    return [t for t in comment[1] if isinstance(t, CommentToken)] if comment and len(comment) > 1 and comment[1] else []


def _take_header(items: CommentedSeq) -> str:
    """Remove and return the comments above a list's first item, each line indented as written."""
    text = ""
    for token in _header_tokens(items):
        value = token.value
        if value.startswith("#"):  # the first line's indentation is held as the token's column
            value = " " * (token.column or 0) + value
        text += value
        token.value = ""
    return text if "#" in text else ""


def _put_header(items: CommentedSeq, text: str) -> None:
    """Put comments above a list's first item (`text` as _take_trailing returns it: whole lines)."""
    if not text:
        return
    first = text.lstrip("\n")
    column = len(first) - len(first.lstrip(" "))
    value = text[: len(text) - len(first)] + first.lstrip(" ")
    tokens = _header_tokens(items)
    if tokens:
        tokens[0].value = value
    else:
        items.ca.comment = [None, [CommentToken(value, CommentMark(column))]]


def _put_trailing(node: Any, text: str) -> None:
    """Add full-line comments after a node."""
    slot = _trailing_slot(node) if text else None
    if slot is None:
        return
    container, key, index = slot
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    token = entry[index]
    if isinstance(token, CommentToken):
        token.value = token.value.rstrip("\n") + "\n" + text if token.value.strip() else "\n" + text
    else:
        entry[index] = CommentToken("\n" + text, CommentMark(0))


def _set_list(mapping: CommentedMap, key: str, values: list[Any], order: tuple[str, ...], fill) -> None:
    """Update a list in place, item by item, so that comments attached to kept places stay."""
    current = mapping.get(key)
    if not isinstance(current, CommentedSeq):
        seq = CommentedSeq()
        for value in values:
            seq.append(fill(None, value))
        _set(mapping, key, seq, order)
        return
    following = _take_trailing(current) if current else _take_comment(mapping, key, 2)
    for index, value in enumerate(values):
        if index < len(current):
            current[index] = fill(current[index], value)
        else:
            current.fa.set_block_style()
            current.append(fill(None, value))
    del current[len(values) :]
    _put_trailing(current, following)


def _text_item(old: Any, value: str) -> Any:
    return old if isinstance(old, str) and _same(old, value) else _scalar(value, old)


def _fill_lesson(lesson: CommentedMap, values: dict[str, Any]) -> None:
    for key in ("slug", "title"):
        if key in values:
            _set(lesson, key, values[key], LESSON_KEYS)
    if "objectives" in values:
        _set_list(lesson, "objectives", values["objectives"], LESSON_KEYS, _text_item)
    if "body" in values:
        _set(lesson, "body", values["body"], LESSON_KEYS)
        if "\n" in values["body"].strip() and not isinstance(lesson["body"], LiteralScalarString):
            lesson["body"] = LiteralScalarString(values["body"].strip() + "\n")
    if "key_points" in values:
        _set_list(lesson, "key_points", values["key_points"], LESSON_KEYS, _text_item)
    if "sources" in values:
        _set_list(lesson, "sources", values["sources"], LESSON_KEYS, _source_item)


def _source_item(old: Any, value: dict[str, Any]) -> CommentedMap:
    item = old if isinstance(old, CommentedMap) else CommentedMap()
    _set(item, "citation", value["citation"], ("citation", "url"))
    _set(item, "url", value.get("url") or None, ("citation", "url"), optional=True)
    return item


def _choice_item(old: Any, value: dict[str, Any]) -> CommentedMap:
    item = old if isinstance(old, CommentedMap) else CommentedMap()
    _set(item, "text", value["text"], ("text", "correct"))
    if value["correct"]:
        _set(item, "correct", True, ("text", "correct"))
    else:
        item.pop("correct", None)
    return item


def _fill_question(question: CommentedMap, values: dict[str, Any]) -> None:
    if "key" in values:
        _set(question, "id", values["key"], QUESTION_KEYS)
    if "kind" in values:
        _set(question, "type", values["kind"], QUESTION_KEYS)
    if "scenario" in values:
        if values["scenario"]:
            _set(question, "scenario", True, QUESTION_KEYS)
        else:
            question.pop("scenario", None)
    if "prompt" in values:
        _set(question, "prompt", values["prompt"], QUESTION_KEYS)
    if values.get("kind") == QuestionKind.TRUE_FALSE:
        question.pop("choices", None)
        _set(question, "answer", bool(values.get("answer")), QUESTION_KEYS)
    elif "choices" in values:
        question.pop("answer", None)
        _set_list(question, "choices", values["choices"], QUESTION_KEYS, _choice_item)
    if "explanation" in values:
        _set(question, "explanation", values["explanation"], QUESTION_KEYS)
