"""People administration through the web: list, create, edit, role audit, self-protection, deactivation,
password resets with the forced change that follows, CSV import end to end, and query counts."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import login
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, Role, Team, User
from tracker.services import accounts

PEOPLE = "/admin/people/"
CONFIRMED = {"confirmed": "yes"}  # posted by a confirmation page


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.org", name="Ada Admin")


@pytest.fixture
def admin_client(app, client, admin):
    login(client, admin)
    return client


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def page_errors(body: bytes) -> str:
    return html.unescape(body.decode())


def one_time_password(body: bytes) -> str:
    match = re.search(r'id="one-time-password">([^<]+)</code>', body.decode())
    assert match, "no one-time password on the page"
    return html.unescape(match.group(1))


def is_signed_in(client) -> bool:
    response = client.get("/")
    return not (response.status_code == 302 and response.headers["Location"].startswith("/login"))


def can_sign_in(app, email: str, password: str) -> bool:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code == 302


def second_client_signed_in_as(app, user, password: str = factories.PASSWORD):
    other = app.test_client()
    login(other, user, password)
    assert is_signed_in(other)
    return other


def listed_emails(body: bytes) -> list[str]:
    return re.findall(r"<td>([^<]+@[^<]+)</td>", body.decode())


# --- list ---------------------------------------------------------------------------------------------------------


def test_list_shows_people_with_their_teams(admin_client, make_user):
    team = factories.make_team("Finance")
    make_user(email="fay@example.org", name="Fay Finance", team=team, job_role="Analyst")
    response = admin_client.get(PEOPLE)
    assert response.status_code == 200
    body = response.data.decode()
    assert "fay@example.org" in body and "Finance" in body and "Analyst" in body
    assert "<caption" in body and 'scope="col"' in body


def test_list_search_and_filters(admin_client, make_user):
    finance, sales = factories.make_team("Finance"), factories.make_team("Sales")
    make_user(email="fay@example.org", name="Fay Jones", team=finance)
    make_user(Role.MANAGER, email="sam@example.org", name="Sam Smith", team=sales)
    make_user(email="old@example.org", name="Olga Old", team=sales, active=False)
    make_user(email="odd%name@example.org", name="Percent")

    def emails(**params):
        response = admin_client.get(PEOPLE, query_string=params)
        assert response.status_code == 200
        return sorted(listed_emails(response.data))

    assert emails(q="JONES") == ["fay@example.org"]  # name, case-insensitive
    assert emails(q="sam@") == ["sam@example.org"]  # email
    assert emails(q="%") == ["odd%name@example.org"]  # LIKE wildcards are searched for literally
    assert emails(team=sales.id) == ["old@example.org", "sam@example.org"]
    assert emails(role="manager") == ["sam@example.org"]
    assert emails(status="inactive") == ["old@example.org"]
    assert "old@example.org" not in emails(status="active")
    assert emails(team=sales.id, status="active") == ["sam@example.org"]
    # Unknown filter values are ignored, not an error.
    assert len(emails(role="emperor", team="x")) == 5


def test_list_is_paginated_by_fifty(admin_client, make_user):
    for n in range(60):
        make_user(email=f"p{n:02d}@example.org", name=f"Person {n:02d}")
    first = admin_client.get(PEOPLE)
    assert len(listed_emails(first.data)) == 50
    assert "Showing 1–50 of 61 people" in first.data.decode()
    assert "page=2" in first.data.decode()
    second = admin_client.get(PEOPLE, query_string={"page": 2})
    assert len(listed_emails(second.data)) == 11
    assert set(listed_emails(first.data)).isdisjoint(listed_emails(second.data))
    # A page past the end shows the last page.
    assert listed_emails(admin_client.get(PEOPLE, query_string={"page": 99}).data) == listed_emails(second.data)
    # Filters survive paging.
    filtered = admin_client.get(PEOPLE, query_string={"q": "person", "role": "learner"}).data.decode()
    assert "q=person" in filtered and "role=learner" in filtered


def test_list_queries_do_not_grow_with_people(admin_client, make_user, count_queries):
    def queries() -> int:
        admin_client.get(PEOPLE)  # warm up
        with count_queries() as counter:
            response = admin_client.get(PEOPLE)
        assert response.status_code == 200
        return counter.count

    teams = [factories.make_team(f"Team {n}") for n in range(5)]
    for n in range(5):
        make_user(team=teams[n])
    few = queries()
    for n in range(55):
        make_user(team=teams[n % 5] if n % 3 else factories.make_team())
    many = queries()
    assert few == many, (few, many)
    assert many <= 6


# --- create -------------------------------------------------------------------------------------------------------


def test_create_with_a_chosen_password(app, admin_client, admin):
    team = factories.make_team("Finance")
    response = admin_client.post(
        PEOPLE + "new",
        data={
            "email": "  New.Person@Example.ORG ",
            "display_name": " New Person ",
            "role": "manager",
            "team": str(team.id),
            "job_role": "Analyst",
            "password_choice": "set",
            "password": "a long and unusual passphrase",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert person is not None
    assert (person.display_name, person.role, person.team_id, person.job_role) == (
        "New Person",
        "manager",
        team.id,
        "Analyst",
    )
    assert person.must_change_password is False
    assert response.headers["Location"] == f"{PEOPLE}{person.id}"
    [created] = events("user.created")
    assert created.actor_id == admin.id and created.target_id == str(person.id)
    assert "passphrase" not in str(created.details)
    login(app.test_client(), person, "a long and unusual passphrase")


def test_create_with_a_generated_password_shows_it_once(app, admin_client):
    response = admin_client.post(
        PEOPLE + "new",
        data={"email": "gen@example.org", "display_name": "Gen", "role": "learner", "password_choice": "generate"},
    )
    assert response.status_code == 201
    password = one_time_password(response.data)
    assert len(password) >= 24
    person = db.session.scalar(select(User).where(User.email == "gen@example.org"))
    assert person.must_change_password is True
    assert person.team_id is None and person.job_role is None
    # Not kept anywhere else: the next page does not show it, and it is not in the session cookie.
    assert password not in admin_client.get(PEOPLE).data.decode()
    assert password not in admin_client.get(f"{PEOPLE}{person.id}").data.decode()
    assert password not in (admin_client.get_cookie("session").value or "")
    # It works once, and leads straight to choosing a new password.
    other = app.test_client()
    assert login(other, person, password).headers["Location"] == "/account/choose-password"
    assert other.get("/").headers["Location"] == "/account/choose-password"


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"email": "ADMIN@example.org"}, "already exists"),
        ({"email": "not-an-email"}, "is not a valid email address"),
        ({"password_choice": "set", "password": ""}, "Enter the initial password"),
        ({"password_choice": "set", "password": "password"}, "too common"),
        ({"display_name": "x" * 121}, "120"),
        ({"team": "999999"}, "Not a valid choice"),
    ],
)
def test_create_errors_keep_what_was_typed(admin_client, data, field_error):
    form = {
        "email": "typed@example.org",
        "display_name": "Typed Name",
        "role": "manager",
        "job_role": "Typed Job",
        "password_choice": "generate",
        **data,
    }
    response = admin_client.post(PEOPLE + "new", data=form)
    assert response.status_code == 400
    body = page_errors(response.data)
    assert field_error in body
    assert "There is a problem" in body
    assert f'value="{form["email"]}"' in body
    assert 'value="Typed Job"' in body
    assert '<option selected value="manager">' in body
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # only the admin


# --- edit ---------------------------------------------------------------------------------------------------------


def _edit_form(person: User, **changes) -> dict:
    form = {
        "email": person.email,
        "display_name": person.display_name,
        "role": person.role,
        "team": str(person.team_id or ""),
        "job_role": person.job_role or "",
    }
    form.update(changes)
    return form


def test_edit_details_is_audited_without_a_role_change(admin_client, make_user, admin):
    person = make_user(email="ed@example.org", name="Ed", job_role="Clerk")
    team = factories.make_team("Legal")
    response = admin_client.post(
        f"{PEOPLE}{person.id}",
        data=_edit_form(person, display_name="Edward", email="Edward@Example.org", team=str(team.id), job_role=""),
    )
    assert response.status_code == 302
    person = fresh(person.id)
    assert (person.display_name, person.email, person.team_id, person.job_role) == (
        "Edward",
        "edward@example.org",
        team.id,
        None,
    )
    [updated] = events("user.updated")
    assert updated.actor_id == admin.id
    assert updated.details["display_name"] == {"old": "Ed", "new": "Edward"}
    assert updated.details["team"] == {"old": None, "new": "Legal"}
    assert set(updated.details) == {"display_name", "email", "team", "job_role"}
    assert events("user.role_changed") == []


def test_role_change_is_audited_with_old_and_new(admin_client, make_user):
    person = make_user(email="rita@example.org")
    assert admin_client.post(f"{PEOPLE}{person.id}", data=_edit_form(person, role="manager")).status_code == 302
    assert fresh(person.id).role == "manager"
    [changed] = events("user.role_changed")
    assert changed.details == {"old": "learner", "new": "manager"}
    assert changed.target_id == str(person.id)
    assert events("user.updated") == []  # nothing else changed


def test_edit_refuses_an_email_in_use(admin_client, make_user):
    person = make_user(email="one@example.org")
    make_user(email="two@example.org")
    response = admin_client.post(f"{PEOPLE}{person.id}", data=_edit_form(person, email="TWO@example.org"))
    assert response.status_code == 400
    assert "already exists" in page_errors(response.data)
    assert fresh(person.id).email == "one@example.org"


def test_admin_cannot_remove_their_own_admin_role(admin_client, admin):
    response = admin_client.post(f"{PEOPLE}{admin.id}", data=_edit_form(admin, role="learner", display_name="Changed"))
    assert response.status_code == 400
    assert "You cannot remove your own admin role" in page_errors(response.data)
    admin = fresh(admin.id)
    assert admin.role == "admin" and admin.display_name == "Ada Admin"
    assert events("user.role_changed") == [] and events("user.updated") == []


def test_admin_cannot_deactivate_or_reset_themselves(admin_client, admin):
    response = admin_client.post(f"{PEOPLE}{admin.id}/deactivate", data=CONFIRMED)
    assert response.status_code == 400
    assert "You cannot deactivate your own account" in page_errors(response.data)
    response = admin_client.post(f"{PEOPLE}{admin.id}/reset-password")
    assert response.status_code == 400
    assert fresh(admin.id).active is True
    assert is_signed_in(admin_client)


def test_another_admin_can_be_demoted(admin_client, make_user):
    other = make_user(Role.ADMIN, email="other-admin@example.org")
    assert admin_client.post(f"{PEOPLE}{other.id}", data=_edit_form(other, role="learner")).status_code == 302
    assert fresh(other.id).role == "learner"


# --- deactivation -------------------------------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_api_tokens(app, admin_client, make_user, admin):
    person = make_user(email="leaver@example.org")
    _, plain = accounts.create_api_token(person, "integration")
    db.session.commit()
    theirs = second_client_signed_in_as(app, person)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200

    response = admin_client.post(f"{PEOPLE}{person.id}/deactivate", data=CONFIRMED)
    assert response.status_code == 302

    person = fresh(person.id)
    assert person.active is False
    assert not is_signed_in(theirs)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)))
    assert (
        app.test_client().post("/login", data={"email": person.email, "password": factories.PASSWORD}).status_code
        == 200
    )
    [event] = events("user.deactivated")
    assert event.actor_id == admin.id and event.details == {"tokens_revoked": 1, "sessions_ended": 1}
    assert "Deactivated" in admin_client.get(f"{PEOPLE}{person.id}").data.decode()

    assert admin_client.post(f"{PEOPLE}{person.id}/reactivate").status_code == 302
    assert fresh(person.id).active is True
    assert len(events("user.reactivated")) == 1
    # The old session stays ended after reactivation (an inactive user alone is already refused by Flask-Login).
    assert not is_signed_in(theirs)
    second_client_signed_in_as(app, person)


def test_deactivating_twice_is_a_clear_error(admin_client, make_user):
    person = make_user(active=False)
    response = admin_client.post(f"{PEOPLE}{person.id}/deactivate", data=CONFIRMED)
    assert response.status_code == 400
    assert "already deactivated" in page_errors(response.data)


def test_unknown_person_is_404(admin_client):
    assert admin_client.get(f"{PEOPLE}999999").status_code == 404
    assert admin_client.post(f"{PEOPLE}999999/deactivate").status_code == 404


# --- password reset and the forced change -------------------------------------------------------------------------


def test_reset_password_shows_it_once_ends_sessions_and_forces_a_change(app, admin_client, make_user, admin):
    person = make_user(email="forgetful@example.org")
    _, plain = accounts.create_api_token(person, "integration")
    db.session.commit()
    theirs = second_client_signed_in_as(app, person)

    response = admin_client.post(f"{PEOPLE}{person.id}/reset-password")
    assert response.status_code == 200
    password = one_time_password(response.data)
    assert len(password) >= 24
    assert password not in (admin_client.get_cookie("session").value or "")
    assert password not in admin_client.get(f"{PEOPLE}{person.id}").data.decode()

    assert fresh(person.id).must_change_password is True
    assert not is_signed_in(theirs)
    [event] = events("user.password_reset")
    assert event.actor_id == admin.id and event.target_id == str(person.id)
    assert password not in str(event.details)
    assert (
        app.test_client().post("/login", data={"email": person.email, "password": factories.PASSWORD}).status_code
        == 200
    )

    # Signing in with the one-time password leads to choosing a password and nowhere else.
    client = app.test_client()
    login(client, person, password)
    for url in ("/", "/courses/", "/certificates/", "/account/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/account/choose-password", url
    choose = client.get("/account/choose-password")
    assert choose.status_code == 200
    assert "Choose your password" in choose.data.decode()
    assert "API tokens" not in choose.data.decode()
    assert client.post("/account/profile", data={"display_name": "x", "timezone": "UTC"}).status_code == 302
    assert fresh(person.id).display_name != "x"
    # The reset revoked the token, and the API refuses the session cookie until the password is chosen.
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    refused = client.get("/api/v1/me")
    assert refused.status_code == 403
    assert "Choose a new password" in refused.get_json()["error"]["message"]

    response = client.post(
        "/account/choose-password",
        data={
            "current_password": password,
            "new_password": "my own new passphrase",
            "confirm_password": "my own new passphrase",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert fresh(person.id).must_change_password is False
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_admin_with_a_forced_change_cannot_reach_admin_pages(app, make_user):
    admin = make_user(Role.ADMIN)
    admin.must_change_password = True
    db.session.commit()
    client = app.test_client()
    login(client, admin)
    assert client.get(PEOPLE).headers["Location"] == "/account/choose-password"
    assert client.post(PEOPLE + "new", data={}).headers["Location"] == "/account/choose-password"
    assert client.post("/logout").status_code == 302  # signing out stays possible
    assert not is_signed_in(client)


# --- CSV import end to end -----------------------------------------------------------------------------------------


def upload(client, text: str | bytes, filename: str = "people.csv"):
    raw = text.encode() if isinstance(text, str) else text
    return client.post(
        PEOPLE + "import", data={"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data"
    )


def payload_of(body: bytes) -> str | None:
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', body.decode())
    return match.group(1) if match else None


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_import_preview_then_confirm(admin_client, admin, make_user):
    make_user(email="boss@example.org", name="Boss")
    csv_text = "email,name,team,job_role,manager\nann@example.org,Ann,Sales,Rep,boss@example.org\n"
    preview = upload(admin_client, csv_text)
    assert preview.status_code == 200
    body = page_errors(preview.data)
    assert "Create 1 person (as a learner)" in body and "Make boss@example.org the manager of Sales" in body
    assert "cannot sign in yet" in body
    assert people_count() == 2  # the preview changes nothing

    payload = payload_of(preview.data)
    assert payload
    done = admin_client.post(PEOPLE + "import/confirm", data={"payload": payload})
    assert done.status_code == 302
    ann = db.session.scalar(select(User).where(User.email == "ann@example.org"))
    assert ann.team.name == "Sales" and ann.team.manager.email == "boss@example.org"
    assert "1 created" in page_errors(admin_client.get(PEOPLE).data)

    # A second submit of the same confirmation creates nothing.
    again = admin_client.post(PEOPLE + "import/confirm", data={"payload": payload})
    assert again.status_code == 302
    assert "0 created, 1 updated (0 changed)" in page_errors(admin_client.get(PEOPLE).data)
    assert people_count() == 3


def test_import_with_bad_rows_offers_no_confirmation(admin_client):
    preview = upload(admin_client, "email,name\nnot-an-email,Ann\nbob@example.org,\n")
    assert preview.status_code == 400
    body = page_errors(preview.data)
    assert "Line 2" in body and "Line 3" in body
    assert "is not a valid email address" in body and "The name is missing." in body
    assert payload_of(preview.data) is None
    assert "import/confirm" not in body
    assert people_count() == 1


def test_import_refuses_a_tampered_confirmation(admin_client):
    preview = upload(admin_client, "email,name\nann@example.org,Ann\n")
    payload = payload_of(preview.data)
    # Swap in a different file body under the same signature.
    response = admin_client.post(PEOPLE + "import/confirm", data={"payload": payload[:-3] + "AAA"})
    assert response.status_code == 400
    assert "upload the file again" in page_errors(response.data)
    assert people_count() == 1


def test_import_rechecks_on_confirm(admin_client, make_user):
    boss, other = make_user(email="boss@example.org"), make_user(email="other@example.org")
    preview = upload(admin_client, "email,name,team,manager\nann@example.org,Ann,Sales,boss@example.org\n")
    payload = payload_of(preview.data)
    factories.make_team("Sales", manager=other)  # meanwhile someone else gave Sales a manager
    response = admin_client.post(PEOPLE + "import/confirm", data={"payload": payload})
    assert response.status_code == 400
    body = page_errors(response.data)
    assert "changed since the preview" in body and "already has the manager other@example.org" in body
    assert people_count() == 3
    assert fresh(boss.id).role == "learner"


def test_import_refuses_non_csv_and_non_utf8_files(admin_client):
    response = upload(admin_client, "email,name\n", filename="people.xlsx")
    assert response.status_code == 400 and "Upload a .csv file." in page_errors(response.data)
    response = upload(admin_client, "email,name\nzoë@example.org,Zoë\n".encode("latin-1"))
    assert response.status_code == 400 and "not UTF-8" in page_errors(response.data)


@pytest.mark.slow
def test_import_of_five_thousand_people_through_the_web(admin_client):
    lines = ["Email,Name,Team,Job_Role,Manager"] + [
        f"person{n}@example.org,Person {n},Team {n % 25},Analyst,person{n % 25}@example.org" for n in range(5000)
    ]
    preview = upload(admin_client, "\n".join(lines))
    assert preview.status_code == 200
    payload = payload_of(preview.data)
    assert payload, "the confirmation must fit in one form field"
    assert admin_client.post(PEOPLE + "import/confirm", data={"payload": payload}).status_code == 302
    assert people_count() == 5001
    assert db.session.scalar(select(func.count()).select_from(Team)) == 25

    too_many = upload(admin_client, "\n".join(lines + ["extra@example.org,Extra"]))
    assert too_many.status_code == 400
    assert "The file has more than 5,000 rows; import at most 5,000 at a time." in page_errors(too_many.data)
