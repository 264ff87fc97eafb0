"""Course files edited in place (services/content/document.py) and what changed between two versions
(services/content/changes.py)."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import pytest
import yaml

from tracker.services.content import changes
from tracker.services.content.document import Document
from tracker.services.content.schema import parse_yaml, validate_course

SEED = Path(__file__).resolve().parents[2] / "seed_data"
LARGEST = max(
    (p for p in SEED.glob("*.yaml") if p.name.count(".") == 1 and p.name != "paths.yaml"),
    key=lambda p: p.stat().st_size,
)


@pytest.mark.parametrize("name", [LARGEST.name, "ai-in-hr.yaml", "ai-capabilities-and-limits.de.yaml"])
def test_a_seed_file_loads_and_writes_back_byte_for_byte(name):
    text = (SEED / name).read_text(encoding="utf-8")
    document = Document(text)
    assert document.text() == text
    assert document.lost_comments() == []


def test_an_edit_of_the_largest_course_changes_only_its_lines_and_keeps_every_comment(capsys):
    text = LARGEST.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    module = data["modules"][1]
    lesson = module["lessons"][0]
    started = time.perf_counter()
    document = Document(text)
    document.set_lesson(module["slug"], lesson["slug"], {"title": lesson["title"] + " (revised)"})
    document.set_quiz(module["slug"], {"pass_mark": module["quiz"]["pass_mark"] - 5})
    edited = document.text()
    elapsed = time.perf_counter() - started
    changed = [
        line
        for line in difflib.unified_diff(text.splitlines(), edited.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == 4, changed
    assert document.lost_comments() == []
    reread, problems = validate_course(yaml.safe_load(edited))
    assert not problems
    assert reread["modules"][1]["lessons"][0]["title"].endswith("(revised)")
    with capsys.disabled():
        print(f"\n  structured edit of {LARGEST.name} ({len(text) // 1000} kB): {elapsed:.2f} s load, edit and write")


TRICKY = [
    "yes",
    "No",
    "on",
    "null",
    "~",
    "1:20",
    "0x1F",
    "2026-01-01",
    "3.5",
    "1e3",
    "- a list?",
    "key: value",
    "# not a comment",
    "'quoted'",
    '"double"',
    "trailing space ",
    "emoji ✓ and ünïcode",
    "@at",
    "`tick`",
    "a | b",
    "*star",
    "&amp",
    "!bang",
    "%percent",
    "{brace}",
    "[bracket]",
    "=",
    "<<",
]


@pytest.mark.parametrize("value", TRICKY)
def test_text_written_by_a_form_reads_back_the_same(value):
    """ruamel writes YAML 1.2, the loader reads YAML 1.1: a form's text must mean the same to both."""
    text = "slug: c\ntitle: T\nmodules:\n  - slug: m\n    title: M\n    lessons:\n      - slug: l\n        title: L\n"
    document = Document(text)
    document.set_lesson("m", "l", {"title": value, "objectives": [value], "body": f"{value}\n\nmore {value}"})
    data, errors = parse_yaml(document.text(), "t.yaml")
    assert not errors
    lesson = data["modules"][0]["lessons"][0]
    assert lesson["title"] == value.strip()
    assert lesson["objectives"] == [value.strip()]
    assert lesson["body"].strip() == f"{value}\n\nmore {value}".strip()


def test_quiz_settings_changes_name_each_setting_old_and_new(app):
    old = {
        "pass_mark": 80,
        "questions_per_attempt": 3,
        "max_attempts": None,
        "cooldown_minutes": 15,
        "cooldown_after_failures": 2,
        "review_after_fail": "wrong_questions",
        "review_after_pass": "full",
    }
    new = {**old, "pass_mark": 70, "max_attempts": 3, "review_after_pass": "score"}
    found = [(f.label, f.old, f.new) for f in changes._fields(old, new, changes.QUIZ_FIELDS)]
    assert found == [
        ("Pass mark", "80%", "70%"),
        ("Attempts allowed", "unlimited", "3"),
        ("Review after a passed attempt", "Every answer, the right choices and the explanations", "The score only"),
    ]


def test_lists_and_long_text_change_line_by_line(app):
    old = {"objectives": ["Keep", "Drop"], "body": "One.\nTwo.", "title": "Same"}
    new = {"objectives": ["Keep", "Add"], "body": "One.\nThree.", "title": "Same"}
    found = {f.name: f.lines for f in changes._fields(old, new, ("title", "objectives", "body"))}
    assert found == {
        "objectives": ((" ", "Keep"), ("-", "Drop"), ("+", "Add")),
        "body": ((" ", "One."), ("-", "Two."), ("+", "Three.")),
    }
