"""A German-speaking learner completes the shipped course 1 in German, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Attempt, Certificate, Course
from tracker.services.content import loader

from .. import factories

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
COURSE = "ai-capabilities-and-limits"


def german(live_server, text: str) -> str:
    """The German interface text for an English msgid, from the catalogue the app uses."""
    with live_server.app.test_request_context(), force_locale("de"):
        return gettext(text)


@pytest.fixture
def german_learner(live_server):
    with live_server.app_context():
        if db.session.scalar(select(Course.id).where(Course.slug == COURSE)) is None:
            loader.load_directory(SEED_DIR)
        user = factories.make_user(name="Greta Lernende")
        user.locale = "de"
        db.session.commit()
        return user.email, user.id


def _answer_open_attempt(page, live_server, user_id: int) -> None:
    with live_server.app_context():
        attempt = db.session.scalars(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.submitted_at.is_(None))
        ).one()
        served, language = attempt.served, attempt.language
    assert language == "de"
    for question in served:
        kind = "checkbox" if question["kind"] == "multiple" else "radio"
        for choice in question["choices"]:
            if choice["correct"]:
                page.locator(f'input[type="{kind}"][name="q-{question["id"]}"][value="{choice["id"]}"]').check()
    page.get_by_role("button", name=german(live_server, "Submit answers")).click()


@pytest.mark.browser
def test_a_learner_completes_course_1_in_german(page, live_server, german_learner, console):
    email, user_id = german_learner
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Greta Lernende")

    page.goto(f"/courses/{COURSE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("KI – Fähigkeiten und Grenzen")
    page.get_by_role("link", name=german(live_server, "Start the course")).click()

    # Follow the course to its end: every lesson leads to the next step, every quiz is answered.
    for _step in range(60):
        if re.search(r"/lessons/", page.url):
            expect(page.locator(".lesson-body")).not_to_have_attribute("lang", "en")  # the German text
            page.locator(".lesson-actions button").click()
        elif re.search(r"/quiz$", page.url):
            page.get_by_role("button", name=german(live_server, "Start the quiz")).click()
            _answer_open_attempt(page, live_server, user_id)
            # A quiz's result, or (after the last one) the course's completion page with the certificate.
            expect(page.locator("section.result, section.certificate-box")).to_be_visible()
            if page.locator("section.certificate-box").count():
                break
            expect(page.get_by_role("heading", level=2).first).to_contain_text("100")
            page.get_by_role("link", name=german(live_server, "Back to the course")).click()
            next_step = page.locator("p.actions a.button")
            if next_step.count() == 0:
                break
            next_step.click()
        else:
            break
    expect(page).to_have_url(re.compile(rf"/courses/{COURSE}/complete"))
    page.goto(f"/courses/{COURSE}")
    expect(page.get_by_text(german(live_server, "You have completed this course."))).to_be_visible()

    with live_server.app_context():
        cert = db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)).one()
        assert cert.language == "de"
        assert cert.course_title == "KI – Fähigkeiten und Grenzen"
    assert console.problems() == []
