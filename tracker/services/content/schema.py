"""Validation of course files (docs/content-format.md). Every problem is reported; nothing is half-accepted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import yaml
from flask_babel import gettext as _

from ...enums import QuestionKind, ReviewLevel
from ...i18n import LANGUAGES

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CHOICES = 8
# Adults read expository text at about 230 words a minute; a quiz question takes about 45 seconds to answer.
READING_WORDS_PER_MINUTE = 230
SECONDS_PER_QUESTION = 45
KINDS = tuple(kind.value for kind in QuestionKind)
REVIEW_LEVELS = tuple(level.value for level in ReviewLevel)
# The attempt policy of a quiz that states none: after two failed attempts in a row, each further attempt waits
# 15 minutes. Guessing costs time; a learner who reads the lesson again is not held up.
DEFAULT_COOLDOWN_MINUTES = 15
DEFAULT_COOLDOWN_AFTER = 2


@dataclass
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


@dataclass
class ContentError(Exception):
    """Raised with every problem found in one or more files."""

    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# Bounds on what one file may cost to check: a broken file is reported in full up to MAX_PROBLEMS, and a file
# that expands (through YAML aliases) past MAX_EXPANDED_NODES is refused before anything walks it.
MAX_PROBLEMS = 100
MAX_EXPANDED_NODES = 200_000


class _TooManyProblems(Exception):
    pass


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooManyProblems

    def stopped(self) -> list[Problem]:
        return [
            *self.problems,
            Problem("", _("checking stopped after %(count)s problems; fix these first", count=MAX_PROBLEMS)),
        ]

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, _("must be a mapping of fields"))
            return {}
        return value

    def text(self, data: dict, key: str, path: str, *, max_len: int = 200, required: bool = True) -> str:
        value = data.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.add(where, _("is required"))
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(where, _("must be non-empty text"))
            return ""
        if len(value) > max_len:
            self.add(where, _("is longer than %(max_len)s characters", max_len=max_len))
        return value.strip()

    def slug(self, data: dict, key: str, path: str) -> str:
        value = self.text(data, key, path, max_len=80)
        if value and not SLUG_RE.match(value):
            self.add(f"{path}.{key}" if path else key, _("use lowercase letters, digits and single hyphens"))
        return value

    def integer(
        self, data: dict, key: str, path: str, *, low: int, high: int, required: bool = True, default: int | None = None
    ) -> int | None:
        value = data.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.add(where, _("is required"))
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, _("must be a whole number"))
            return default
        if not low <= value <= high:
            self.add(where, _("must be between %(low)s and %(high)s", low=low, high=high))
        return value

    def text_list(self, data: dict, key: str, path: str) -> list[str]:
        value = data.get(key)
        where = f"{path}.{key}"
        if not isinstance(value, list) or not value:
            self.add(where, _("needs at least one item"))
            return []
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add(f"{where}[{i}]", _("must be non-empty text"))
            else:
                items.append(item.strip())
        return items

    def items(self, data: dict, key: str, path: str) -> list[Any]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.add(f"{path}.{key}" if path else key, _("needs at least one item"))
            return []
        return value

    def unique(self, seen: set[str], value: str, path: str, what: str) -> None:
        if value in seen:
            self.add(path, _("duplicate %(what)s %(value)s", what=what, value=repr(value)))
        seen.add(value)


def _check_url(checker: _Checker, url: Any, path: str) -> str | None:
    if url is None:
        return None
    if not isinstance(url, str):
        checker.add(path, _("must be text"))
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or " " in url.strip():
        checker.add(path, _("%(url)s is not a well-formed http(s) link", url=repr(url)))
        return None
    return url.strip()


def _check_question(checker: _Checker, raw: Any, path: str) -> dict[str, Any] | None:
    q = checker.mapping(raw, path)
    if not q:
        return None
    key = checker.slug(q, "id", path)
    kind = q.get("type")
    if kind not in KINDS:
        checker.add(f"{path}.type", "must be one of " + ", ".join(KINDS))
        return None
    prompt = checker.text(q, "prompt", path, max_len=1000)
    explanation = checker.text(q, "explanation", path, max_len=3000)
    choices: list[dict[str, Any]] = []
    if kind == QuestionKind.TRUE_FALSE:
        if "choices" in q:
            checker.add(f"{path}.choices", _("true_false questions take `answer: true|false`, not choices"))
        answer = q.get("answer")
        if not isinstance(answer, bool):
            checker.add(f"{path}.answer", _("must be true or false"))
            return None
        choices = [
            {"id": "true", "text": "True", "correct": answer is True},
            {"id": "false", "text": "False", "correct": answer is False},
        ]
    else:
        raw_choices = q.get("choices")
        if not isinstance(raw_choices, list) or len(raw_choices) < 2:
            checker.add(f"{path}.choices", _("needs at least two choices"))
            return None
        if len(raw_choices) > MAX_CHOICES:
            checker.add(f"{path}.choices", _("has more than %(MAX_CHOICES)s choices", MAX_CHOICES=MAX_CHOICES))
        seen_texts: set[str] = set()
        for i, raw_choice in enumerate(raw_choices):
            cpath = f"{path}.choices[{i}]"
            choice = checker.mapping(raw_choice, cpath)
            text = checker.text(choice, "text", cpath, max_len=500)
            correct = choice.get("correct", False)
            if not isinstance(correct, bool):
                checker.add(f"{cpath}.correct", _("must be true or false"))
                correct = False
            if text:
                norm = " ".join(text.lower().split())
                if norm in seen_texts:
                    checker.add(cpath, _("duplicate choice %(text)s", text=repr(text)))
                seen_texts.add(norm)
            choices.append({"id": f"c{i + 1}", "text": text, "correct": correct})
        n_correct = sum(c["correct"] for c in choices)
        if kind == QuestionKind.SINGLE and n_correct != 1:
            checker.add(
                f"{path}.choices",
                _("a single-choice question needs exactly one correct choice, has %(n_correct)s", n_correct=n_correct),
            )
        if kind == QuestionKind.MULTIPLE and n_correct < 2:
            checker.add(
                f"{path}.choices",
                _(
                    "a multiple-choice question needs at least two correct choices, has %(n_correct)s",
                    n_correct=n_correct,
                ),
            )
        if kind == QuestionKind.MULTIPLE and n_correct == len(choices):
            checker.add(f"{path}.choices", _("at least one choice of a multiple-choice question must be wrong"))
    scenario = q.get("scenario", False)
    if not isinstance(scenario, bool):
        checker.add(f"{path}.scenario", _("must be true or false"))
        scenario = False
    return {
        "key": key,
        "kind": kind,
        "prompt": prompt,
        "explanation": explanation,
        "choices": choices,
        "scenario": scenario,
    }


def _check_quiz(checker: _Checker, raw: Any, path: str, question_ids: set[str]) -> dict[str, Any]:
    quiz = checker.mapping(raw, path)
    pass_mark = checker.integer(quiz, "pass_mark", path, low=1, high=100)
    per_attempt = checker.integer(quiz, "questions_per_attempt", path, low=1, high=100)
    max_attempts = checker.integer(quiz, "max_attempts", path, low=1, high=1000, required=False)
    cooldown = checker.integer(
        quiz, "cooldown_minutes", path, low=0, high=60 * 24 * 30, required=False, default=DEFAULT_COOLDOWN_MINUTES
    )
    cooldown_after = checker.integer(
        quiz, "cooldown_after_failures", path, low=1, high=100, required=False, default=DEFAULT_COOLDOWN_AFTER
    )
    review = checker.mapping(quiz.get("review", {}), f"{path}.review")
    reviews = {}
    for when, default in (("after_fail", ReviewLevel.WRONG_QUESTIONS), ("after_pass", ReviewLevel.FULL)):
        level = review.get(when, default.value)
        if level not in REVIEW_LEVELS:
            checker.add(f"{path}.review.{when}", _("must be one of %(levels)s", levels=", ".join(REVIEW_LEVELS)))
            level = default.value
        reviews[when] = level
    questions = []
    for i, raw_q in enumerate(checker.items(quiz, "questions", path)):
        qpath = f"{path}.questions[{i}]"
        question = _check_question(checker, raw_q, qpath)
        if question:
            if question["key"]:
                checker.unique(question_ids, question["key"], f"{qpath}.id", _("question id"))
            questions.append(question)
    pool = quiz.get("questions")
    if per_attempt and isinstance(pool, list) and pool and per_attempt > len(pool):
        checker.add(
            f"{path}.questions_per_attempt",
            _("asks for %(per_attempt)s questions but the pool has %(len)s", per_attempt=per_attempt, len=len(pool)),
        )
    return {
        "pass_mark": pass_mark,
        "questions_per_attempt": per_attempt,
        "max_attempts": max_attempts,
        "cooldown_minutes": cooldown or 0,
        "cooldown_after_failures": cooldown_after or DEFAULT_COOLDOWN_AFTER,
        "review_after_fail": reviews["after_fail"],
        "review_after_pass": reviews["after_pass"],
        "questions": questions,
    }


def _check_lesson(checker: _Checker, raw: Any, path: str) -> dict[str, Any]:
    lesson = checker.mapping(raw, path)
    sources = []
    for i, raw_source in enumerate(checker.items(lesson, "sources", path)):
        spath = f"{path}.sources[{i}]"
        source = checker.mapping(raw_source, spath)
        citation = checker.text(source, "citation", spath, max_len=1000)
        url = _check_url(checker, source.get("url"), f"{spath}.url")
        sources.append({"citation": citation, "url": url} if url else {"citation": citation})
    return {
        "slug": checker.slug(lesson, "slug", path),
        "title": checker.text(lesson, "title", path),
        "objectives": checker.text_list(lesson, "objectives", path),
        "body": checker.text(lesson, "body", path, max_len=100_000),
        "key_points": checker.text_list(lesson, "key_points", path),
        "sources": sources,
    }


def validate_course(data: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one parsed course file; return the normalised course and the problems found (at most MAX_PROBLEMS)."""
    checker = _Checker()
    try:
        return _validate_course(checker, data)
    except _TooManyProblems:
        return None, checker.stopped()


def _validate_course(checker: _Checker, data: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
    course = checker.mapping(data, "")
    if not course:
        return None, checker.problems
    facts_checked = course.get("facts_checked")
    # A datetime is also a date, but "2026-11-22T10:00" is not the YYYY-MM-DD the apply step expects.
    if facts_checked is not None and (not isinstance(facts_checked, dt.date) or isinstance(facts_checked, dt.datetime)):
        checker.add("facts_checked", _("must be a date written as YYYY-MM-DD"))
        facts_checked = None
    result: dict[str, Any] = {
        "slug": checker.slug(course, "slug", ""),
        "title": checker.text(course, "title", ""),
        "summary": checker.text(course, "summary", "", max_len=1000),
        "audience": checker.text(course, "audience", ""),
        "estimated_minutes": 0,  # computed below from the text and the quizzes
        "facts_checked": facts_checked.isoformat() if facts_checked else None,
        "certificate_valid_months": checker.integer(
            course, "certificate_valid_months", "", low=1, high=120, required=False
        ),
        "language": course.get("language", "en"),
        "modules": [],
        "translations": {},  # filled from <slug>.<language>.yaml files (services/content/translations.py)
    }
    if result["language"] not in LANGUAGES:
        checker.add("language", _("must be one of %(languages)s", languages=", ".join(LANGUAGES)))
    if "estimated_minutes" in course:
        checker.add("estimated_minutes", _("is computed from the lessons and quizzes; remove it from the file"))
    module_slugs: set[str] = set()
    question_ids: set[str] = set()
    for m, raw_module in enumerate(checker.items(course, "modules", "")):
        mpath = f"modules[{m}]"
        module = checker.mapping(raw_module, mpath)
        slug = checker.slug(module, "slug", mpath)
        if slug:
            checker.unique(module_slugs, slug, f"{mpath}.slug", _("module slug"))
        lessons = []
        lesson_slugs: set[str] = set()
        for n, raw_lesson in enumerate(checker.items(module, "lessons", mpath)):
            lesson = _check_lesson(checker, raw_lesson, f"{mpath}.lessons[{n}]")
            if lesson["slug"]:
                checker.unique(lesson_slugs, lesson["slug"], f"{mpath}.lessons[{n}].slug", _("lesson slug"))
            lessons.append(lesson)
        if "quiz" not in module:
            checker.add(f"{mpath}.quiz", _("is required"))
            quiz = None
        else:
            quiz = _check_quiz(checker, module["quiz"], f"{mpath}.quiz", question_ids)
        result["modules"].append(
            {"slug": slug, "title": checker.text(module, "title", mpath), "lessons": lessons, "quiz": quiz}
        )
    result["estimated_minutes"] = estimated_minutes(result)
    return (None if checker.problems else result), checker.problems


def words(text: str) -> int:
    return len(re.findall(r"\w+(?:[-'’]\w+)*", text))


def estimated_minutes(course: dict[str, Any]) -> int:
    """Reading at READING_WORDS_PER_MINUTE plus SECONDS_PER_QUESTION for each question an attempt draws,
    rounded up to five minutes: the time a learner needs, measured, not guessed."""
    reading = sum(
        words(" ".join([lesson["body"], *lesson["objectives"], *lesson["key_points"]]))
        for module in course["modules"]
        for lesson in module["lessons"]
    )
    questions = sum((module["quiz"] or {}).get("questions_per_attempt") or 0 for module in course["modules"])
    minutes = reading / READING_WORDS_PER_MINUTE + questions * SECONDS_PER_QUESTION / 60
    return max(5, 5 * math.ceil(minutes / 5))


def validate_paths(data: Any, known_courses: set[str]) -> tuple[list[dict[str, Any]] | None, list[Problem]]:
    checker = _Checker()
    try:
        return _validate_paths(checker, data, known_courses)
    except _TooManyProblems:
        return None, checker.stopped()


def _validate_paths(
    checker: _Checker, data: Any, known_courses: set[str]
) -> tuple[list[dict[str, Any]] | None, list[Problem]]:
    root = checker.mapping(data, "")
    paths = []
    slugs: set[str] = set()
    for i, raw in enumerate(checker.items(root, "paths", "") if root else []):
        ppath = f"paths[{i}]"
        item = checker.mapping(raw, ppath)
        slug = checker.slug(item, "slug", ppath)
        if slug:
            checker.unique(slugs, slug, f"{ppath}.slug", _("path slug"))
        courses = checker.text_list(item, "courses", ppath)
        for j, course_slug in enumerate(courses):
            if course_slug not in known_courses:
                checker.add(f"{ppath}.courses[{j}]", _("unknown course %(course_slug)s", course_slug=repr(course_slug)))
        if len(set(courses)) != len(courses):
            checker.add(f"{ppath}.courses", _("lists a course twice"))
        description = item.get("description", "")
        if not isinstance(description, str):
            checker.add(f"{ppath}.description", _("must be text"))
            description = ""
        paths.append(
            {
                "slug": slug,
                "title": checker.text(item, "title", ppath),
                "description": description.strip(),
                "courses": courses,
            }
        )
    return (None if checker.problems else paths), checker.problems


# libyaml's parser when PyYAML was built with it: about eight times faster on a large course file.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """SafeLoader that reports an impossible date (2026-02-30) as a YAML error with its position, not a crash."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r}: {exc}", node.start_mark
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_nodes(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded. Walks each distinct node once (aliases share
    the node they point to), so an alias bomb is measured without being expanded."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack, seen = [root], set()
    while stack:  # iterative depth-first order: no recursion limit on deep documents
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)
    for node in reversed(order):  # children before parents
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        else:
            children = []
        sizes[id(node)] = min(1 + sum(sizes.get(id(child), 1) for child in children), MAX_EXPANDED_NODES + 1)
    return sizes[id(root)]


def parse_yaml(text: str, source: str) -> tuple[Any, list[str]]:
    """Parse one file with the safe loader, refusing documents that would expand past MAX_EXPANDED_NODES or nest
    deeper than the parser can follow; every problem comes back as a message, never an exception."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        if _expanded_nodes(node) > MAX_EXPANDED_NODES:
            return None, [
                f"{source}: the document is too large once its aliases are expanded (more than "
                f"{MAX_EXPANDED_NODES:,} items); write the content out instead of repeating it with aliases"
            ]
        return loader.construct_document(node), []
    except RecursionError:
        return None, [f"{source}: not valid YAML: lists or mappings are nested too deeply"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"{source}: not valid YAML{where}: {problem}"]
    finally:
        loader.dispose()


def fingerprint(course: dict[str, Any]) -> str:
    """A stable hash of the normalised content: equal content, equal hash."""
    return hashlib.sha256(json.dumps(course, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
