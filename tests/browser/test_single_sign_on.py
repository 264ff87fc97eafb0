"""Single sign-on end to end in a real browser: the app and a real OpenID Connect provider (oidc-provider) on
loopback, the person signing in on the provider's page, landing on their dashboard, then signing out of both."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from tracker import create_app
from tracker.extensions import db
from tracker.models import ExternalIdentity, User, UserSession

from ..conftest import make_config
from ..oidc.provider import Provider, running_provider


class _Late:
    """A WSGI app set after the server is listening: the provider must know the app's address first."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory) -> Iterator[tuple[str, Provider, object]]:
    late = _Late()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    workdir = tmp_path_factory.mktemp("sso-browser")
    with running_provider(workdir, [f"{url}/login/sso/callback"], [f"{url}/login"]) as provider:
        late.app = create_app(
            make_config(
                f"sqlite:///{workdir / 'live.db'}",
                workdir,
                WTF_CSRF_ENABLED=True,
                OIDC_ISSUER=provider.issuer,
                OIDC_CLIENT_ID=provider.client_id,
                OIDC_CLIENT_SECRET=provider.client_secret,
                OIDC_PROVIDER_NAME="Example ID",
                OIDC_ALLOWED_DOMAINS=["example.org"],
                OIDC_CLAIM_TEAM="department",
                TWO_FACTOR_REQUIRED=True,
            )
        )
        with late.app.app_context():
            db.create_all()
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, name="sso-live-server", daemon=True)
        thread.start()
        try:
            yield url, provider, late.app
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with late.app.app_context():
                db.engine.dispose()


@pytest.fixture
def sso_page(browser, sso_site):
    url, _provider, _app = sso_site
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_sign_in_through_the_provider_and_out_of_both(sso_site, sso_page):
    _url, provider, app = sso_site
    provider.add_account(
        "nora", email="nora@example.org", email_verified=True, name="Nora Newcomer", department="Field Sales"
    )
    page = sso_page
    page.goto("/login")
    page.get_by_role("button", name="Sign in with Example ID").click()

    # The provider's own sign-in page.
    expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer)))
    page.locator("input[name=login]").fill("nora")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Nora Newcomer")
    with app.app_context():
        nora = db.session.scalar(select(User).where(User.email == "nora@example.org"))
        assert nora.team.name == "Field Sales"
        assert db.session.scalar(select(ExternalIdentity.subject).where(ExternalIdentity.user_id == nora.id)) == "nora"
        assert db.session.scalar(select(UserSession.id).where(UserSession.user_id == nora.id)) is not None
        db.session.remove()

    # Signing out ends the session here, then at the provider (RP-initiated logout), and comes back.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer)))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    with app.app_context():
        assert db.session.scalar(select(UserSession.id).where(UserSession.user_id == nora.id)) is None
        db.session.remove()

    # The provider's session is gone too: signing in again asks for the login once more.
    page.get_by_role("button", name="Sign in with Example ID").click()
    expect(page.locator("input[name=login]")).to_be_visible()
