"""Course translations: files beside the course, checked item by item, stored with the course, kept through edits."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import factories
from tracker.extensions import db
from tracker.models import Course, Lesson, Question
from tracker.services.content import editor, loader
from tracker.services.content import export as content_export
from tracker.services.content.loader import Base
from tracker.services.content.schema import ContentError, validate_course
from tracker.services.content.translations import status, validate_translation

from .test_content_loader import GOOD_COURSE


def source() -> dict[str, Any]:
    return validate_course(yaml.safe_load(GOOD_COURSE))[0]


def translation_of(course: dict[str, Any], language: str = "de") -> dict[str, Any]:
    """A complete translation file for a normalised course (German-looking text)."""
    return {
        "translation_of": course["slug"],
        "language": language,
        "title": f"[{language}] {course['title']}",
        "summary": f"[{language}] {course['summary']}",
        "audience": "Alle Beschäftigten",
        "modules": [
            {
                "slug": module["slug"],
                "title": f"[{language}] {module['title']}",
                "lessons": [
                    {
                        "slug": lesson["slug"],
                        "title": f"[{language}] {lesson['title']}",
                        "objectives": [f"[{language}] Ziel."],
                        "body": f"## [{language}] Überschrift\n\nText der Lektion {lesson['slug']}.",
                        "key_points": [f"[{language}] Kernpunkt."],
                    }
                    for lesson in module["lessons"]
                ],
                "quiz": {
                    "questions": [
                        {
                            "id": q["key"],
                            "prompt": f"[{language}] {q['prompt']}",
                            **(
                                {}
                                if q["kind"] == "true_false"
                                else {"choices": [{"text": f"[{language}] {c['text']}"} for c in q["choices"]]}
                            ),
                            "explanation": f"[{language}] Erklärung.",
                        }
                        for q in module["quiz"]["questions"]
                    ]
                },
            }
            for module in course["modules"]
        ],
    }


def problems(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_translation(source(), data)[1]]


def test_a_complete_translation_is_accepted_and_keeps_the_sources_of_the_course():
    translation, found = validate_translation(source(), translation_of(source()))
    assert found == []
    lesson = translation["modules"]["first-module"]["lessons"]["first-lesson"]
    assert lesson["sources"] == source()["modules"][0]["lessons"][0]["sources"]
    assert status(source(), translation).complete


def _first_question(data):
    return data["modules"][0]["quiz"]["questions"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: _first_question(d).pop(0), "question 'first-single' is not translated"),
        (lambda d: _first_question(d).append({"id": "extra", "prompt": "x", "explanation": "y"}), "'extra' is not"),
        (lambda d: d["modules"].pop(), "module 'second-module' is not translated"),
        (lambda d: d["modules"][0]["lessons"].pop(), "lesson 'second-lesson' is not translated"),
        (lambda d: _first_question(d)[1]["choices"].pop(), "has 2 choices; the course has 3"),
        (lambda d: _first_question(d)[0]["choices"][0].update(correct=True), "comes from the course"),
        (lambda d: d["modules"][0]["lessons"][0].update(body="Text\n\n```\ncode"), "never closed"),
        (lambda d: d["modules"][0]["lessons"][0].update(body="See [](https://example.org)."), "link without text"),
        (lambda d: d["modules"][0]["lessons"][0].update(body="***"), "renders as empty text"),
        (lambda d: d.update(language="en"), "language: must be one of de, fr"),
        (lambda d: d.update(translation_of="another-course"), "translation_of: must be the slug"),
    ],
)
def test_missing_extra_and_mismatched_items_are_reported(change, expected):
    data = translation_of(source())
    change(data)
    found = problems(data)
    assert any(expected in problem for problem in found), found


def _write(folder: Path, name: str, data: Any) -> None:
    (folder / name).write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True))


def test_the_loader_stores_translations_and_the_version_covers_every_language(app, tmp_path):
    _write(tmp_path, "loader-test-course.yaml", GOOD_COURSE)
    _write(tmp_path, "loader-test-course.de.yaml", translation_of(source()))
    [result] = loader.load_directory(tmp_path)
    db.session.commit()
    course = factories.load_course("loader-test-course")
    assert (result.status, course.version, set(course.translations)) == ("created", 1, {"de"})
    assert course.translations["de"]["title"].startswith("[de]")
    lesson = db.session.scalars(db.select(Lesson).where(Lesson.slug == "first-lesson")).first()
    assert "<h2>[de] Überschrift</h2>" in lesson.translations["de"]["body_html"]

    changed = translation_of(source())
    changed["title"] = "Ein anderer Titel"
    _write(tmp_path, "loader-test-course.de.yaml", changed)
    [result] = loader.load_directory(tmp_path)
    assert (result.status, result.version) == ("updated", 2)


def test_a_translation_with_problems_loads_nothing(app, tmp_path):
    _write(tmp_path, "loader-test-course.yaml", GOOD_COURSE)
    broken = translation_of(source())
    _first_question(broken).pop()
    _write(tmp_path, "loader-test-course.de.yaml", broken)
    _write(tmp_path, "nothing-here.fr.yaml", translation_of(source(), "fr"))
    with pytest.raises(ContentError) as info:
        loader.load_directory(tmp_path)
    assert any(p.startswith("loader-test-course.de.yaml: modules[0].quiz.questions:") for p in info.value.problems)
    assert any(p.startswith("nothing-here.fr.yaml: no course file") for p in info.value.problems)
    assert db.session.scalar(db.select(db.func.count()).select_from(Course)) == 0


def test_translations_export_to_the_same_file_and_survive_an_edit_of_the_course(app, tmp_path):
    _write(tmp_path, "loader-test-course.yaml", GOOD_COURSE)
    _write(tmp_path, "loader-test-course.de.yaml", translation_of(source()))
    loader.load_directory(tmp_path)
    db.session.commit()
    stored = content_export.course_for_export("loader-test-course")
    exported = content_export.export_translation(stored, "de")
    assert validate_translation(source(), exported)[0] == validate_translation(source(), translation_of(source()))[0]

    # The editor publishes a new version without one question: the German text of the others is kept.
    edited = copy.deepcopy(source())
    removed = edited["modules"][0]["quiz"]["questions"].pop()
    result = editor.publish_course(None, edited, Base(stored.version, stored.content_hash))
    db.session.commit()
    assert result.status == "updated"
    question = db.session.scalars(
        db.select(Question).where(Question.key == edited["modules"][0]["quiz"]["questions"][0]["key"])
    ).one()
    assert question.translations["de"]["prompt"].startswith("[de]")
    retired = db.session.scalars(db.select(Question).where(Question.key == removed["key"])).one()
    assert retired.retired


def test_the_content_list_shows_each_translation_complete_or_what_it_misses(app, client, make_user, login_as, tmp_path):
    _write(tmp_path, "loader-test-course.yaml", GOOD_COURSE)
    _write(tmp_path, "loader-test-course.de.yaml", translation_of(source()))
    loader.load_directory(tmp_path)
    db.session.commit()
    login_as(make_user("admin"))
    page = client.get("/admin/content/").get_data(as_text=True)
    assert 'Deutsch: <span class="badge badge-complete">complete</span>' in page

    edited = copy.deepcopy(source())
    new_question = copy.deepcopy(edited["modules"][0]["quiz"]["questions"][0])
    new_question["key"] = "first-single-bis"
    edited["modules"][0]["quiz"]["questions"].append(new_question)
    stored = content_export.course_for_export("loader-test-course")
    editor.publish_course(None, edited, Base(stored.version, stored.content_hash))
    db.session.commit()
    page = client.get("/admin/content/").get_data(as_text=True)
    assert 'Deutsch: <span class="badge badge-in-progress">1 item missing</span>' in page
