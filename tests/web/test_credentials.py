"""Credentials after a change: API tokens die with the password, one-time passwords expire, and whoever must
choose a password does so on a page of its own before reaching anything else, the API included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker import sign_in_limits
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, User, utcnow
from tracker.services import accounts

from .. import factories
from ..conftest import login
from ..factories import PASSWORD
from .test_admin_people import one_time_password
from .test_auth import LOGIN_ERROR, error_messages, is_signed_in, sign_in

NEW_PASSWORD = "a brand new passphrase for the tests"


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def api_status(app, plain: str) -> int:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code


def with_tokens(user: User, count: int) -> list[str]:
    plains = [accounts.create_api_token(user, f"integration {n}")[1] for n in range(count)]
    db.session.commit()
    return plains


def reset_by_admin(app, person: User) -> tuple[str, str]:
    """An admin resets the person's password: the one-time password and the page that shows it."""
    admin = factories.make_user(Role.ADMIN)
    admin_client = app.test_client()
    login(admin_client, admin)
    response = admin_client.post(f"/admin/people/{person.id}/reset-password")
    assert response.status_code == 200
    return one_time_password(response.data), response.data.decode()


# --- API tokens -----------------------------------------------------------------------------------------------------


def test_a_password_change_revokes_every_api_token_and_says_so(app, client, make_user):
    user = make_user()
    plains = with_tokens(user, 2)
    login(client, user)
    assert all(api_status(app, plain) == 200 for plain in plains)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert all(api_status(app, plain) == 401 for plain in plains)
    page = client.get("/account/").data.decode()
    assert "Your password is changed. You are signed out on every other device." in page
    assert "Your 2 API tokens were revoked: create new ones for your integrations." in page
    [changed] = events("account.password_changed")
    assert changed.actor_id == user.id
    assert changed.details == {"replaced_one_time_password": False, "sessions_ended": 0, "tokens_revoked": 2}
    assert PASSWORD not in str(changed.details) and NEW_PASSWORD not in str(changed.details)


def test_an_admin_reset_revokes_every_api_token_and_says_so(app, make_user):
    person = make_user()
    [plain] = with_tokens(person, 1)
    assert api_status(app, plain) == 200

    _password, page = reset_by_admin(app, person)

    assert api_status(app, plain) == 401
    assert "their API tokens have been revoked" in page
    [reset] = events("user.password_reset")
    assert reset.details["tokens_revoked"] == 1


def test_creating_and_revoking_a_token_are_recorded(app, client, make_user):
    user = make_user()
    login(client, user)
    assert client.post("/account/tokens", data={"name": "reporting"}).status_code == 201
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302

    [created] = events("account.token_created")
    [revoked] = events("account.token_revoked")
    assert created.actor_id == revoked.actor_id == user.id
    assert created.target_type == revoked.target_type == "api_token"
    assert created.target_id == revoked.target_id == str(token.id)
    assert created.details == {"name": "reporting", "prefix": token.prefix}


# --- one-time passwords --------------------------------------------------------------------------------------------


def test_a_reset_password_expires_after_72_hours(app, make_user):
    person = make_user()
    password, page = reset_by_admin(app, person)
    expires = fresh(person).password_expires_at
    assert timedelta(hours=71, minutes=59) < expires - utcnow() <= timedelta(hours=72)
    assert "The one-time password works until" in page
    [reset] = events("user.password_reset")
    assert reset.details["expires_at"] == expires.isoformat()

    person = fresh(person)
    person.password_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client = app.test_client()
    refused = sign_in(client, person.email, password)
    assert refused.status_code == 200
    assert error_messages(refused.data) == [
        "This one-time password has expired. Ask your administrator to reset your password again."
    ]
    assert not is_signed_in(client)
    # Only the right password learns that; a wrong one gets the usual answer.
    assert error_messages(sign_in(app.test_client(), person.email, "a guess").data) == [LOGIN_ERROR]


@pytest.mark.parametrize("app_config", [{"ONE_TIME_PASSWORD_HOURS": 4, "RATELIMIT_ENABLED": True}], indirect=True)
def test_the_expiry_is_configurable_and_an_expired_password_does_not_count_as_a_failure(app, make_user):
    person = make_user()
    password, _page = reset_by_admin(app, person)
    expires = fresh(person).password_expires_at
    assert timedelta(hours=3, minutes=59) < expires - utcnow() <= timedelta(hours=4)

    person = fresh(person)
    person.password_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for _ in range(10):
        assert sign_in(app.test_client(), person.email, password).status_code == 200
    assert sign_in_limits.for_app(app).failures(person.email, "127.0.0.1") == 0


def test_a_password_the_person_chose_never_expires(app, make_user):
    person = make_user()
    password, _page = reset_by_admin(app, person)
    client = app.test_client()
    login(client, person, password)
    client.post(
        "/account/choose-password",
        data={"current_password": password, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert fresh(person).password_expires_at is None
    assert fresh(person).must_change_password is False


# --- the first password -------------------------------------------------------------------------------------------


def test_the_first_sign_in_with_a_one_time_password_leads_to_a_page_of_its_own(app, make_user):
    person = make_user()
    with_tokens(person, 1)
    password, _page = reset_by_admin(app, person)
    client = app.test_client()

    response = login(client, person, password)
    assert response.headers["Location"] == "/account/choose-password"
    page = client.get("/account/choose-password")
    assert page.status_code == 200
    body = page.data.decode()
    assert "Choose your password" in body
    assert "You signed in with a one-time password." in body
    assert "API tokens" not in body and "Sessions" not in body and "Profile" not in body

    # Everything else leads back here, the account page too.
    for url in ("/", "/account/", "/courses/", "/admin/"):
        assert client.get(url).headers["Location"] == "/account/choose-password", url

    weak = client.post(
        "/account/choose-password",
        data={"current_password": password, "new_password": "Summer2024!", "confirm_password": "Summer2024!"},
    )
    assert weak.status_code == 400
    assert "too common" in weak.data.decode()
    wrong = client.post(
        "/account/choose-password",
        data={"current_password": "not it", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert "Your current password is not correct." in wrong.data.decode()

    done = client.post(
        "/account/choose-password",
        data={"current_password": password, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"  # on to learning
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Your password is set. Welcome!" in dashboard.data.decode()
    [changed] = events("account.password_changed")
    assert changed.details["replaced_one_time_password"] is True
    # Later visits to the page go to the account page.
    assert client.get("/account/choose-password").headers["Location"] == "/account/"


def test_the_api_refuses_a_session_that_must_choose_a_password(app, make_user):
    person = make_user()
    password, _page = reset_by_admin(app, person)
    client = app.test_client()
    login(client, person, password)

    attempts = "/api/v1/courses/any/modules/any/attempts"
    for method, url in (("GET", "/api/v1/me"), ("GET", "/api/v1/courses"), ("POST", attempts)):
        response = client.open(url, method=method)
        assert response.status_code == 403, url
        assert response.is_json
        error = response.get_json()["error"]
        assert error["code"] == 403
        assert error["message"] == (
            "Choose a new password before you continue: sign in to the web pages and set it there."
        )
    # Signed out, the same requests are simply unauthorised.
    client.post("/logout")
    assert client.get("/api/v1/me").status_code == 401


def test_the_api_refuses_a_token_whose_owner_must_choose_a_password(app, make_user):
    person = make_user()
    [plain] = with_tokens(person, 1)
    person.must_change_password = True
    db.session.commit()
    assert api_status(app, plain) == 403
