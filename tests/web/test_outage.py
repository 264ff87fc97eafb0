"""When the database or Redis is gone: /healthz says which, and pages answer a friendly 503, never a bare error."""

from __future__ import annotations

import os

import pytest
import redis
from sqlalchemy.exc import IntegrityError, OperationalError

from tracker import create_app
from tracker.views.errors import database_unavailable

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CLOSED_REDIS = "redis://127.0.0.1:1/0"
UNREACHABLE_DATABASES = {
    "postgresql-closed-port": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    "sqlite-missing-directory": "sqlite:///{tmp}/missing-directory/deeper/tracker.db",
}


def redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is needed at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")


@pytest.fixture(params=list(UNREACHABLE_DATABASES), ids=list(UNREACHABLE_DATABASES))
def outage(request, app_config, tmp_path):
    """An app whose database cannot be reached (as during a PostgreSQL outage)."""
    url = UNREACHABLE_DATABASES[request.param].format(tmp=tmp_path)
    return create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})


def signed_in(app, user_id: int = 1):
    """A browser holding the session cookie of someone signed in before the outage."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:token-from-before-the-outage"
        session["_fresh"] = True
    return client


# --- /healthz ---------------------------------------------------------------------------------------------------


def test_healthz_checks_redis_when_the_app_uses_it(app_config):
    redis_or_skip()
    healthy = create_app({**app_config, "REDIS_URL": REDIS_URL})
    response = healthy.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_healthz_reports_unreachable_redis(app_config):
    cut_off = create_app({**app_config, "REDIS_URL": CLOSED_REDIS})
    response = cut_off.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unreachable"}}


def test_healthz_reports_which_check_failed(outage):
    outage.config["REDIS_URL"] = CLOSED_REDIS
    response = outage.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "redis": "unreachable"},
    }


# --- pages during a database outage -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/courses/", "/certificates/", "/admin/", "/no-such-page"])
def test_signed_in_pages_answer_a_friendly_503(outage, path):
    response = signed_in(outage).get(path, headers={"Accept-Language": "de"})

    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "30"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"  # the security headers are still there
    body = response.get_data(as_text=True)
    assert '<html lang="de">' in body  # the browser's language: the person's own is in the database
    assert "Der Dienst ist vorübergehend nicht verfügbar" in body
    for leak in ("werkzeug", "Traceback", "OperationalError", "psycopg", "sqlite", "Internal Server Error"):
        assert leak.lower() not in body.lower()


def test_the_page_speaks_the_language_chosen_in_the_footer(outage):
    client = signed_in(outage)
    with client.session_transaction() as session:
        session["language"] = "fr"
    response = client.get("/courses/", headers={"Accept-Language": "de"})
    assert response.status_code == 503
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_a_sign_in_attempt_during_an_outage_gets_the_friendly_page(outage):
    response = outage.test_client().post("/login", data={"email": "ann@example.org", "password": "whatever"})
    assert response.status_code == 503
    assert "The service is temporarily unavailable" in response.get_data(as_text=True)


def test_the_api_answers_json_503(outage):
    response = outage.test_client().get("/api/v1/me", headers={"Authorization": "Bearer trk_some-token"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["code"] == 503
    assert response.get_json()["error"]["title"] == "The service is temporarily unavailable"


def test_only_outages_count_as_unavailable():
    down = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert database_unavailable(down)
    wrapped = RuntimeError("while rendering")
    wrapped.__cause__ = down
    assert database_unavailable(wrapped)
    # A broken statement is a bug: a 500, not "come back later".
    assert not database_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_unavailable(ValueError("bug"))
