"""A learner completes a course in a real browser: sign in, read, take the quiz, see the progress move."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Attempt
from tracker.services.content import loader

from .. import factories


@dataclass(frozen=True)
class Seeded:
    email: str
    name: str
    user_id: int
    slug: str
    title: str


@pytest.fixture
def seeded(live_server) -> Seeded:
    """One learner and a one-module course: two lessons and a quiz serving all three questions of its pool
    (one single-choice, one multiple-choice, one true/false), so every attempt looks the same."""
    with live_server.app_context():
        data = factories.course_data(modules=1, lessons=2, pool=3, per_attempt=3, pass_mark=80)
        loader.apply_course(data)
        db.session.commit()
        user = factories.make_user(name="Lena Learner")
        return Seeded(email=user.email, name=user.display_name, user_id=user.id, slug=data["slug"], title=data["title"])


def open_attempt(live_server, user_id: int) -> tuple[int, list[dict]]:
    """The learner's open attempt as stored: its id and the served snapshot, answers included."""
    with live_server.app_context():
        attempts = db.session.scalars(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.submitted_at.is_(None))
        ).all()
        assert len(attempts) == 1
        return attempts[0].id, attempts[0].served


def stored_attempt(live_server, attempt_id: int) -> Attempt:
    with live_server.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        db.session.expunge(attempt)
        return attempt


def correct_ids(question: dict) -> list[str]:
    return [c["id"] for c in question["choices"] if c["correct"]]


def course_progress(page: Page):
    return page.locator(".progress-value")


def course_card(page: Page, title: str):
    return page.locator("article.course-card").filter(has=page.get_by_role("heading", name=title, exact=True))


def module_item(page: Page, title: str):
    return page.locator("li.module").filter(has=page.get_by_role("heading", name=title, exact=True))


def start_quiz(page: Page, live_server, seeded: Seeded) -> tuple[int, list[dict]]:
    page.get_by_role("button", name="Start the quiz").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz: Module 1")
    attempt_id, served = open_attempt(live_server, seeded.user_id)
    assert page.url.endswith(f"/attempts/{attempt_id}")
    return attempt_id, served


def answer(page: Page, question: dict) -> None:
    kind = "checkbox" if question["kind"] == "multiple" else "radio"
    for choice_id in correct_ids(question):
        box = page.locator(f'input[type="{kind}"][name="q-{question["id"]}"][value="{choice_id}"]')
        box.check()
        expect(box).to_be_checked()


@pytest.mark.browser
def test_learner_reads_a_lesson_passes_the_quiz_and_completes_the_course(page, live_server, seeded, sign_in, console):
    sign_in(seeded.email, factories.PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {seeded.name}")

    # Nothing done yet.
    card = course_card(page, seeded.title)
    expect(card.locator(".progress-value")).to_have_text("0%")
    expect(card).to_contain_text("0 of 1 modules complete")

    # The course page, then its first lesson.
    card.get_by_role("link", name=seeded.title, exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/courses/{seeded.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(seeded.title)
    expect(course_progress(page)).to_have_text("0%")
    expect(module_item(page, "Module 1").locator(".badge")).to_have_text("Not started")
    page.get_by_role("link", name="Start the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lesson 1.1")
    expect(page.locator(".lesson-body strong")).to_have_text("bold")  # the Markdown body is rendered

    # Reading it moves straight on to the next lesson, and counts: 1 of 3 steps (2 lessons and the quiz).
    page.get_by_role("button", name="Mark as read and continue").click()
    expect(page).to_have_url(f"{live_server.url}/courses/{seeded.slug}/modules/module-1/lessons/lesson-2")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lesson 1.2")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    breadcrumb.get_by_role("link", name=seeded.title, exact=True).click()
    expect(course_progress(page)).to_have_text("33%")
    expect(module_item(page, "Module 1").locator(".badge")).to_have_text("In progress")
    page.get_by_role("link", name="My learning").click()
    card = course_card(page, seeded.title)
    expect(card.locator(".progress-value")).to_have_text("33%")
    expect(page.get_by_role("region", name="Continue where you left off")).to_contain_text("33% done")

    # The quiz overview, then an attempt.
    card.get_by_role("link", name=seeded.title, exact=True).click()
    page.get_by_role("link", name="Quiz: Module 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz: Module 1")
    expect(page.get_by_text("You have read 1 of 2 lessons of this module.")).to_be_visible()
    attempt_id, served = start_quiz(page, live_server, seeded)
    assert sorted(q["kind"] for q in served) == ["multiple", "single", "true_false"]
    expect(page.locator("fieldset.question")).to_have_count(3)
    for question in served:
        answer(page, question)
    page.get_by_role("button", name="Submit answers").click()

    # The result and the review.
    expect(page).to_have_url(f"{live_server.url}/attempts/{attempt_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Result: Module 1")
    expect(page.get_by_role("heading", name="Passed: 100%")).to_be_visible()
    expect(page.get_by_text("3 of 3 correct. Pass mark 80%.")).to_be_visible()
    items = page.locator("ol.review > li")
    expect(items).to_have_count(3)
    for i, question in enumerate(served):
        item = items.nth(i)
        expect(item.get_by_role("heading")).to_have_text(question["prompt"])
        expect(item.locator(".verdict")).to_have_text("✓ Correct")
        expect(item.locator(".explanation")).to_have_text(f"Why: {question['explanation']}")
        expect(item.locator(".choice-correct.choice-chosen")).to_have_count(len(correct_ids(question)))
    attempt = stored_attempt(live_server, attempt_id)
    assert (attempt.passed, attempt.score) == (True, 100)

    # Progress: the quiz counts (2 of 3 steps); the module is complete once its last lesson is read too.
    page.get_by_role("link", name="Back to the course").click()
    expect(course_progress(page)).to_have_text("66%")
    module = module_item(page, "Module 1")
    expect(module.locator(".badge")).to_have_text("In progress")
    expect(module).to_contain_text("✓ passed, best score 100%")
    module.get_by_role("link", name="Lesson 1.2").click()
    page.get_by_role("button", name="Mark as read and go to the quiz").click()
    # The last step ends on the completion page: the certificate, sharing it, and what is next.
    expect(page).to_have_url(f"{live_server.url}/courses/{seeded.slug}/complete")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"You have completed “{seeded.title}”")
    expect(page.get_by_role("link", name="Add to LinkedIn")).to_be_visible()
    expect(page.get_by_role("heading", name="What is next")).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=seeded.title, exact=True).click()
    expect(page.get_by_text("You have completed this course.")).to_be_visible()
    expect(course_progress(page)).to_have_text("100%")
    expect(module_item(page, "Module 1").locator(".badge")).to_have_text("Complete")

    page.get_by_role("link", name="My learning").click()
    card = course_card(page, seeded.title)
    expect(card.locator(".progress-value")).to_have_text("100%")
    expect(card).to_contain_text("1 of 1 modules complete")
    expect(card.get_by_text("Completed")).to_be_visible()

    assert console.problems() == []


@pytest.mark.browser
def test_submitting_with_a_question_unanswered_keeps_the_answers_given(page, live_server, seeded, sign_in, console):
    sign_in(seeded.email, factories.PASSWORD)
    page.goto(f"/courses/{seeded.slug}/modules/module-1/quiz")
    attempt_id, served = start_quiz(page, live_server, seeded)
    answered, unanswered = served[:2], served[2]
    for question in answered:
        answer(page, question)
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Answer every question before submitting: 1 question is still unanswered. Your other answers are kept."
    )
    expect(page).to_have_url(f"{live_server.url}/attempts/{attempt_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz: Module 1")
    for question in answered:
        for choice in question["choices"]:
            box = page.locator(f'input[name="q-{question["id"]}"][value="{choice["id"]}"]')
            if choice["correct"]:
                expect(box).to_be_checked()
            else:
                expect(box).not_to_be_checked()
    missing = page.locator("fieldset.question.field-error")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text(unanswered["prompt"])
    expect(missing.locator(".error")).to_have_text(
        "Choose at least one answer." if unanswered["kind"] == "multiple" else "Choose an answer."
    )
    expect(page.get_by_role("alert").get_by_role("link", name="Question 3")).to_have_attribute("href", "#q3")
    expect(missing).to_have_attribute("aria-describedby", re.compile(r"^q\d+-error$"))
    expect(missing.locator("input:checked")).to_have_count(0)
    assert stored_attempt(live_server, attempt_id).submitted_at is None  # nothing was recorded

    # Completing the missing answer is enough: the kept answers go in with it.
    answer(page, unanswered)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Passed: 100%")).to_be_visible()

    assert console.problems() == []
