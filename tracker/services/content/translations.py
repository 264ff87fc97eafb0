"""Course translations: a file per language beside the course (`<slug>.<language>.yaml`), checked against it.

A translation gives the same course in another language: every module, lesson and question of the source, by the
same slugs and ids, with the same number of choices per question (which choices are correct comes from the
source). Missing or extra items are problems; a translation of a course file that later changed through the
editor is kept for what still matches and reports what is missing (`status()`), and learners see the source text
for those items. Format: docs/content-format.md, "Translations".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from ...enums import QuestionKind
from ...i18n import LANGUAGES
from .markdown import render_markdown
from .schema import Problem, _check_url, _Checker

FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<language>[a-z]{2})\.ya?ml$")


def language_of_file(name: str) -> tuple[str, str] | None:
    """(course slug, language) for a translation file name like `ai-basics.de.yaml`; None for a course file."""
    match = FILE_NAME.match(name)
    return (match["slug"], match["language"]) if match else None


def validate_translation(
    source: dict[str, Any], data: Any, *, complete: bool = True
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check a parsed translation file against the normalised source course. With `complete`, every item of the
    source must be translated; extra or mismatched items are problems either way."""
    checker = _Checker()
    raw = checker.mapping(data, "")
    if not raw:
        return None, checker.problems
    if raw.get("translation_of") != source["slug"]:
        checker.add("translation_of", _("must be the slug of the course, %(slug)s", slug=repr(source["slug"])))
    language = raw.get("language")
    if language not in LANGUAGES or language == source.get("language", "en"):
        others = ", ".join(code for code in LANGUAGES if code != source.get("language", "en"))
        checker.add("language", _("must be one of %(languages)s", languages=others))
    result: dict[str, Any] = {
        "language": language,
        "title": checker.text(raw, "title", ""),
        "summary": checker.text(raw, "summary", "", max_len=1000),
        "audience": checker.text(raw, "audience", ""),
        "modules": {},
    }
    modules = {m["slug"]: m for m in source["modules"]}
    for m, raw_module in enumerate(_items(checker, raw, "modules", "")):
        mpath = f"modules[{m}]"
        module = checker.mapping(raw_module, mpath)
        slug = module.get("slug")
        if slug not in modules:
            checker.add(f"{mpath}.slug", _("%(slug)s is not a module of the course", slug=repr(slug)))
            continue
        result["modules"][slug] = _module(checker, modules[slug], module, mpath, complete)
    if complete:
        for slug in modules.keys() - result["modules"].keys():
            checker.add("modules", _("module %(slug)s is not translated", slug=repr(slug)))
    return (None if checker.problems else result), checker.problems


def _items(checker: _Checker, data: dict, key: str, path: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        checker.add(f"{path}.{key}" if path else key, _("must be a list"))
        return []
    return value


def _module(checker: _Checker, source: dict, raw: dict, path: str, complete: bool) -> dict[str, Any]:
    lessons = {lesson["slug"]: lesson for lesson in source["lessons"]}
    translated: dict[str, Any] = {"title": checker.text(raw, "title", path), "lessons": {}, "questions": {}}
    for n, raw_lesson in enumerate(_items(checker, raw, "lessons", path)):
        lpath = f"{path}.lessons[{n}]"
        lesson = checker.mapping(raw_lesson, lpath)
        slug = lesson.get("slug")
        if slug not in lessons:
            checker.add(f"{lpath}.slug", _("%(slug)s is not a lesson of this module", slug=repr(slug)))
            continue
        translated["lessons"][slug] = _lesson(checker, lessons[slug], lesson, lpath)
    questions = {q["key"]: q for q in (source["quiz"] or {}).get("questions", [])}
    quiz = checker.mapping(raw.get("quiz", {}), f"{path}.quiz") if "quiz" in raw else {}
    for q, raw_question in enumerate(_items(checker, quiz, "questions", f"{path}.quiz")):
        qpath = f"{path}.quiz.questions[{q}]"
        question = checker.mapping(raw_question, qpath)
        key = question.get("id")
        if key not in questions:
            checker.add(f"{qpath}.id", _("%(key)s is not a question of this module", key=repr(key)))
            continue
        translated["questions"][key] = _question(checker, questions[key], question, qpath)
    if complete:
        for slug in lessons.keys() - translated["lessons"].keys():
            checker.add(f"{path}.lessons", _("lesson %(slug)s is not translated", slug=repr(slug)))
        for key in questions.keys() - translated["questions"].keys():
            checker.add(f"{path}.quiz.questions", _("question %(key)s is not translated", key=repr(key)))
    return translated


def _lesson(checker: _Checker, source: dict, raw: dict, path: str) -> dict[str, Any]:
    body = checker.text(raw, "body", path, max_len=100_000)
    if body:
        for problem in markdown_problems(body):
            checker.add(f"{path}.body", problem)
    sources = source["sources"]
    if "sources" in raw:  # optional: the source's citations are kept when the translation gives none
        sources = []
        for i, raw_source in enumerate(_items(checker, raw, "sources", path)):
            spath = f"{path}.sources[{i}]"
            item = checker.mapping(raw_source, spath)
            citation = checker.text(item, "citation", spath, max_len=1000)
            url = _check_url(checker, item.get("url"), f"{spath}.url")
            sources.append({"citation": citation, "url": url} if url else {"citation": citation})
    return {
        "title": checker.text(raw, "title", path),
        "objectives": checker.text_list(raw, "objectives", path),
        "body": body,
        "key_points": checker.text_list(raw, "key_points", path),
        "sources": sources,
    }


def markdown_problems(text: str) -> list[str]:
    """Markdown that parses (CommonMark always does) but would not show what the author meant."""
    problems = []
    fences = [line for line in text.splitlines() if line.lstrip().startswith(("```", "~~~"))]
    if len(fences) % 2:
        problems.append(_("has a code block (```) that is never closed: the rest of the lesson would show as code"))
    if re.search(r"(?<!!)\[\s*\]\(", text):
        problems.append(_("has a link without text: [](...)"))
    if not re.search(r"\w", re.sub(r"<[^>]+>", "", render_markdown(text))):
        problems.append(_("renders as empty text; check the Markdown"))
    return problems


def _question(checker: _Checker, source: dict, raw: dict, path: str) -> dict[str, Any]:
    translated = {
        "prompt": checker.text(raw, "prompt", path, max_len=1000),
        "explanation": checker.text(raw, "explanation", path, max_len=3000),
        "choices": [],
    }
    if source["kind"] == QuestionKind.TRUE_FALSE:
        if "choices" in raw:
            checker.add(f"{path}.choices", _("true_false questions take no choices"))
        return translated
    choices = _items(checker, raw, "choices", path)
    if len(choices) != len(source["choices"]):
        checker.add(
            f"{path}.choices",
            _(
                "has %(given)d choices; the course has %(expected)d",
                given=len(choices),
                expected=len(source["choices"]),
            ),
        )
    for i, raw_choice in enumerate(choices):
        cpath = f"{path}.choices[{i}]"
        choice = checker.mapping(raw_choice, cpath)
        if "correct" in choice:
            checker.add(f"{cpath}.correct", _("comes from the course; remove it from the translation"))
        translated["choices"].append(checker.text(choice, "text", cpath, max_len=500))
    return translated


@dataclass
class TranslationStatus:
    language: str
    total: int
    missing: list[str] = field(default_factory=list)  # "lesson what-counts-as-ai/the-legal-definition", ...

    @property
    def complete(self) -> bool:
        return not self.missing


def status(source: dict[str, Any], translation: dict[str, Any]) -> TranslationStatus:
    """How much of a (normalised) course a stored translation covers."""
    result = TranslationStatus(translation["language"], 0)
    for module in source["modules"]:
        mine = translation["modules"].get(module["slug"], {"lessons": {}, "questions": {}})
        result.total += 1
        if module["slug"] not in translation["modules"]:
            result.missing.append(f"module {module['slug']}")
        for lesson in module["lessons"]:
            result.total += 1
            if lesson["slug"] not in mine["lessons"]:
                result.missing.append(f"lesson {module['slug']}/{lesson['slug']}")
        for question in (module["quiz"] or {}).get("questions", []):
            result.total += 1
            if question["key"] not in mine["questions"]:
                result.missing.append(f"question {question['key']}")
    return result


def rendered(translation: dict[str, Any]) -> dict[str, Any]:
    """The stored form: lesson bodies rendered to HTML once, like the source's."""
    for module in translation["modules"].values():
        for lesson in module["lessons"].values():
            lesson["body_html"] = render_markdown(lesson["body"])
    return translation


def carry_over(source: dict[str, Any], file_data: dict[str, Any]) -> dict[str, Any] | None:
    """A stored translation (as a translation file) fitted to a changed source: items the source no longer has, and
    questions whose choices changed in number, are dropped (learners see the source text there until a translator
    catches up). None when nothing usable is left."""
    modules = {m["slug"]: m for m in source["modules"]}
    kept = []
    for module in file_data.get("modules", []):
        current = modules.get(module.get("slug"))
        if current is None:
            continue
        lessons = {lesson["slug"] for lesson in current["lessons"]}
        questions = {q["key"]: q for q in (current["quiz"] or {}).get("questions", [])}
        kept.append(
            {
                **module,
                "lessons": [lesson for lesson in module.get("lessons", []) if lesson.get("slug") in lessons],
                "quiz": {
                    "questions": [
                        q
                        for q in module.get("quiz", {}).get("questions", [])
                        if q.get("id") in questions
                        and len(q.get("choices", []))
                        == len(questions[q["id"]]["choices"]) * (questions[q["id"]]["kind"] != QuestionKind.TRUE_FALSE)
                    ]
                },
            }
        )
    translation, problems = validate_translation(source, {**file_data, "modules": kept}, complete=False)
    return translation if not problems else None
