"""Phones (390 px) and desktops (1280 px): the matrix, the certificates and the quiz fit the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from .conftest import DESKTOP, PHONE, no_sideways_scroll

pytestmark = pytest.mark.browser


def test_the_matrix_is_one_card_per_person_on_a_phone(open_as):
    page = open_as("manager", PHONE)
    page.goto("/manager/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team progress")
    expect(page.locator(".matrix-wide")).to_be_hidden()
    cards = page.locator(".matrix-card")
    expect(cards.first).to_be_visible()
    yamada = cards.filter(has=page.get_by_role("heading", name="山田 太郎"))
    expect(yamada).to_be_visible()
    # Every course of the matrix is listed with its status in the person's card.
    courses = page.locator(".matrix-wide thead th.course-col").all_inner_texts()
    assert courses
    listed = yamada.locator(".matrix-card-course").all_inner_texts()
    assert listed == courses
    assert no_sideways_scroll(page)


def test_the_matrix_is_a_table_on_a_desktop(open_as):
    page = open_as("manager", DESKTOP)
    page.goto("/manager/")
    expect(page.locator(".matrix-wide")).to_be_visible()
    expect(page.locator(".matrix-cards")).to_be_hidden()
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_scrolling_table_is_a_focusable_labelled_region(open_as, viewport):
    page = open_as("manager", viewport)
    page.goto("/reports/evidence")
    region = page.get_by_role("region", name="Training record per person and completed course")
    expect(region).to_be_visible()
    assert region.get_attribute("tabindex") == "0"
    region.focus()
    expect(region).to_be_focused()
    if viewport is PHONE:  # wider than the screen: it scrolls with the keyboard, the page does not
        assert region.evaluate("el => el.scrollWidth > el.clientWidth")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_learner_sees_each_certificate_as_a_card_with_its_pdf_link(open_as, viewport):
    page = open_as("learner", viewport)
    page.goto("/certificates/")
    card = page.locator(".cert-card").first
    expect(card).to_be_visible()
    link = card.get_by_role("link", name=re.compile(r"^PDF"))
    expect(link).to_be_visible()
    box, width = link.bounding_box(), viewport["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_quiz_answers_are_kept_when_the_learner_leaves_and_comes_back(browser, live_server, viewport):
    from tests import factories
    from tracker.extensions import db
    from tracker.models import Attempt
    from tracker.services.content import loader

    with live_server.app_context():
        data = factories.course_data(modules=1, lessons=1, pool=3, per_attempt=3, pass_mark=80)
        loader.apply_course(data)
        db.session.commit()
        user = factories.make_user()
        email, user_id, slug = user.email, user.id, data["slug"]
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/courses/{slug}/modules/module-1/quiz")
        page.get_by_role("button", name="Start the quiz").click()
        expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
        attempt_url = page.url
        assert no_sideways_scroll(page)
        # A choice is saved in the background as it is made; leaving by a link keeps it.
        first = page.locator("fieldset.question").nth(0).locator("input").first
        first.check()
        expect(page.locator("#autosave-status")).to_have_text("Answers saved.")
        page.get_by_role("link", name="My learning").click()
        page.goto(attempt_url)
        expect(page.locator("fieldset.question").nth(0).locator("input").first).to_be_checked()
        # "Save and leave" (a plain form post) keeps the next one too, and goes back to the course.
        second = page.locator("fieldset.question").nth(1).locator("input").first
        second.check()
        page.get_by_role("button", name="Save and leave").click()
        expect(page).to_have_url(f"{live_server.url}/courses/{slug}")
        expect(page.get_by_text("Your answers are saved")).to_be_visible()
        page.goto(attempt_url)
        expect(page.locator("fieldset.question").nth(1).locator("input").first).to_be_checked()
        with live_server.app_context():
            stored = db.session.scalars(select(Attempt).where(Attempt.user_id == user_id)).one()
            assert stored.submitted_at is None and len(stored.answers) == 2
    finally:
        context.close()
