"""Exporting courses back to the content format, and planning what a publication changes."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from tests import factories
from tracker.extensions import db
from tracker.services.content import editor, loader
from tracker.services.content import export as content_export
from tracker.services.content.loader import check_course_text
from tracker.services.content.schema import fingerprint
from tracker.services.content.translations import language_of_file, validate_translation

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
COURSE_FILES = sorted(
    p for p in SEED_DIR.glob("*.yaml") if p.name != loader.PATHS_FILE and not language_of_file(p.name)
)


@pytest.mark.slow
def test_every_seed_course_round_trips_through_the_export(app):
    """Load the real seed_data, export each course and validate the export: the same normalised content (hence
    the same fingerprint) as the hand-written file. So the editor, which starts from the export, changes nothing
    by itself."""
    assert len(COURSE_FILES) >= 6
    originals = {course["slug"]: course for course in loader.read_directory(SEED_DIR).courses}
    loader.load_directory(SEED_DIR)
    db.session.commit()
    for path in COURSE_FILES:
        original = originals[path.stem]
        course = content_export.course_for_export(original["slug"])
        exported_text = content_export.export_course_yaml(course)
        exported = check_course_text(exported_text, path.name)
        for language in course.translations:  # translations export to their own files, and read back the same
            file_text = content_export.export_translation_yaml(course, language)
            translation, problems = validate_translation(exported, yaml.safe_load(file_text))
            assert problems == [], (path.name, language)
            exported["translations"][language] = translation
        assert exported == original, path.name
        assert fingerprint(exported) == course.content_hash, path.name
        # Loading the export is a no-op: the version does not move.
        assert loader.apply_course(exported).status == "unchanged", path.name


def test_export_writes_the_documented_format(app):
    data = factories.course_data("export-format", modules=1, lessons=1, pool=3, per_attempt=2, valid_months=None)
    data["modules"][0]["lessons"][0]["body"] = "## Heading\n\nFirst paragraph.\n\n- a list item"
    data["modules"][0]["lessons"][0]["sources"].append({"citation": "A book without a link."})
    loader.apply_course(data)
    db.session.commit()
    course = content_export.course_for_export("export-format")

    exported = content_export.export_course(course)
    assert list(exported) == ["slug", "title", "summary", "audience", "facts_checked", "modules"]
    assert "certificate_valid_months" not in exported  # None is omitted
    assert exported["facts_checked"] == dt.date(2026, 11, 22)
    questions = exported["modules"][0]["quiz"]["questions"]
    single, multiple, true_false = questions
    assert single["type"] == "single" and single["choices"][0] == {"text": "Right", "correct": True}
    assert single["choices"][1] == {"text": "Wrong"}
    assert [c.get("correct", False) for c in multiple["choices"]] == [True, True, False]
    assert true_false == {
        "id": "export-format-m1-q3",
        "type": "true_false",
        "prompt": "Question 3 of module 1?",
        "answer": True,
        "explanation": "Because of reason 3.",
    }
    assert exported["modules"][0]["lessons"][0]["sources"] == [
        {"citation": "Author (2024). Title. Publisher.", "url": "https://example.org/source"},
        {"citation": "A book without a link."},
    ]

    text = content_export.export_course_yaml(course)
    assert "facts_checked: 2026-11-22\n" in text  # a YAML date, not a quoted string
    # Multi-line text as a literal block, lists indented under their key as in the hand-written files.
    assert "\n        body: |-\n          ## Heading\n\n          First paragraph.\n" in text
    assert "\n    lessons:\n      - slug: lesson-1\n" in text
    assert "      answer: true\n" in text
    assert check_course_text(text, "export-format.yaml") == data


def test_export_leaves_out_retired_content_and_follows_the_new_order(app):
    data = factories.course_data("export-retired", modules=2, lessons=3, pool=4, per_attempt=2)
    loader.apply_course(data)
    changed = copy.deepcopy(data)
    first = changed["modules"][0]
    first["lessons"] = [first["lessons"][2], first["lessons"][0]]  # lesson-2 retired, lesson-3 moved first
    del first["quiz"]["questions"][1]
    changed["modules"] = [changed["modules"][0]]  # module-2 retired
    loader.apply_course(changed)
    db.session.commit()

    exported = content_export.export_course(content_export.course_for_export("export-retired"))
    assert [m["slug"] for m in exported["modules"]] == ["module-1"]
    assert [lesson["slug"] for lesson in exported["modules"][0]["lessons"]] == ["lesson-3", "lesson-1"]
    assert [q["id"] for q in exported["modules"][0]["quiz"]["questions"]] == [
        "export-retired-m1-q1",
        "export-retired-m1-q3",
        "export-retired-m1-q4",
    ]
    assert check_course_text(yaml.safe_dump(exported), "x.yaml") == changed


def test_text_that_cannot_be_a_literal_block_is_still_exported_faithfully(app):
    data = factories.course_data("export-awkward", modules=1, lessons=1, pool=3, per_attempt=1)
    awkward = "Line with trailing spaces   \n\tIndented by a tab\nÜnïcødé – “quotes” : and # hashes"
    data["modules"][0]["lessons"][0]["body"] = awkward
    data["modules"][0]["quiz"]["questions"][0]["explanation"] = "Two\nlines"
    loader.apply_course(data)
    db.session.commit()
    text = content_export.export_course_yaml(content_export.course_for_export("export-awkward"))
    assert "Ünïcødé" in text  # allow_unicode: no \u escapes
    assert check_course_text(text, "export-awkward.yaml") == data


def test_course_for_export_uses_a_fixed_number_of_queries(app, count_queries):
    factories.make_course("export-queries-small", modules=1, lessons=1)
    factories.make_course("export-queries-large", modules=4, lessons=4)
    db.session.expire_all()
    counts = []
    for slug in ("export-queries-small", "export-queries-large"):
        with count_queries() as counter:
            content_export.export_course(content_export.course_for_export(slug))
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 5


def test_course_rows_count_current_content_in_one_query(app, count_queries):
    data = factories.course_data("rows-course", modules=2, lessons=2, pool=5, per_attempt=3)
    loader.apply_course(data)
    data = copy.deepcopy(data)
    del data["modules"][1]["lessons"][0]
    del data["modules"][1]["quiz"]["questions"][0]
    loader.apply_course(data)
    factories.make_course("rows-other", modules=1, lessons=3, pool=4)
    db.session.commit()
    with count_queries() as counter:
        rows = {row.course.slug: row for row in editor.course_rows()}
    # The rows with their counts, and three grouped counts of translated items: the same for any number of courses.
    assert counter.count == 4
    factories.make_course("rows-third", modules=3, lessons=2, pool=4)
    db.session.commit()
    with count_queries() as more:
        editor.course_rows()
    assert more.count == counter.count
    assert (rows["rows-course"].modules, rows["rows-course"].lessons, rows["rows-course"].questions) == (2, 3, 9)
    assert (rows["rows-other"].modules, rows["rows-other"].lessons, rows["rows-other"].questions) == (1, 3, 4)


def test_plan_for_a_new_an_unchanged_and_an_edited_course(app):
    data = factories.course_data("plan-course", modules=2, lessons=2, pool=4, per_attempt=2)
    plan = editor.plan_publication(data)
    assert (plan.status, plan.current_version, plan.next_version) == ("new", None, 1)
    assert [m.status for m in plan.modules] == ["added", "added"]
    assert "<strong>bold</strong>" in plan.course["modules"][0]["lessons"][0]["body_html"]
    assert "body_html" not in data["modules"][0]["lessons"][0]  # the caller's data is left alone

    loader.apply_course(data)
    db.session.commit()
    plan = editor.plan_publication(copy.deepcopy(data))
    assert (plan.status, plan.current_version, plan.next_version) == ("unchanged", 1, 1)

    edited = copy.deepcopy(data)
    edited["title"] = "A new title"
    module = edited["modules"][0]
    module["lessons"][0]["body"] += "\n\nOne more paragraph."
    module["lessons"].append({**copy.deepcopy(module["lessons"][1]), "slug": "lesson-new", "title": "Brand new"})
    del module["lessons"][1]  # lesson-2 retired
    module["quiz"]["questions"][0]["explanation"] = "A better explanation."
    module["quiz"]["questions"].append({**copy.deepcopy(module["quiz"]["questions"][1]), "key": "plan-new-q"})
    del module["quiz"]["questions"][2]
    edited["modules"][1] = {**copy.deepcopy(edited["modules"][1]), "slug": "module-3", "title": "Module 3"}
    for i, question in enumerate(edited["modules"][1]["quiz"]["questions"]):
        question["key"] = f"plan-m3-q{i}"
    plan = editor.plan_publication(edited)
    assert (plan.status, plan.current_version, plan.next_version) == ("updated", 1, 2)
    assert [(f.name, f.old, f.new) for f in plan.changes.fields] == [("title", data["title"], "A new title")]
    by_slug = {m.slug: m for m in plan.modules}
    assert {slug: m.status for slug, m in by_slug.items()} == {
        "module-1": "changed",
        "module-3": "added",
        "module-2": "retired",
    }
    module_1 = by_slug["module-1"]
    assert [(i.title, i.status) for i in module_1.lessons] == [
        ("Lesson 1.1", "edited"),
        ("Brand new", "added"),
        ("Lesson 1.2", "retired"),
    ]
    [body] = module_1.lessons[0].fields
    assert body.name == "body" and ("+", "One more paragraph.") in body.lines
    assert [(i.key, i.status) for i in module_1.questions] == [
        ("plan-course-m1-q1", "edited"),
        ("plan-new-q", "added"),
        ("plan-course-m1-q3", "retired"),
    ]
    assert [(f.name, f.new) for f in module_1.questions[0].fields] == [("explanation", "A better explanation.")]
    assert module_1.quiz == []
