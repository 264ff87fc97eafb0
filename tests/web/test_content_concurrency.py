"""Two admins publishing edits of one course from the same version: exactly one wins, the other is told who
published what and when, and nothing of theirs is lost (their text comes back with the refusal)."""

from __future__ import annotations

import copy
import html
import re

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import sign_in_client
from tests.web.test_admin_content import _course, _payload, _textarea
from tracker.extensions import db
from tracker.models import CourseVersion, Role
from tracker.services.content import loader
from tracker.services.content.loader import NEW_COURSE, Base, StaleContent
from tracker.services.content.schema import fingerprint


def _signed_in(app, user):
    return sign_in_client(app.test_client(), user)


def test_two_publishes_from_the_same_version_exactly_one_wins(app, make_user, course):
    ada = _signed_in(app, make_user(Role.ADMIN, name="Ada Admin", email="ada@example.org"))
    bo = _signed_in(app, make_user(Role.ADMIN, name="Bo Other", email="bo@example.org"))
    text = _textarea(ada.get(f"/admin/content/{course.slug}/edit").get_data(as_text=True))
    mine = text.replace("A course for tests.", "Ada's summary.")
    ada_preview = _payload(ada.post("/admin/content/preview", data={"text": mine}).get_data(as_text=True))
    theirs = text.replace("All staff", "Bo's audience")
    bo_preview = _payload(bo.post("/admin/content/preview", data={"text": theirs}).get_data(as_text=True))
    published = bo.post("/admin/content/publish", data={"payload": bo_preview})
    assert published.status_code == 302 and published.headers["Location"].endswith("/admin/content/")

    refused = ada.post("/admin/content/publish", data={"payload": ada_preview})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert re.search(r"Someone else published version 2 at [^;]+; review their changes\.", page)
    assert "Published by Bo Other." in page
    assert _textarea(page) == mine  # what Ada typed is kept
    stored = _course(course.slug)
    assert (stored.version, stored.summary, stored.audience) == (2, "A course for tests.", "Bo's audience")
    assert db.session.scalar(select(func.count(CourseVersion.id)).where(CourseVersion.version == 2)) == 1
    # Her edit, shown against Bo's version, would undo his audience: the preview says so before she publishes.
    assert "Audience: <del>Bo&#39;s audience</del> → <ins>All staff</ins>" in page


def test_the_editor_page_says_when_the_text_was_opened_from_an_older_version(client, login_as, make_user, course):
    login_as(make_user(Role.ADMIN))
    editor = client.get(f"/admin/content/{course.slug}/edit").get_data(as_text=True)
    text = _textarea(editor)
    base = html.unescape(re.search(r'name="base" type="hidden" value="([^"]*)"', editor).group(1))
    assert base == f"1:{course.content_hash}"
    other = text.replace("All staff", "Someone else's audience")
    page = client.post("/admin/content/preview", data={"text": other}).get_data(as_text=True)
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302
    page = client.post("/admin/content/preview", data={"text": text.replace("tests.", "x."), "base": base})
    assert "Someone else published version 2" in page.get_data(as_text=True)
    assert "versions/compare?from=1&amp;to=2" in page.get_data(as_text=True)


def test_the_version_is_claimed_once_by_a_conditional_update(app):
    data = factories.course_data("claimed")
    loader.apply_course(data)
    db.session.commit()
    base = Base(1, fingerprint(data))
    first, second = copy.deepcopy(data), copy.deepcopy(data)
    first["title"], second["title"] = "First edit", "Second edit"
    assert loader.apply_course(first, base).version == 2
    with pytest.raises(StaleContent):
        loader.apply_course(second, base)
    db.session.commit()
    stored = _course("claimed")
    assert (stored.version, stored.title, stored.content_hash) == (2, "First edit", fingerprint(first))
    # Publishing the stored content again is a no-op whatever the base (a double submit).
    assert loader.apply_course(copy.deepcopy(first), base).status == "unchanged"


def test_two_first_publishes_of_a_new_course_one_wins(app):
    first, second = factories.course_data("brand-new"), factories.course_data("brand-new")
    second["title"] = "Another first version"
    assert loader.apply_course(first, NEW_COURSE).status == "created"
    with pytest.raises(StaleContent):
        loader.apply_course(second, NEW_COURSE)
    db.session.commit()
    assert _course("brand-new").title == first["title"]
