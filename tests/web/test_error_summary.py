"""Forms: each error under the input it is about, and all of them in a summary at the top linking to the inputs."""

from __future__ import annotations

import re

from tests import factories


def _summary(page: str) -> list[tuple[str, str]]:
    box = re.search(r'<div class="notice notice-error error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert box, "no error summary"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', box.group(1))


def _error_under(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">([^<]+)</p>', page)
    return found.group(1) if found else ""


def _manager_of_alpha(login_as, make_user):
    manager = make_user(role="manager")
    team = factories.make_team("Alpha", manager=manager)
    make_user(team=team)
    login_as(manager)


def test_assigning_to_a_person_without_an_email_says_so_under_the_email(client, login_as, make_user):
    course = factories.make_course()
    _manager_of_alpha(login_as, make_user)
    response = client.post(
        "/manager/assignments",
        data={"item": f"course:{course.id}", "target_type": "person", "due_rule": "fixed", "due_on": "2099-01-01"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "person in your teams" in _error_under(page, "person_email")
    assert _error_under(page, "item") == "" and _error_under(page, "target_type") == ""
    assert _summary(page) == [("person_email", "Person&#39;s email: Enter the email of a person in your teams.")]


def test_assigning_to_someone_outside_the_teams_is_an_error_under_the_email(client, login_as, make_user):
    course = factories.make_course()
    _manager_of_alpha(login_as, make_user)
    outsider = make_user(team=factories.make_team("Beta"))
    page = client.post(
        "/manager/assignments",
        data={
            "item": f"course:{course.id}",
            "target_type": "person",
            "person_email": outsider.email,
            "due_rule": "fixed",
            "due_on": "2099-01-01",
        },
    ).get_data(as_text=True)
    assert "person in your teams" in _error_under(page, "person_email")
    assert [anchor for anchor, _text in _summary(page)] == ["person_email"]
    assert f'value="{outsider.email}"' in page  # what was typed is kept


def test_several_errors_are_listed_in_field_order_and_each_links_to_its_input(client, login_as, make_user):
    _manager_of_alpha(login_as, make_user)
    page = client.post(
        "/manager/assignments", data={"item": "", "target_type": "team", "due_rule": "fixed", "due_days": "0"}
    ).get_data(as_text=True)
    anchors = [anchor for anchor, _text in _summary(page)]
    assert anchors[0] == "item" and "due_days" in anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in page


def test_other_forms_get_the_summary_too(client, login_as, make_user):
    login_as(make_user(role="admin"))
    page = client.post("/admin/people/new", data={"email": "not-an-email", "display_name": ""}).get_data(as_text=True)
    anchors = [anchor for anchor, _text in _summary(page)]
    assert "display_name" in anchors


def test_a_refused_sign_in_is_said_once_without_a_summary(client, make_user):
    user = make_user()
    page = client.post("/login", data={"email": user.email, "password": "wrong-password-1"}).get_data(as_text=True)
    assert "error-summary" not in page and 'id="login-error"' in page
