"""Sign-in sessions: a server-side record per sign-in, idle and absolute limits, the CSRF secret renewed at
sign-in, and the person's own list of sessions with per-session and "everywhere else" sign-out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent, UserSession, utcnow
from tracker.services import sessions

from ..conftest import login
from ..factories import PASSWORD
from .test_auth import csrf_token_from, is_signed_in, sign_in


def sessions_of(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def age(row: UserSession, *, created: timedelta | None = None, seen: timedelta | None = None) -> None:
    """Move a session back in time, as if it had been signed in / last used that long ago."""
    now = utcnow()
    if created is not None:
        row.created_at = now - created
    if seen is not None:
        row.last_seen_at = now - seen
    db.session.commit()


def signed_in_client(app, user, agent: str = "Firefox on the office PC", address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    login(client, user)
    return client


# --- the record -----------------------------------------------------------------------------------------------------


def test_each_sign_in_is_a_session_named_by_an_opaque_id(app, make_user):
    user = make_user()
    client = signed_in_client(app, user, agent="Firefox/140.0", address="192.0.2.10")
    signed_in_client(app, user, agent="Safari on a phone", address="198.51.100.3")

    first, second = sessions_of(user)
    assert (first.ip_address, first.user_agent) == ("192.0.2.10", "Firefox/140.0")
    assert (second.ip_address, second.user_agent) == ("198.51.100.3", "Safari on a phone")
    assert first.created_at == first.last_seen_at
    with client.session_transaction() as cookie:
        secret = cookie["_user_id"]
    # The cookie names the session, not the person; the table keeps only a hash of it.
    assert str(user.id) not in secret.split(":")
    assert len(secret) >= 40
    assert secret not in (first.token_hash, second.token_hash)
    assert sessions.find(secret).id == first.id


def test_a_new_secret_key_keeps_sessions_only_while_the_old_one_is_a_fallback(app, make_user):
    """The cookie's signer is kept between requests: it must still follow the keys configured."""
    client = signed_in_client(app, make_user())
    assert is_signed_in(client)
    old = app.secret_key
    app.secret_key = "a-new-secret-key-" + "n" * 40
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert is_signed_in(client)  # signed with the old key, still accepted
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert not is_signed_in(client)  # the old key is gone: the cookie is refused


def test_last_use_is_recorded_at_most_once_a_minute(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    [row] = sessions_of(user)

    age(row, seen=timedelta(seconds=30))
    before = row.last_seen_at
    assert client.get("/").status_code == 200
    [row] = sessions_of(user)
    assert row.last_seen_at == before

    age(row, seen=timedelta(minutes=2))
    assert client.get("/").status_code == 200
    [row] = sessions_of(user)
    assert utcnow() - row.last_seen_at < timedelta(seconds=30)


# --- idle and absolute limits ---------------------------------------------------------------------------------------


def test_a_session_ends_after_30_minutes_without_activity(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    [row] = sessions_of(user)

    age(row, seen=timedelta(minutes=29))
    assert is_signed_in(client)  # and the use is recorded
    [row] = sessions_of(user)
    age(row, seen=timedelta(minutes=31))

    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert sessions_of(user) == []
    page = client.get("/login").data.decode()
    assert "You were signed out after a while without activity." in page
    [ended] = events("auth.session_ended")
    assert ended.details["reason"] == "idle" and ended.target_id == str(user.id)


def test_a_session_ends_12_hours_after_signing_in_however_busy(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    [row] = sessions_of(user)
    age(row, created=timedelta(hours=11, minutes=59), seen=timedelta(seconds=10))
    assert is_signed_in(client)

    age(row, created=timedelta(hours=12, minutes=1), seen=timedelta(seconds=10))
    assert not is_signed_in(client)
    [ended] = events("auth.session_ended")
    assert ended.details["reason"] == "lifetime"
    assert "Your session has reached its time limit." in client.get("/login").data.decode()


@pytest.mark.parametrize(
    "app_config", [{"SESSION_IDLE_TIMEOUT_MINUTES": 5, "SESSION_LIFETIME_HOURS": 1}], indirect=True
)
def test_the_limits_are_configurable(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    [row] = sessions_of(user)
    age(row, seen=timedelta(minutes=6))
    assert not is_signed_in(client)

    client = signed_in_client(app, user)
    [row] = sessions_of(user)
    age(row, created=timedelta(minutes=61), seen=timedelta(minutes=1))
    assert not is_signed_in(client)
    assert app.permanent_session_lifetime == timedelta(hours=1)


def test_sessions_that_are_over_are_cleared_at_the_next_sign_in(app, make_user):
    user = make_user()
    signed_in_client(app, user)
    [old] = sessions_of(user)
    age(old, seen=timedelta(hours=2))

    signed_in_client(app, user)

    [remaining] = sessions_of(user)
    assert utcnow() - remaining.last_seen_at < timedelta(minutes=1)


# --- fixation and CSRF ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_the_csrf_secret_from_before_sign_in_is_refused_after_it(client, make_user):
    user = make_user()
    form = client.get("/login")
    before = csrf_token_from(form.data)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302

    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert is_signed_in(client)
    after = csrf_token_from(client.get("/account/").data)
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
    assert not is_signed_in(client)


def test_sign_in_starts_a_fresh_cookie_keeping_only_the_language(client, make_user):
    user = make_user()
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
        cookie["language"] = "de"
    assert sign_in(client, user.email).status_code == 302
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert cookie["language"] == "de"


# --- the account page's list ---------------------------------------------------------------------------------------


def test_the_account_page_lists_the_persons_sessions_and_marks_this_one(app, make_user):
    user = make_user()
    phone = signed_in_client(app, user, agent="Safari on a phone", address="198.51.100.3")
    office = signed_in_client(app, user, agent="Firefox on the office PC", address="192.0.2.10")
    signed_in_client(app, make_user(), agent="Someone else's browser")

    page = office.get("/account/").data.decode()
    table = page[page.index('id="sessions"') :]
    table = table[: table.index("</table>")]
    assert "Safari on a phone" in table and "198.51.100.3" in table
    assert "Firefox on the office PC" in table and "192.0.2.10" in table
    assert "Someone else" not in table
    current = re.search(r'<tr class="current" aria-current="true">(.*?)</tr>', table, re.S).group(1)
    assert "Firefox on the office PC" in current and "This session" in current
    assert "Sign out everywhere else" in page
    assert is_signed_in(phone)


def test_sign_out_everywhere_else(app, make_user):
    user = make_user()
    phone = signed_in_client(app, user, agent="phone")
    laptop = signed_in_client(app, user, agent="laptop")
    office = signed_in_client(app, user, agent="office")

    response = office.post("/account/sessions/end-others")

    assert response.status_code == 302
    assert "You are signed out on 2 other devices." in office.get("/account/").data.decode()
    assert is_signed_in(office)
    assert not is_signed_in(phone) and not is_signed_in(laptop)
    [event] = events("auth.signed_out_elsewhere")
    assert event.actor_id == user.id and event.details["sessions_ended"] == 2
    assert [row.user_agent for row in sessions_of(user)] == ["office"]


def test_sign_out_one_other_session(app, make_user):
    user = make_user()
    phone = signed_in_client(app, user, agent="phone")
    office = signed_in_client(app, user, agent="office")
    phone_row = next(row for row in sessions_of(user) if row.user_agent == "phone")

    assert office.post(f"/account/sessions/{phone_row.id}/end").status_code == 302

    assert not is_signed_in(phone)
    assert is_signed_in(office)
    [event] = events("auth.session_ended")
    assert event.actor_id == user.id
    assert event.details == {"session_id": phone_row.id, "reason": "ended_elsewhere", "ip_address": "192.0.2.10"}


def test_signing_out_this_session_from_the_list(app, make_user):
    user = make_user()
    office = signed_in_client(app, user, agent="office")
    [row] = sessions_of(user)
    response = office.post(f"/account/sessions/{row.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not is_signed_in(office)
    [event] = events("auth.signed_out")
    assert event.details["reason"] == "signed_out"


def test_another_persons_session_is_not_found(app, make_user):
    user, other = make_user(), make_user()
    theirs = signed_in_client(app, other)
    mine = signed_in_client(app, user)
    [their_row] = sessions_of(other)
    assert mine.post(f"/account/sessions/{their_row.id}/end").status_code == 404
    assert mine.post("/account/sessions/999999/end").status_code == 404
    assert is_signed_in(theirs)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_ending_sessions_needs_the_csrf_token(app, make_user):
    user = make_user()
    phone = app.test_client()
    form = phone.get("/login")
    phone.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(form.data)})
    office = app.test_client()
    form = office.get("/login")
    office.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(form.data)})
    phone_row = sessions_of(user)[0]

    assert office.post("/account/sessions/end-others").status_code == 400
    assert office.post(f"/account/sessions/{phone_row.id}/end").status_code == 400
    assert office.get(f"/account/sessions/{phone_row.id}/end").status_code == 405
    assert is_signed_in(phone)
    token = csrf_token_from(office.get("/account/").data)
    assert office.post("/account/sessions/end-others", data={"csrf_token": token}).status_code == 302
    assert not is_signed_in(phone)


def test_signing_in_again_over_a_timed_out_cookie_keeps_the_new_session(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    [old] = sessions_of(user)
    age(old, seen=timedelta(hours=1))

    assert sign_in(client, user.email).status_code == 302  # the stale cookie is read, then replaced

    assert is_signed_in(client)
    [new] = sessions_of(user)
    assert utcnow() - new.last_seen_at < timedelta(minutes=1)
    assert [e.details["reason"] for e in events("auth.session_ended")] == ["idle"]


@pytest.mark.own_app  # adds a route
def test_recording_the_last_use_commits_nothing_the_view_left_uncommitted(app, make_user):
    from flask_login import current_user

    def rename_without_commit():
        current_user.display_name = "Never saved"
        db.session.flush()
        return "not committed", 400

    app.add_url_rule("/test-rename", "test_rename", rename_without_commit)
    user = make_user(name="Kept Name")
    client = signed_in_client(app, user)
    [row] = sessions_of(user)
    age(row, seen=timedelta(minutes=5))

    assert client.get("/test-rename").status_code == 400

    [row] = sessions_of(user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)  # the use was recorded
    db.session.expire_all()
    assert db.session.get(type(user), user.id).display_name == "Kept Name"
