"""Two-factor sign-in: set up with a QR code, asked between the password and the session, codes used once,
recovery codes used once, wrong codes throttled, remembered browsers, admins' resets."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_config
from tracker import sign_in_limits
from tracker.extensions import db
from tracker.models import AuditEvent, Role, TwoFactorCredential, UserSession, utcnow
from tracker.services.identity import two_factor


@pytest.fixture
def app_config(request, database_url, instance_path):
    return make_config(database_url, instance_path, TWO_FACTOR_REQUIRED=True, **getattr(request, "param", {}))


def _password(client, user):
    return client.post("/login", data={"email": user.email, "password": factories.PASSWORD})


def _secret_on(page: bytes) -> str:
    match = re.search(rb'id="totp-secret">([A-Z2-7]+)<', page)
    assert match, page.decode()[-3000:]
    return match.group(1).decode()


def _codes_on(page: bytes) -> list[str]:
    return [code.decode() for code in re.findall(rb"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", page)]


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def enrol_at_sign_in(client, user) -> tuple[str, list[str]]:
    response = _password(client, user)
    assert response.headers["Location"].endswith("/login/two-factor/setup")
    page = client.get("/login/two-factor/setup")
    assert page.status_code == 200 and b'src="data:image/svg+xml' in page.data  # the QR code
    secret = _secret_on(page.data)
    done = client.post("/login/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.data.decode()[-2000:]
    codes = _codes_on(done.data)
    assert len(codes) == two_factor.RECOVERY_CODES
    return secret, codes


def _step_after(secret: str) -> str:
    """The code of the next time step (accepted: one step either side counts)."""
    totp = pyotp.TOTP(secret)
    return totp.at(utcnow() + timedelta(seconds=totp.interval))


def test_required_role_sets_up_at_sign_in_and_the_password_alone_starts_no_session(client, make_user):
    admin = make_user(Role.ADMIN)
    db.session.commit()
    _password(client, admin)
    # Half signed in: no session row, no page behind the sign-in.
    assert db.session.scalar(select(UserSession.id)) is None
    assert client.get("/account/").status_code == 302
    assert client.get("/admin/").status_code == 302
    secret, codes = enrol_at_sign_in(client, admin)
    assert _signed_in(client)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.signed_in")).all()[-1]
    assert event.details["second_factor"] == "totp_enrolled"
    assert db.session.get(TwoFactorCredential, admin.id).secret_encrypted.find(secret) == -1  # encrypted at rest


def test_learner_is_not_asked_unless_enrolled(client, make_user):
    learner = make_user(Role.LEARNER)
    db.session.commit()
    assert _password(client, learner).headers["Location"].endswith("/")
    assert _signed_in(client)


def test_wrong_code_then_right_code(app, make_user):
    manager = make_user(Role.MANAGER)
    db.session.commit()
    secret, _codes = enrol_at_sign_in(app.test_client(), manager)
    client = app.test_client()
    assert _password(client, manager).headers["Location"].endswith("/login/two-factor")
    wrong_code = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    wrong = client.post("/login/two-factor", data={"code": wrong_code})
    assert wrong.status_code == 400 and b"That code is not right" in wrong.data
    assert not _signed_in(client)
    right = client.post("/login/two-factor", data={"code": _step_after(secret)})
    assert right.status_code == 302
    assert _signed_in(client)


def test_a_code_works_once_within_its_window(app, make_user):
    manager = make_user(Role.MANAGER)
    db.session.commit()
    secret, _codes = enrol_at_sign_in(app.test_client(), manager)
    code = _step_after(secret)
    first, second = app.test_client(), app.test_client()
    _password(first, manager)
    _password(second, manager)
    assert first.post("/login/two-factor", data={"code": code}).status_code == 302
    replay = second.post("/login/two-factor", data={"code": code})
    assert replay.status_code == 400 and b"already used" in replay.data
    assert not _signed_in(second)
    # An older step than the last one used is refused as well.
    assert second.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 400
    reasons = [
        e.details["reason"]
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.second_factor_failed"))
    ]
    assert reasons == ["code_reused", "code_reused"]


def test_recovery_code_signs_in_once(app, make_user):
    admin = make_user(Role.ADMIN)
    db.session.commit()
    _secret, codes = enrol_at_sign_in(app.test_client(), admin)
    client = app.test_client()
    _password(client, admin)
    used = client.post("/login/two-factor", data={"code": codes[3].upper().replace("-", " ")})
    assert used.status_code == 302
    assert _signed_in(client)
    assert two_factor.recovery_codes_left(admin) == two_factor.RECOVERY_CODES - 1
    again = app.test_client()
    _password(again, admin)
    refused = again.post("/login/two-factor", data={"code": codes[3]})
    assert refused.status_code == 400 and not _signed_in(again)


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "LOGIN_FAILURES_BEFORE_DELAY": 3, "LOGIN_FIRST_DELAY_SECONDS": 60}],
    indirect=True,
)
def test_wrong_codes_are_throttled(app, make_user):
    sign_in_limits.for_app(app).reset()
    manager = make_user(Role.MANAGER)
    db.session.commit()
    secret, _codes = enrol_at_sign_in(app.test_client(), manager)
    client = app.test_client()
    _password(client, manager)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _attempt in range(3):
        assert client.post("/login/two-factor", data={"code": wrong}).status_code == 400
    # Even the right code waits now: the guesses are slowed to a crawl.
    throttled = client.post("/login/two-factor", data={"code": _step_after(secret)})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert b"Too many wrong codes" in throttled.data
    assert not _signed_in(client)
    sign_in_limits.for_app(app).reset()


def test_remembered_browser_is_not_asked_again_until_a_reset(app, make_user):
    manager = make_user(Role.MANAGER)
    admin = make_user(Role.ADMIN)
    db.session.commit()
    secret, _codes = enrol_at_sign_in(app.test_client(), manager)
    browser = app.test_client()
    _password(browser, manager)
    assert browser.post("/login/two-factor", data={"code": _step_after(secret), "remember": "y"}).status_code == 302
    browser.post("/logout")
    assert _password(browser, manager).headers["Location"].endswith("/")  # not asked
    assert _signed_in(browser)

    admin_browser = app.test_client()
    enrol_at_sign_in(admin_browser, admin)
    reset = admin_browser.post(f"/admin/people/{manager.id}/reset-two-factor")
    assert reset.status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")).one()
    assert (event.actor_id, event.target_id) == (admin.id, str(manager.id))
    assert not _signed_in(browser)  # signed out everywhere
    # The remembered browser counts no more: the role requires setting up a new second factor.
    assert _password(browser, manager).headers["Location"].endswith("/login/two-factor/setup")


def test_enrol_and_turn_off_from_the_account_page(client, make_user, login_as):
    learner = make_user(Role.LEARNER)
    db.session.commit()
    login_as(learner)
    assert b"Set up two-factor sign-in" in client.get("/account/two-factor").data
    page = client.post("/account/two-factor/setup")
    secret = _secret_on(page.data)
    assert client.post("/account/two-factor/confirm", data={"code": "12345"}).status_code == 400
    done = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    assert len(_codes_on(done.data)) == two_factor.RECOVERY_CODES
    fresh = client.post("/account/two-factor/recovery-codes")
    assert len(set(_codes_on(fresh.data)) - set(_codes_on(done.data))) == two_factor.RECOVERY_CODES
    assert client.post("/account/two-factor/disable").status_code == 302
    assert two_factor.credential_of(learner) is None
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-3:] == [
        "account.two_factor_enabled",
        "account.recovery_codes_regenerated",
        "account.two_factor_disabled",
    ]


def test_required_second_factor_cannot_be_turned_off(client, make_user, login_as):
    admin = make_user(Role.ADMIN)
    db.session.commit()
    enrol_at_sign_in(client, admin)
    refused = client.post("/account/two-factor/disable")
    assert refused.status_code == 400 and b"requires two-factor sign-in for your role" in refused.data


def test_half_signed_in_state_ends_with_a_password_reset(app, make_user):
    manager = make_user(Role.MANAGER)
    admin = make_user(Role.ADMIN)
    db.session.commit()
    secret, _codes = enrol_at_sign_in(app.test_client(), manager)
    client = app.test_client()
    _password(client, manager)
    from tracker.services.organisation import people

    people.reset_password(manager, admin)  # changes the session token the half-signed-in state names
    db.session.commit()
    response = client.post("/login/two-factor", data={"code": _step_after(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not _signed_in(client)
