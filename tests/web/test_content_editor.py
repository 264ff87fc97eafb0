"""The structured content editor: forms for a course, its modules, quizzes, lessons and questions, saved to a draft
that keeps the YAML's comments, checked like a course file, previewed with every changed field, then published."""

from __future__ import annotations

import difflib
import html
import re

import pytest
import yaml
from sqlalchemy import select

from tests.web.test_admin_content import _course, _payload, _textarea
from tracker.extensions import db
from tracker.models import CourseDraft, CourseVersion, Question, Role
from tracker.services.content import loader

COMMENTED = """\
# Course file kept by the content team; comments must survive the editor.
slug: commented-course
title: A commented course
summary: What a comment is for.   # shown in the catalogue
audience: All staff
facts_checked: 2026-10-01
modules:

  # ---- Module 1: basics ------------------------------------------------
  - slug: basics
    title: The basics
    lessons:
      - slug: first
        title: First lesson
        objectives:
          - Know the first thing.
        body: |
          The first lesson's text.

          ### A heading, not a comment
        key_points:
          - The first point.   # reviewed by legal
        sources:
          - citation: "Source A (2024)."
            url: https://example.org/a
      # The second lesson was added after the pilot.
      - slug: second
        title: Second lesson
        objectives:
          - Know the second thing.
        body: The second lesson's text.
        key_points:
          - The second point.
        sources:
          - citation: Source B (2025).
    quiz:
      pass_mark: 80              # agreed with HR
      questions_per_attempt: 2
      questions:
        - id: cc-one
          type: single
          scenario: true
          prompt: Which one?
          choices:
            - text: This one.
              correct: true
            - text: That one.
          explanation: Because this one.
        - id: cc-two
          type: true_false
          prompt: Is it true?
          answer: true
          explanation: It is.
        # Keep cc-three last: it refers to the two above.
        - id: cc-three
          type: multiple
          prompt: Which ones?
          choices:
            - text: A
              correct: true
            - text: B
              correct: true
            - text: C
          explanation: A and B.
"""
SLUG = "commented-course"
BASE = f"/admin/content/{SLUG}/draft"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin", email="ada@example.org")


@pytest.fixture
def commented(app):
    """The course published from its file, comments and all (as `flask seed` or the YAML editor would)."""
    loader.apply_course(loader.check_course_text(COMMENTED, f"{SLUG}.yaml"), source_text=COMMENTED)
    db.session.commit()
    return _course(SLUG)


def _draft_text(user) -> str:
    db.session.expire_all()
    return db.session.scalar(select(CourseDraft.text).where(CourseDraft.user_id == user.id))


def _lesson_form(**changes) -> dict[str, str]:
    data = {
        "title": "First lesson",
        "objectives": "Know the first thing.",
        "body": "The first lesson's text.\n\n### A heading, not a comment",
        "key_points": "The first point.",
        "sources-0-citation": "Source A (2024).",
        "sources-0-url": "https://example.org/a",
        "sources-1-citation": "",
        "sources-1-url": "",
    }
    data.update(changes)
    return data


def _question_form(**changes) -> dict[str, str]:
    data = {
        "kind": "single",
        "scenario": "y",
        "prompt": "Which one?",
        "choices-0-text": "This one.",
        "choices-0-correct": "y",
        "choices-1-text": "That one.",
        "explanation": "Because this one.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_the_forms_show_the_published_course_and_start_no_draft_until_a_change(client, login_as, admin, commented):
    login_as(admin)
    page = client.get(BASE).get_data(as_text=True)
    assert "The forms show the published version 1." in page
    assert 'value="A commented course"' in page
    assert "The basics" in page and "2 lessons, 3 questions" in page
    assert client.get(f"{BASE}/modules/basics").status_code == 200
    assert client.get(f"{BASE}/modules/basics/lessons/first").status_code == 200
    assert client.get(f"{BASE}/modules/basics/questions/cc-one").status_code == 200
    assert client.get(f"{BASE}/modules/nope").status_code == 404
    assert client.get(f"{BASE}/modules/basics/lessons/nope").status_code == 404
    assert _draft_text(admin) is None  # looking writes nothing


def test_a_lesson_edit_changes_only_its_lines_keeps_every_comment_and_publishes(client, login_as, admin, commented):
    login_as(admin)
    edit = client.post(
        f"{BASE}/modules/basics/lessons/first",
        data=_lesson_form(title="The first lesson, rewritten", key_points="The first point.\nA new point."),
    )
    assert edit.status_code == 302 and edit.headers["Location"].endswith(f"{BASE}/modules/basics#lessons")
    text = _draft_text(admin)
    # Only the edited lines differ; every comment of the file is where it was.
    assert _changed_lines(COMMENTED, text) == [
        "-        title: First lesson",
        "+        title: The first lesson, rewritten",
        "+          - A new point.",
    ]
    assert _course(SLUG).version == 1  # a draft is not published

    preview = client.post(f"{BASE}/preview")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "This is your draft from the structured editor." in page
    assert "Title: <del>First lesson</del> → <ins>The first lesson, rewritten</ins>" in page
    assert '<span class="diff-added">+ A new point.</span>' in page
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302
    assert _course(SLUG).version == 2
    assert _draft_text(admin) is None  # publishing the draft discards it
    # The published file keeps the comments: the YAML editor opens it as published, not re-exported.
    published = _textarea(client.get(f"/admin/content/{SLUG}/edit").get_data(as_text=True))
    assert published == text
    assert "# reviewed by legal" in published and "# agreed with HR" in published
    stored = db.session.scalar(select(CourseVersion).where(CourseVersion.version == 2))
    assert stored.source_text == text and stored.published_by_id == admin.id


def test_markdown_preview_renders_the_text_without_saving(client, login_as, admin, commented):
    login_as(admin)
    body = "Some **bold** text.\n\n<script>alert(1)</script>\n\n| a | b |\n| - | - |\n| 1 | 2 |"
    page = client.post(f"{BASE}/modules/basics/lessons/first", data=_lesson_form(body=body, preview="Show")).get_data(
        as_text=True
    )
    assert "The text as learners will see it (not saved yet)" in page
    assert "<p>Some <strong>bold</strong> text.</p>" in page and "<td>1</td>" in page
    assert "<script>alert(1)</script>" not in page  # escaped, as for learners
    assert html.escape(body).split("\n")[0] in page  # the text box keeps what was typed
    assert _draft_text(admin) is None


def test_an_edit_with_problems_is_refused_on_its_fields_and_keeps_the_input(client, login_as, admin, commented):
    login_as(admin)
    response = client.post(
        f"{BASE}/modules/basics/lessons/first",
        data=_lesson_form(title="", objectives="", **{"sources-0-url": "ftp://example.org/a"}),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "modules[0].lessons[0].title: must be non-empty text" in page
    assert "modules[0].lessons[0].objectives: needs at least one item" in page
    assert "is not a well-formed http(s) link" in page
    assert "ftp://example.org/a" in page  # what the admin typed is kept
    assert _draft_text(admin) is None

    # A single-choice question with two correct choices: refused with the same words as in a course file.
    response = client.post(f"{BASE}/modules/basics/questions/cc-one", data=_question_form(**{"choices-1-correct": "y"}))
    assert response.status_code == 400
    assert "a single-choice question needs exactly one correct choice, has 2" in response.get_data(as_text=True)


def test_question_edits_choices_kind_and_flags(client, login_as, admin, commented):
    login_as(admin)
    response = client.post(
        f"{BASE}/modules/basics/questions/cc-one",
        data=_question_form(
            scenario=None,
            **{"choices-0-correct": None, "choices-1-correct": "y", "choices-2-text": "Neither one."},
        ),
    )
    assert response.status_code == 302
    question = yaml.safe_load(_draft_text(admin))["modules"][0]["quiz"]["questions"][0]
    assert question == {
        "id": "cc-one",
        "type": "single",
        "prompt": "Which one?",
        "choices": [{"text": "This one."}, {"text": "That one.", "correct": True}, {"text": "Neither one."}],
        "explanation": "Because this one.",
    }
    # From choices to true or false: the choices go, the answer comes.
    response = client.post(
        f"{BASE}/modules/basics/questions/cc-one",
        data=_question_form(kind="true_false", answer="false", prompt="Is this one right?", scenario=None),
    )
    assert response.status_code == 302
    question = yaml.safe_load(_draft_text(admin))["modules"][0]["quiz"]["questions"][0]
    assert (question["type"], question["answer"], "choices" in question) == ("true_false", False, False)
    page = client.post(f"{BASE}/preview").get_data(as_text=True)
    assert "Type: <del>one answer</del> → <ins>true or false</ins>" in page
    assert "Workplace scenario: <del>yes</del> → <ins>no</ins>" in page


def test_quiz_settings_preview_names_each_setting_old_and_new(client, login_as, admin, commented):
    login_as(admin)
    response = client.post(
        f"{BASE}/modules/basics/quiz",
        data={
            "pass_mark": "70",
            "questions_per_attempt": "2",
            "max_attempts": "3",
            "cooldown_minutes": "30",
            "cooldown_after_failures": "2",
            "review_after_fail": "score",
            "review_after_pass": "full",
        },
    )
    assert response.status_code == 302
    assert "pass_mark: 70              # agreed with HR" in _draft_text(admin)
    page = client.post(f"{BASE}/preview").get_data(as_text=True)
    for line in (
        "Pass mark: <del>80%</del> → <ins>70%</ins>",
        "Attempts allowed: <del>unlimited</del> → <ins>3</ins>",
        "Wait after failed attempts (minutes): <del>15</del> → <ins>30</ins>",
        "Review after a failed attempt: <del>Which questions were wrong, and the lesson to revisit</del>"
        " → <ins>The score only</ins>",
    ):
        assert line in page
    assert "Quiz settings changed" not in page
    # A pool smaller than the questions drawn is refused on that field.
    response = client.post(
        f"{BASE}/modules/basics/quiz",
        data={
            "pass_mark": "70",
            "questions_per_attempt": "9",
            "review_after_fail": "score",
            "review_after_pass": "full",
        },
    )
    assert response.status_code == 400
    assert "asks for 9 questions but the pool has 3" in response.get_data(as_text=True)


def test_add_a_module_with_a_lesson_and_a_question_then_publish(client, login_as, admin, commented):
    login_as(admin)
    added = client.post(
        f"{BASE}/modules",
        data={"slug": "advanced", "title": "Advanced", "pass_mark": "75", "questions_per_attempt": "1"},
    )
    assert added.status_code == 302 and added.headers["Location"].endswith(f"{BASE}/modules/advanced")
    # Incomplete: the draft lists what is missing and cannot be published yet.
    page = client.get(BASE).get_data(as_text=True)
    assert "modules[1].lessons: needs at least one item" in page
    refused = client.post(f"{BASE}/preview")
    assert refused.status_code == 400 and "modules[1].quiz.questions: needs at least one item" in refused.get_data(
        as_text=True
    )
    # A duplicate slug is refused on the slug field.
    dup = client.post(f"{BASE}/modules", data={"slug": "advanced", "title": "Again"})
    assert dup.status_code == 400 and "duplicate module slug" in dup.get_data(as_text=True)

    lesson = _lesson_form(slug="deeper", title="Deeper", objectives="Go deeper.", body="Deeper text.")
    assert client.post(f"{BASE}/modules/advanced/add-lesson", data=lesson).status_code == 302
    question = _question_form(key="adv-one", kind="true_false", answer="true", prompt="Deeper?", scenario=None)
    assert client.post(f"{BASE}/modules/advanced/add-question", data=question).status_code == 302
    module = yaml.safe_load(_draft_text(admin))["modules"][1]
    assert [x["slug"] for x in module["lessons"]] == ["deeper"]
    assert module["quiz"]["questions"][0]["id"] == "adv-one"
    assert "# Keep cc-three last" in _draft_text(admin)

    page = client.post(f"{BASE}/preview").get_data(as_text=True)
    assert '<span class="badge content-added">Added</span>' in page and "<strong>Advanced</strong>" in page
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302
    assert _course(SLUG).version == 2
    assert db.session.scalar(select(Question.retired).where(Question.key == "adv-one")) is False


def test_reorder_and_remove_with_the_comments_that_introduce_items(client, login_as, admin, commented):
    login_as(admin)
    move = {"kind": "lesson", "module": "basics", "key": "second", "direction": "up"}
    assert client.post(f"{BASE}/move", data=move).status_code == 302
    text = _draft_text(admin)
    # The comment written above the second lesson moved up with it.
    assert text.index("# The second lesson was added after the pilot.") < text.index("- slug: second")
    assert text.index("- slug: second") < text.index("- slug: first")
    loaded = yaml.safe_load(text)["modules"][0]
    assert [x["slug"] for x in loaded["lessons"]] == ["second", "first"]

    removed = client.post(f"{BASE}/remove", data={"kind": "question", "module": "basics", "key": "cc-two"})
    assert removed.status_code == 302
    text = _draft_text(admin)
    assert "cc-two" not in text and "# Keep cc-three last" in text  # the comment above cc-three stays
    page = client.post(f"{BASE}/preview").get_data(as_text=True)
    assert "The lessons are in a new order." in page
    assert re.search(r"Question retired:\s*<code>cc-two</code>", page)
    # Removing a question leaves the pool at two for two drawn: still valid.
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302
    assert db.session.scalar(select(Question.retired).where(Question.key == "cc-two")) is True

    assert client.post(f"{BASE}/move", data={**move, "key": "nope"}).status_code == 404
    assert client.post(f"{BASE}/move", data={"kind": "lesson", "key": "x"}).status_code == 400


def test_a_comment_an_edit_cannot_keep_is_named_on_the_page(client, login_as, admin, commented):
    login_as(admin)
    response = client.post(
        f"{BASE}/modules/basics/lessons/first",
        data=_lesson_form(key_points="A rewritten point."),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "# reviewed by legal" in _draft_text(admin)  # kept: the item changed in place
    assert "could not keep" not in page
    response = client.post(f"{BASE}/remove", data={"kind": "module", "key": "basics"}, follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "This change could not keep" in page and "# agreed with HR" in page


def test_published_slugs_and_ids_stay(client, login_as, admin, commented):
    login_as(admin)
    response = client.post(f"{BASE}/modules/basics/lessons/first", data=_lesson_form(slug="renamed"))
    assert response.status_code == 302  # the slug of a published lesson is not taken from the form
    assert "- slug: first" in _draft_text(admin)
    response = client.post(f"{BASE}/modules/basics", data={"slug": "renamed", "title": "The basics"})
    assert response.status_code == 400
    assert "Learners' history refers to this one" in html.unescape(response.get_data(as_text=True))


def test_course_settings_and_the_draft_as_yaml(client, login_as, admin, commented):
    login_as(admin)
    response = client.post(
        f"{BASE}/settings",
        data={
            "title": "yes",  # YAML 1.1 would read a plain yes as true: it must be written quoted
            "summary": "What a comment is for.",
            "audience": "All staff",
            "facts_checked": "2026-12-01",
            "certificate_valid_months": "24",
            "language": "en",
        },
    )
    assert response.status_code == 302
    text = _draft_text(admin)
    assert 'title: "yes"' in text and "summary: What a comment is for.   # shown in the catalogue" in text
    assert yaml.safe_load(text)["certificate_valid_months"] == 24
    assert text.index("certificate_valid_months") < text.index("modules:")

    page = html.unescape(client.get(f"{BASE}/yaml").get_data(as_text=True))
    assert 'title: "yes"' in page
    edited = text.replace("audience: All staff", "audience: Everyone  # widened")
    assert client.post(f"{BASE}/yaml", data={"text": edited}).status_code == 302
    assert "# widened" in _draft_text(admin)
    bad = client.post(f"{BASE}/yaml", data={"text": "slug: [unclosed"})
    assert bad.status_code == 400 and "not valid YAML" in bad.get_data(as_text=True)
    other = client.post(f"{BASE}/yaml", data={"text": text.replace(f"slug: {SLUG}", "slug: another")})
    assert other.status_code == 400

    assert client.post(f"{BASE}/discard").status_code == 302
    assert _draft_text(admin) is None


def test_a_draft_older_than_the_published_version_says_who_published_since(
    client, login_as, admin, make_user, commented
):
    login_as(admin)
    assert client.post(f"{BASE}/modules/basics/lessons/first", data=_lesson_form(title="Mine")).status_code == 302
    other = make_user(Role.ADMIN, name="Bo Other", email="bo@example.org")
    client.post("/logout")
    login_as(other)
    text = COMMENTED.replace("audience: All staff", "audience: Everyone")
    page = client.post("/admin/content/preview", data={"text": text, "source": "x.yaml"}).get_data(as_text=True)
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302

    client.post("/logout")
    login_as(admin)
    page = client.get(BASE).get_data(as_text=True)
    assert re.search(r"Someone else published version 2 at [^;]+; review their changes\.", page)
    assert "Published by Bo Other." in page
    preview = client.post(f"{BASE}/preview").get_data(as_text=True)
    assert "Someone else published version 2" in preview
    # Shown against their version, the draft's publish would undo their change: the preview says so.
    assert "Audience: <del>Everyone</del> → <ins>All staff</ins>" in preview
    assert client.post("/admin/content/publish", data={"payload": _payload(preview)}).status_code == 302
    assert _course(SLUG).version == 3
