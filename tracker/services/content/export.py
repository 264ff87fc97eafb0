"""Course content out of the database, in the exact input format of docs/content-format.md.

An exported file loads back to the same normalised content (and the same fingerprint): editing through the admin
pages cannot silently change a course.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...enums import QuestionKind
from ...extensions import db
from ...models import Course, Module, Question, Quiz


def export_options():
    """Eager loading for an export: every non-retired module, lesson, quiz and question, in four queries."""
    return selectinload(Course.modules).options(
        selectinload(Module.lessons), selectinload(Module.quiz).selectinload(Quiz.questions)
    )


def course_for_export(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug).options(export_options()))


def export_course(course: Course) -> dict[str, Any]:
    """The course as a content file (a plain dict in the documented field order)."""
    data: dict[str, Any] = {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "audience": course.audience,
    }
    if course.facts_checked is not None:
        data["facts_checked"] = course.facts_checked
    if course.certificate_valid_months is not None:
        data["certificate_valid_months"] = course.certificate_valid_months
    if course.source_language != "en":
        data["language"] = course.source_language
    data["modules"] = [_export_module(module) for module in course.modules]
    return data


def _export_module(module: Module) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": module.slug,
        "title": module.title,
        "lessons": [
            {
                "slug": lesson.slug,
                "title": lesson.title,
                "objectives": list(lesson.objectives),
                "body": lesson.body_markdown,
                "key_points": list(lesson.key_points),
                "sources": [_export_source(source) for source in lesson.sources],
            }
            for lesson in module.lessons
        ],
    }
    quiz = module.quiz
    if quiz is not None:
        data["quiz"] = {
            "pass_mark": quiz.pass_mark,
            "questions_per_attempt": quiz.questions_per_attempt,
            "max_attempts": quiz.max_attempts,
            "cooldown_minutes": quiz.cooldown_minutes,
            "cooldown_after_failures": quiz.cooldown_after_failures,
            "review": {"after_fail": quiz.review_after_fail, "after_pass": quiz.review_after_pass},
            "questions": [_export_question(q) for q in quiz.questions],
        }
    return data


def _export_source(source: dict[str, Any]) -> dict[str, Any]:
    exported = {"citation": source["citation"]}
    if source.get("url"):
        exported["url"] = source["url"]
    return exported


def _export_question(question: Question) -> dict:
    return question_file(
        question.key, question.kind, question.scenario, question.prompt, question.choices, question.explanation
    )


def question_file(
    key: str, kind: str, scenario: bool, prompt: str, choices: list[dict[str, Any]], explanation: str
) -> dict[str, Any]:
    """A question as written in a course file, from its normalised (stored) form."""
    data: dict[str, Any] = {"id": key, "type": kind}
    if scenario:
        data["scenario"] = True
    data["prompt"] = prompt
    if kind == QuestionKind.TRUE_FALSE:
        data["answer"] = any(c["id"] == "true" and c["correct"] for c in choices)
    else:
        data["choices"] = [
            {"text": c["text"], "correct": True} if c["correct"] else {"text": c["text"]} for c in choices
        ]
    data["explanation"] = explanation
    return data


def lesson_file(lesson: dict[str, Any]) -> dict[str, Any]:
    return {
        "slug": lesson["slug"],
        "title": lesson["title"],
        "objectives": list(lesson["objectives"]),
        "body": lesson["body"],
        "key_points": list(lesson["key_points"]),
        "sources": [_export_source(source) for source in lesson["sources"]],
    }


def quiz_file(quiz: dict[str, Any]) -> dict[str, Any]:
    return {
        "pass_mark": quiz["pass_mark"],
        "questions_per_attempt": quiz["questions_per_attempt"],
        "max_attempts": quiz["max_attempts"],
        "cooldown_minutes": quiz["cooldown_minutes"],
        "cooldown_after_failures": quiz["cooldown_after_failures"],
        "review": {"after_fail": quiz["review_after_fail"], "after_pass": quiz["review_after_pass"]},
        "questions": [
            question_file(q["key"], q["kind"], q.get("scenario", False), q["prompt"], q["choices"], q["explanation"])
            for q in quiz["questions"]
        ],
    }


def file_from_content(course: dict[str, Any]) -> dict[str, Any]:
    """A normalised course (schema.validate_course) as a course file: validating it gives the course back."""
    data: dict[str, Any] = {
        "slug": course["slug"],
        "title": course["title"],
        "summary": course["summary"],
        "audience": course["audience"],
    }
    if course["facts_checked"]:
        data["facts_checked"] = date.fromisoformat(course["facts_checked"])
    if course["certificate_valid_months"] is not None:
        data["certificate_valid_months"] = course["certificate_valid_months"]
    if course.get("language", "en") != "en":
        data["language"] = course["language"]
    data["modules"] = []
    for module in course["modules"]:
        item: dict[str, Any] = {
            "slug": module["slug"],
            "title": module["title"],
            "lessons": [lesson_file(lesson) for lesson in module["lessons"]],
        }
        if module.get("quiz"):
            item["quiz"] = quiz_file(module["quiz"])
        data["modules"].append(item)
    return data


def translation_file_from_content(course: dict[str, Any], translation: dict[str, Any]) -> dict[str, Any]:
    """A normalised translation (translations.validate_translation) as a translation file, in course order."""
    data: dict[str, Any] = {
        "translation_of": course["slug"],
        "language": translation["language"],
        "title": translation["title"],
        "summary": translation["summary"],
        "audience": translation["audience"],
        "modules": [],
    }
    for module in course["modules"]:
        mine = translation["modules"].get(module["slug"])
        if mine is None:
            continue
        lessons = [
            {"slug": lesson["slug"], **_translated_lesson(mine["lessons"][lesson["slug"]])}
            for lesson in module["lessons"]
            if lesson["slug"] in mine["lessons"]
        ]
        questions = []
        for question in (module.get("quiz") or {}).get("questions", []):
            text = mine["questions"].get(question["key"])
            if text is None:
                continue
            item: dict[str, Any] = {"id": question["key"], "prompt": text["prompt"]}
            if question["kind"] != QuestionKind.TRUE_FALSE:
                item["choices"] = [{"text": choice} for choice in text["choices"]]
            item["explanation"] = text["explanation"]
            questions.append(item)
        data["modules"].append(
            {"slug": module["slug"], "title": mine["title"], "lessons": lessons, "quiz": {"questions": questions}}
        )
    return data


def _translated_lesson(lesson: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": lesson["title"],
        "objectives": list(lesson["objectives"]),
        "body": lesson["body"],
        "key_points": list(lesson["key_points"]),
        "sources": [_export_source(source) for source in lesson["sources"]],
    }


class _Dumper(yaml.SafeDumper):
    """SafeDumper laid out like the hand-written files: multi-line text as a literal block (`|`), and lists
    indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # The emitter falls back to a quoted style by itself when a block cannot hold the text (e.g. trailing spaces).
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: dict[str, Any]) -> str:
    """A course or translation file as YAML, laid out like the hand-written files."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)  # noqa: S506 - SafeDumper


def export_course_yaml(course: Course) -> str:
    return dump_yaml(export_course(course))


# --- What publishing would change -------------------------------------------------------------------------------


def export_translation(course: Course, language: str) -> dict[str, Any]:
    """A stored translation as a translation file (docs/content-format.md, "Translations"), in course order.
    `course` is loaded with export_options()."""
    head = course.translations.get(language, {})
    data: dict[str, Any] = {"translation_of": course.slug, "language": language, **head, "modules": []}
    for module in course.modules:
        mine = module.translations.get(language)
        if mine is None:
            continue
        lessons = [
            {"slug": lesson.slug, **{k: v for k, v in lesson.translations[language].items() if k != "body_html"}}
            for lesson in module.lessons
            if language in lesson.translations
        ]
        questions = [
            _translated_question(question, question.translations[language])
            for question in (module.quiz.questions if module.quiz else [])
            if language in question.translations
        ]
        data["modules"].append({"slug": module.slug, **mine, "lessons": lessons, "quiz": {"questions": questions}})
    return data


def _translated_question(question: Question, text: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": question.key, "prompt": text["prompt"]}
    if question.kind != QuestionKind.TRUE_FALSE:
        data["choices"] = [{"text": choice} for choice in text["choices"]]
    data["explanation"] = text["explanation"]
    return data


def export_translation_yaml(course: Course, language: str) -> str:
    return yaml.dump(
        export_translation(course, language), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
    )
