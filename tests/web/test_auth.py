"""Signing in and out, sessions, passwords, profile, throttling, CSRF, headers, production config, errors, health."""

from __future__ import annotations

import html
import os
import re
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from tracker import create_app
from tracker.extensions import db, limiter
from tracker.models import User

from ..conftest import login
from ..factories import PASSWORD

LOGIN_ERROR = "The email or password is not correct."
DEACTIVATED = "This account is deactivated. Ask your administrator if you need to use it again."


@pytest.fixture
def login_as(client):
    """These tests are about signing in: every sign-in goes through the form."""

    def _login(user, password: str = PASSWORD):
        return login(client, user, password)

    return _login


def sign_in(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def error_messages(body: bytes) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="error"[^>]*>(.*?)</p>', body.decode(), re.S)]


def copy_session(app, client):
    """A second client holding a copy of `client`'s session cookie, as a stolen or second-device cookie would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def is_signed_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    return False


def fresh_user(email: str) -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


# --- signing in -----------------------------------------------------------------------------------------------


def test_sign_in_with_right_credentials_redirects_home(client, make_user):
    user = make_user(name="Ada")
    assert not is_signed_in(client)

    response = sign_in(client, user.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"Ada" in page.data
    assert fresh_user(user.email).last_login_at is not None


def test_sign_in_is_case_insensitive_on_email(client, make_user):
    user = make_user()
    assert sign_in(client, "  " + user.email.upper() + " ").status_code == 302


def test_unknown_email_and_wrong_password_look_the_same(app, make_user):
    user = make_user()
    unknown = "nobody-here@example.org"

    wrong_password = sign_in(app.test_client(), user.email, "not the password at all")
    unknown_email = sign_in(app.test_client(), unknown, "not the password at all")

    assert wrong_password.status_code == unknown_email.status_code == 200
    assert error_messages(wrong_password.data) == error_messages(unknown_email.data) == [LOGIN_ERROR]

    # Apart from the echoed email (and each session's own CSRF token), the pages are identical: nothing reveals
    # whether the account exists.
    def masked(data: bytes, email: str) -> bytes:
        return re.sub(rb'name="csrf_token" value="[^"]*"', b"TOKEN", data.replace(email.encode(), b"EMAIL"))

    assert masked(wrong_password.data, user.email) == masked(unknown_email.data, unknown)
    assert fresh_user(user.email).last_login_at is None


def test_deactivated_account_is_named_only_after_the_right_password(app, make_user):
    user = make_user(active=False)

    wrong = sign_in(app.test_client(), user.email, "not the password at all")
    assert wrong.status_code == 200
    assert error_messages(wrong.data) == [LOGIN_ERROR]  # a guesser learns nothing

    client = app.test_client()
    right = sign_in(client, user.email)
    assert right.status_code == 200
    assert error_messages(right.data) == [DEACTIVATED]
    assert not is_signed_in(client)


def test_signed_in_user_is_sent_home_from_login(client, make_user, login_as):
    login_as(make_user())
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- safe `next` ----------------------------------------------------------------------------------------------


def test_safe_next_is_followed(client, make_user):
    user = make_user()
    response = sign_in(client, user.email, query_string={"next": "/courses/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/courses/",
        "//evil.example",
        "//evil.example/courses/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(document.cookie)",
        "evil.example",
        "",
    ],
)
def test_unsafe_next_goes_home(client, make_user, target):
    user = make_user()
    response = sign_in(client, user.email, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_required_page_sends_next_to_login(client):
    response = client.get("/courses/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- signing out and ending sessions --------------------------------------------------------------------------


def test_logout_is_post_only(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


def test_logout_ends_copies_of_the_session(app, client, make_user, login_as):
    login_as(make_user())
    copy = copy_session(app, client)
    assert is_signed_in(copy)  # control: the copy works before signing out

    response = client.post("/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not is_signed_in(client)
    assert not is_signed_in(copy)


def test_logout_ends_only_this_session(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    other_device = app.test_client()
    login(other_device, user)

    assert client.post("/logout").status_code == 302

    assert not is_signed_in(client)
    assert is_signed_in(other_device)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    copy = app.test_client()  # another device
    login(copy, user)
    assert is_signed_in(copy)
    new_password = "a completely different passphrase for testing"

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )

    assert response.status_code == 302
    assert is_signed_in(client)
    assert not is_signed_in(copy)
    # The new password works, the old one no longer does.
    assert sign_in(app.test_client(), user.email, new_password).status_code == 302
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200


# --- password rules -------------------------------------------------------------------------------------------


def change_password(client, new: str, *, current: str = PASSWORD, confirm: str | None = None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("Sh0rt!x", "Use at least 8 characters."),
        ("password123", "too common"),
        ("PASSWORD123", "too common"),
        ("aaaaaaaaaaaaaaa", "too common"),
        # Found accepted by an attacker's review: a common word with changes, a season or a company and a year,
        # and the demo password published in the README.
        ("Passw0rd!", "too common"),
        ("Summer2024!", "too common"),
        ("monkey123", "too common"),
        ("Company2026", "a common word with a year"),
        ("demo-pass-2026", "too common"),
    ],
)
def test_weak_password_refused(app, client, make_user, login_as, new_password, message):
    user = make_user(name="Keep Me")
    login_as(user)
    hash_before = user.password_hash

    response = change_password(client, new_password)

    assert response.status_code == 400
    errors = error_messages(response.data)
    assert any(message in e for e in errors), errors
    assert new_password.encode() not in response.data  # passwords are never echoed back
    assert b"Keep Me" in response.data  # the rest of the page keeps the user's data
    assert fresh_user(user.email).password_hash == hash_before
    assert sign_in(app.test_client(), user.email, new_password).status_code == 200


def test_wrong_current_password_refused(client, make_user, login_as):
    user = make_user()
    login_as(user)
    hash_before = user.password_hash

    response = change_password(client, "a perfectly fine new passphrase", current="not my password")

    assert response.status_code == 400
    assert "Your current password is not correct." in error_messages(response.data)
    assert fresh_user(user.email).password_hash == hash_before


def test_mismatched_confirmation_refused(client, make_user, login_as):
    user = make_user()
    login_as(user)
    hash_before = user.password_hash

    response = change_password(client, "a perfectly fine new passphrase", confirm="something else entirely")

    assert response.status_code == 400
    assert "The passwords differ." in error_messages(response.data)
    assert fresh_user(user.email).password_hash == hash_before


def test_long_passphrase_accepted(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    passphrase = ("the quick brown fox jumps over the lazy dog " * 3)[:100]
    assert len(passphrase) == 100

    response = change_password(client, passphrase)

    assert response.status_code == 302
    assert sign_in(app.test_client(), user.email, passphrase).status_code == 302


# --- profile --------------------------------------------------------------------------------------------------


def test_profile_change(client, make_user, login_as):
    user = make_user(name="Old Name")
    login_as(user)

    response = client.post("/account/profile", data={"display_name": "  New Name  ", "timezone": "Europe/Berlin"})

    assert response.status_code == 302
    saved = fresh_user(user.email)
    assert saved.display_name == "New Name"
    assert saved.timezone == "Europe/Berlin"
    page = client.get("/account/")
    assert b"New Name" in page.data
    assert b"Your profile is saved." in page.data


def test_unknown_time_zone_refused(client, make_user, login_as):
    user = make_user(name="Old Name")
    login_as(user)

    response = client.post("/account/profile", data={"display_name": "Typed Name", "timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    body = response.data.decode()
    assert 'id="timezone-error"' in body
    assert error_messages(response.data)
    assert 'value="Typed Name"' in body  # what was typed is kept
    saved = fresh_user(user.email)
    assert saved.display_name == "Old Name"
    assert saved.timezone == "UTC"


def test_empty_display_name_refused(client, make_user, login_as):
    user = make_user(name="Old Name")
    login_as(user)

    response = client.post("/account/profile", data={"display_name": "", "timezone": "Europe/Paris"})

    assert response.status_code == 400
    assert 'id="display_name-error"' in response.data.decode()
    assert fresh_user(user.email).timezone == "UTC"


# --- throttling (more in test_sign_in_limits.py) --------------------------------------------------------------

THROTTLED = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_FAILURES_BEFORE_DELAY": 3,
    "LOGIN_FIRST_DELAY_SECONDS": 60,  # long enough that no test outruns it
}


# --- CSRF -----------------------------------------------------------------------------------------------------


def csrf_token_from(body: bytes) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body.decode())
    assert match, "no csrf_token input on the page"
    return match.group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_login_needs_csrf_token(client, make_user):
    user = make_user()

    form = client.get("/login")
    assert form.status_code == 200
    assert re.search(rb'<input[^>]+name="csrf_token"', form.data)

    refused = sign_in(client, user.email)
    assert refused.status_code == 400
    assert not is_signed_in(client)

    forged = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400

    accepted = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(form.data),
        },
    )
    assert accepted.status_code == 302
    assert is_signed_in(client)

    # Signing out needs the token too.
    assert client.post("/logout").status_code == 400
    assert is_signed_in(client)


# --- security headers and cookies -----------------------------------------------------------------------------


def assert_security_headers(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy")


def test_security_headers_everywhere(client, make_user):
    page = client.get("/login")
    assert page.status_code == 200
    assert_security_headers(page)

    api = client.get("/api/v1/openapi.json")
    assert api.status_code == 200
    assert_security_headers(api)

    api_error = client.get("/api/v1/me")
    assert api_error.status_code == 401
    assert_security_headers(api_error)

    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert_security_headers(missing)

    signed_in = sign_in(client, make_user().email)
    assert_security_headers(signed_in)
    assert "no-store" in client.get("/").headers.get("Cache-Control", "")


def cookie_attributes(response, name: str) -> dict[str, str]:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return {part.strip().split("=")[0].lower(): part.strip() for part in cookies[0].split(";")[1:]}


def test_session_cookie_flags(client, make_user):
    response = sign_in(client, make_user().email)
    assert response.status_code == 302
    attributes = cookie_attributes(response, "session")
    assert "httponly" in attributes
    assert attributes.get("samesite") == "SameSite=Lax"
    assert attributes.get("path") == "Path=/"
    assert "domain" not in attributes
    # The browser keeps it for the session's absolute lifetime at most, not Flask's default month.
    assert client.application.permanent_session_lifetime.total_seconds() == 12 * 3600


# --- production configuration ---------------------------------------------------------------------------------


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    for name in ("SECRET_KEY", "FLASK_DEBUG", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def issuer_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def production_overrides(database_url, tmp_path, **extra) -> dict:
    """Everything else production asks for is present, so a refusal can only be about what the test varies.
    The database is the test's own: a production start records its issuer key there for real."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.db'}",
        "REDIS_URL": REDIS_URL,
        "INSTANCE_PATH": str(tmp_path / "prod-instance"),
        "ISSUER_PRIVATE_KEY": issuer_key_pem(),
        "PUBLIC_BASE_URL": "https://training.example.org",
        # The rate limiter is one object shared by every app in the process: keep it off for the test app's sake.
        "RATELIMIT_ENABLED": False,
        **extra,
    }


def test_production_refuses_missing_secret_key(production_env, database_url, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
        create_app(production_overrides(database_url, tmp_path))
    assert "debug" not in str(refused.value)
    # No development key was generated in the instance folder either.
    assert not (tmp_path / "prod-instance" / "secret_key").exists()


@pytest.mark.parametrize("key", ["short", "change-me", "x" * 31, "a" * 64, "0123456789abcdef" * 4])
def test_production_refuses_weak_secret_key(production_env, database_url, tmp_path, key):
    production_env.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production_overrides(database_url, tmp_path))


def test_production_refuses_debug(production_env, database_url, tmp_path):
    production_env.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    production_env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug") as refused:
        create_app(production_overrides(database_url, tmp_path))
    assert "SECRET_KEY" not in str(refused.value)


def test_production_starts_with_strong_key(production_env, database_url, tmp_path):
    _redis_or_skip()  # /healthz checks it
    production_env.setenv("SECRET_KEY", secrets.token_urlsafe(32))

    prod = create_app(production_overrides(database_url, tmp_path))

    assert prod.config["PRODUCTION"] is True
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["REMEMBER_COOKIE_SECURE"] is True
    assert not prod.debug
    response = prod.test_client().get("/healthz")
    assert response.status_code == 200
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")
    # The login cookie is a __Host- cookie: sent only over HTTPS, only to this host, for every path.
    form = prod.test_client().get("/login", base_url="https://training.example.org")
    assert form.status_code == 200
    attributes = cookie_attributes(form, "__Host-session")
    assert {"secure", "httponly", "path"} <= attributes.keys()
    assert attributes["path"] == "Path=/"
    assert "domain" not in attributes


def test_development_has_no_secure_cookie_requirement(app):
    assert app.config["PRODUCTION"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is False


# --- error pages ----------------------------------------------------------------------------------------------


def test_not_found_page_is_friendly_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = response.data.decode()
    assert "Not found" in body
    assert "Traceback" not in body
    assert "werkzeug" not in body.lower()


def test_api_not_found_is_json(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["code"] == 404


@pytest.mark.own_app  # adds routes, which a shared app that already served requests refuses
def test_unexpected_error_shows_friendly_page_without_details(app, client):
    secret = "SECRET-INTERNAL-DETAIL-42"

    def explode():
        raise ValueError(secret)

    app.add_url_rule("/test-explode", "test_explode", explode)
    app.add_url_rule("/api/v1/test-explode", "api_test_explode", explode)

    page = client.get("/test-explode")
    assert page.status_code == 500
    assert page.mimetype == "text/html"
    body = page.data.decode()
    assert "Something went wrong" in body
    assert secret not in body
    assert "ValueError" not in body
    assert "Traceback" not in body
    assert_security_headers(page)

    api = client.get("/api/v1/test-explode")
    assert api.status_code == 500
    assert api.is_json
    assert api.get_json()["error"]["code"] == 500
    assert secret not in api.get_data(as_text=True)


# --- health ---------------------------------------------------------------------------------------------------


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.parametrize(
    "bad_url",
    ["sqlite:///{tmp}/missing-directory/deeper/tracker.db", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
    ids=["sqlite-missing-directory", "postgresql-closed-port"],
)
def test_healthz_reports_unreachable_database(app_config, tmp_path, bad_url):
    broken = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": bad_url.format(tmp=tmp_path)})

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is needed at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


@pytest.mark.real_commits  # the two workers are separate apps with their own connections
def test_sign_in_limits_live_in_redis_so_every_worker_shares_them(app, app_config, make_user):
    """Two app instances (as two workers would be) see the same counters when REDIS_URL is set."""
    redis_client = _redis_or_skip()
    redis_client.flushdb()
    config = {**app_config, **THROTTLED, "RATELIMIT_STORAGE_URI": REDIS_URL}
    user = make_user()
    first_worker = create_app(config)
    for _ in range(3):
        assert sign_in(first_worker.test_client(), user.email, "wrong password").status_code == 200
    assert any(b"login-account" in key for key in redis_client.keys("*"))
    assert not any(user.email.encode() in key for key in redis_client.keys("*"))  # no email in clear
    second_worker = create_app(config)
    assert sign_in(second_worker.test_client(), user.email).status_code == 429
    # The owner at another address is not held up, on either worker.
    elsewhere = {"REMOTE_ADDR": "192.0.2.9"}
    assert sign_in(first_worker.test_client(), user.email, environ_base=elsewhere).status_code == 302
    redis_client.flushdb()
    limiter.reset()
