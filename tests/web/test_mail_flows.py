"""Invitations and password resets through a real SMTP server on loopback: messages received and parsed, links
followed, passwords set, people signed in; links that expired, were used or were replaced are refused."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests import mail_server
from tests.conftest import login, make_config
from tracker.extensions import db
from tracker.models import ApiToken, MailMessage, Role, User, UserSession, utcnow
from tracker.services import accounts, invitations, sessions

NEW_PASSWORD = "a long and unusual passphrase 2026"


@pytest.fixture(scope="module")
def smtp():
    controller, inbox, port = mail_server.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def app_config(database_url, instance_path, smtp):
    _inbox, port = smtp
    return make_config(
        database_url,
        instance_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        PUBLIC_BASE_URL="http://localhost",
    )


@pytest.fixture
def inbox(smtp):
    smtp[0].clear()
    return smtp[0]


def _path(url: str) -> str:
    return urlsplit(url).path


def test_invitation_then_choose_a_password_then_sign_in(app, client, inbox, run_jobs, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = client.post(
        "/admin/people/new",
        data={
            "email": "new.hire@example.org",
            "display_name": "New Hire",
            "role": "learner",
            "password_choice": "invite",
        },
    )
    assert response.status_code == 302
    run_jobs()
    [message] = inbox.to("new.hire@example.org")
    text, html = mail_server.parts(message)
    assert "New Hire" in text and "New Hire" in html
    assert message["List-Unsubscribe"] is None  # not a reminder
    link = mail_server.link_in(message, "/password/choose/")
    client.post("/logout", data={})

    assert client.get(_path(link)).status_code == 200
    answer = client.post(_path(link), data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    person = db.session.scalar(select(User).where(User.email == "new.hire@example.org"))
    login(client, person, NEW_PASSWORD)
    assert client.get("/").status_code == 200
    # The link worked once.
    assert client.get(_path(link)).status_code == 410
    record = db.session.scalar(select(MailMessage).where(MailMessage.to_address == "new.hire@example.org"))
    assert record.status == "sent" and record.sent_at is not None
    assert record.body_text == ""  # a message that carried a password link keeps no body once delivered


def test_imported_people_are_invited_with_one_click(app, client, inbox, run_jobs, make_user):
    admin = make_user(Role.ADMIN)
    waiting = [make_user(email=f"imported{n}@example.org") for n in range(3)]
    login(client, admin)
    page = client.get("/admin/people/").get_data(as_text=True)
    assert "Send invitations" in page
    assert client.post("/admin/people/send-invitations", data={}).status_code == 302
    run_jobs()
    assert {m["To"] for m in inbox.messages} >= {p.email for p in waiting}
    # A second click the same day sends nothing again.
    before = len(inbox.messages)
    client.post("/admin/people/send-invitations", data={})
    run_jobs()
    assert len(inbox.messages) == before


def test_reset_flow_same_answer_expired_and_reused_links(app, client, inbox, run_jobs, make_user):
    person = make_user(email="forgetful@example.org")
    timeouts = sessions.Timeouts.from_config(app.config)
    sessions.start(person, "192.0.2.9", "old browser", timeouts)
    accounts.create_api_token(person, "integration")
    db.session.commit()

    known = client.post("/password/forgot", data={"email": "forgetful@example.org"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    run_jobs()
    assert [m["To"] for m in inbox.messages] == ["forgetful@example.org"]
    link = mail_server.link_in(inbox.messages[0], "/password/choose/")

    # Asking again at once sends nothing more (one message per account per quarter hour).
    client.post("/password/forgot", data={"email": "forgetful@example.org"})
    run_jobs()
    assert len(inbox.messages) == 1

    assert (
        client.post(_path(link), data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == person.id)) == 0
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == person.id)).revoked_at is not None
    login(client, person, NEW_PASSWORD)
    client.post("/logout", data={})
    # Used: the password hash changed, so the link is dead.
    assert client.get(_path(link)).status_code == 410

    # Expired: a link made two hours ago (resets last an hour).
    old = invitations.make_token(person, invitations.RESET, now=utcnow() - timedelta(hours=2))
    refused = client.get(f"/password/choose/{old}")
    assert refused.status_code == 410 and b"expired" in refused.data
    # Replaced: a password change kills a link made before it.
    fresh = invitations.make_token(person, invitations.RESET)
    accounts.change_password(person, NEW_PASSWORD, NEW_PASSWORD + " again")
    db.session.commit()
    assert client.get(f"/password/choose/{fresh}").status_code == 410
    # Tampered.
    assert client.get(f"/password/choose/{fresh[:-2]}xx").status_code == 410


def test_weak_password_through_a_link_is_refused(app, client, make_user):
    person = make_user()
    token = invitations.make_token(person, invitations.INVITE)
    response = client.post(
        f"/password/choose/{token}", data={"new_password": "password", "confirm_password": "password"}
    )
    assert response.status_code == 400
    assert client.get(f"/password/choose/{token}").status_code == 200  # still usable


def test_sign_in_page_links_to_forgot_password(client):
    assert b"/password/forgot" in client.get("/login").data


def test_forgot_password_is_rate_limited(database_url, tmp_path):
    from tracker import create_app
    from tracker.extensions import limiter

    app = create_app(
        make_config(database_url, tmp_path, RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="2 per hour")
    )
    limiter.reset()
    client = app.test_client()
    codes = [client.post("/password/forgot", data={"email": f"x{n}@example.org"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    limiter.reset()
