"""Single sign-on against a real OpenID Connect provider on loopback (oidc-provider, Node): the authorization
code flow with PKCE, state and nonce; accounts linked, made just in time or refused; claims followed; tokens the
provider did not sign, or that expired, refused; sign-out at the provider."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import select

from tests import factories
from tests.conftest import make_config
from tests.oidc.provider import callback_path, running_provider
from tracker.extensions import db
from tracker.models import AuditEvent, ExternalIdentity, Role, User, UserSession
from tracker.services.identity import sso

CALLBACK = "http://localhost/login/sso/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with running_provider(tmp_path_factory.mktemp("oidc"), [CALLBACK], ["http://localhost/login"]) as running:
        yield running


@pytest.fixture
def app_config(request, database_url, instance_path, provider):
    return make_config(
        database_url,
        instance_path,
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=provider.client_id,
        OIDC_CLIENT_SECRET=provider.client_secret,
        OIDC_SCOPES="openid email profile groups",
        OIDC_PROVIDER_NAME="Example ID",
        OIDC_ALLOWED_DOMAINS=["example.org"],
        OIDC_CLAIM_TEAM="department",
        OIDC_ADMIN_GROUPS=["training-admins"],
        OIDC_MANAGER_GROUPS=["training-managers"],
        TWO_FACTOR_REQUIRED=True,
        **getattr(request, "param", {}),
    )


def _start(client) -> str:
    response = client.post("/login/sso")
    assert response.status_code == 302, response.data[:500]
    location = response.headers["Location"]
    assert location.startswith(client.application.config["OIDC_ISSUER"])
    return location


def sign_in_through_provider(client, provider, login: str):
    """The whole round trip: the app's redirect, the provider's sign-in, the app's callback."""
    authorize_url = _start(client)
    query = parse_qs(urlsplit(authorize_url).query)
    # PKCE (S256), state and nonce are all in the request to the provider.
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    back = provider.sign_in(requests.Session(), authorize_url, login, CALLBACK)
    return client.get(callback_path(back))


def _signed_in_email(client) -> str | None:
    response = client.get("/account/")
    if response.status_code != 200:
        return None
    return db.session.scalar(select(User.email).join(UserSession).order_by(UserSession.id.desc()).limit(1))


def test_first_sign_in_makes_an_account_from_the_claims(client, provider):
    factories.make_team("Data Office")
    provider.add_account(
        "ada",
        email="Ada@Example.org",
        email_verified=True,
        name="Ada Lovelace",
        job_title="Analyst",
        department="Data Office",
        groups=["training-managers", "everyone"],
    )
    response = sign_in_through_provider(client, provider, "ada")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    assert (user.display_name, user.job_role, user.team.name, user.role) == (
        "Ada Lovelace",
        "Analyst",
        "Data Office",
        Role.MANAGER.value,
    )
    identity = db.session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    assert (identity.issuer, identity.subject) == (provider.issuer, "ada")
    assert client.get("/account/").status_code == 200  # a session, without the second factor the role requires
    signed_in = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.signed_in")).all()
    assert signed_in[-1].details["method"] == "sso"
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert created.details["source"] == "sso"


def test_claims_are_followed_at_each_sign_in(client, provider, app):
    provider.add_account("bo", email="bo@example.org", email_verified=True, name="Bo", groups=["training-admins"])
    sign_in_through_provider(client, provider, "bo")
    user = db.session.scalar(select(User).where(User.email == "bo@example.org"))
    assert user.role == Role.ADMIN.value
    client.post("/logout")
    provider.add_account("bo", email="bo@example.org", email_verified=True, name="Bo Renamed", groups=[])
    fresh = app.test_client()
    sign_in_through_provider(fresh, provider, "bo")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.display_name, user.role, user.certificate_name) == ("Bo Renamed", Role.LEARNER.value, "Bo")
    changed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_changed")).all()
    assert [e.details["new"] for e in changed] == [Role.LEARNER.value]


def test_an_existing_account_is_linked_by_verified_email_only(client, provider, app, make_user):
    local = make_user(Role.LEARNER, email="cy@example.org")
    db.session.commit()
    provider.add_account("cy-unverified", email="cy@example.org", email_verified=False, name="Cy")
    refused = sign_in_through_provider(client, provider, "cy-unverified")
    assert refused.status_code == 403
    assert b"did not confirm your email address" in refused.data
    assert db.session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == local.id)) is None

    provider.add_account("cy", email="cy@example.org", email_verified=True, name="Cy")
    linked = sign_in_through_provider(app.test_client(), provider, "cy")
    assert linked.status_code == 302
    identity = db.session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == local.id))
    assert identity.subject == "cy"


def test_pages_let_the_sign_in_form_reach_the_provider(client, provider):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.issuer}" in policy  # the browser follows the POST's redirect there
    assert "frame-ancestors 'none'" in policy


def test_unknown_domain_gets_no_account(client, provider):
    provider.add_account("eve", email="eve@elsewhere.net", email_verified=True, name="Eve")
    response = sign_in_through_provider(client, provider, "eve")
    assert response.status_code == 403
    assert b"There is no account for eve@elsewhere.net here" in response.data, response.data.decode()
    assert db.session.scalar(select(User).where(User.email == "eve@elsewhere.net")) is None
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
    assert failed[-1].details == {"method": "sso", "reason": "domain_not_allowed"}
    assert client.get("/account/").status_code == 302  # not signed in


def test_deactivated_account_is_refused(client, provider, make_user):
    person = make_user(Role.LEARNER, email="dee@example.org")
    person.active = False
    db.session.commit()
    provider.add_account("dee", email="dee@example.org", email_verified=True)
    response = sign_in_through_provider(client, provider, "dee")
    assert response.status_code == 403
    assert b"deactivated" in response.data


def test_bad_state_is_refused(client, provider):
    provider.add_account("fay", email="fay@example.org", email_verified=True)
    authorize_url = _start(client)
    back = provider.sign_in(requests.Session(), authorize_url, "fay", CALLBACK)
    forged = back.replace("state=", "state=forged")
    response = client.get(callback_path(forged))
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "fay@example.org")) is None
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
    assert failed[-1].details["reason"] == "mismatching_state"
    # Without any state in the session (another browser), the same.
    assert client.get("/login/sso/callback?code=abc&state=xyz").status_code == 400


def test_replayed_nonce_is_refused(client, provider, app):
    """The same authorization request (state, nonce, PKCE challenge) sent to the provider again, and the session
    cookie from before the first callback restored: the provider issues a new code and an ID token with the
    same nonce, which Authlib accepts; the app refuses a nonce it has seen."""
    provider.add_account("gus", email="gus@example.org", email_verified=True)
    browser = requests.Session()
    authorize_url = _start(client)
    cookie_before = client.get_cookie("session").value
    first = provider.sign_in(browser, authorize_url, "gus", CALLBACK)
    assert client.get(callback_path(first)).status_code == 302

    attacker = app.test_client()
    attacker.set_cookie("session", cookie_before)
    second = provider.sign_in(browser, authorize_url, "gus", CALLBACK)
    assert parse_qs(urlsplit(second).query)["code"] != parse_qs(urlsplit(first).query)["code"]
    response = attacker.get(callback_path(second))
    assert response.status_code == 400
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
    assert failed[-1].details["reason"] == "nonce_replayed"
    assert attacker.get("/account/").status_code == 302


def test_a_callback_replayed_after_use_is_refused(client, provider):
    provider.add_account("hal", email="hal@example.org", email_verified=True)
    authorize_url = _start(client)
    back = provider.sign_in(requests.Session(), authorize_url, "hal", CALLBACK)
    assert client.get(callback_path(back)).status_code == 302
    client.post("/logout")
    assert client.get(callback_path(back)).status_code == 400  # the state was used up


def test_nonce_is_used_once_in_the_database(app):
    sso.use_nonce("n-1")
    with pytest.raises(sso.SsoRefused) as refused:
        sso.use_nonce("n-1")
    assert refused.value.reason == "nonce_replayed"


def _claims(provider, **overrides) -> dict:
    now = int(time.time())
    claims = {"iss": provider.issuer, "sub": "ivy", "aud": provider.client_id, "iat": now, "exp": now + 300}
    claims["nonce"] = "the-nonce"
    claims.update(overrides)
    return claims


def _parse(app, token: str):
    client = app.extensions["tracker.sso"]
    return client.parse_id_token({"id_token": token, "access_token": "a"}, nonce="the-nonce")


def test_id_token_checks_against_the_providers_keys(app, provider):
    assert _parse(app, provider.sign(_claims(provider)))["sub"] == "ivy"  # the control: a good token passes
    stranger = RSAKey.generate_key(2048, parameters={"kid": "provider-key"})  # same kid, another key
    bad = {
        "wrongly signed": provider.sign(_claims(provider), key=stranger),
        "expired": provider.sign(_claims(provider, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
        "other audience": provider.sign(_claims(provider, aud="another-client")),
        "other issuer": provider.sign(_claims(provider, iss="http://127.0.0.1:1")),
        "other nonce": provider.sign(_claims(provider, nonce="another")),
        "no nonce": provider.sign({k: v for k, v in _claims(provider).items() if k != "nonce"}),
    }
    for name, token in bad.items():
        with pytest.raises(Exception) as refused:  # noqa: B017 (Authlib and joserfc raise their own kinds)
            _parse(app, token)
        assert type(refused.value).__module__.startswith(("authlib", "joserfc")), (name, refused.value)


def test_sign_out_ends_the_session_and_signs_out_at_the_provider(client, provider):
    provider.add_account("jo", email="jo@example.org", email_verified=True)
    sign_in_through_provider(client, provider, "jo")
    assert db.session.scalar(select(UserSession.id)) is not None
    response = client.post("/logout")
    assert response.status_code == 302
    location = response.headers["Location"]
    end_session = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).json()[
        "end_session_endpoint"
    ]
    assert location.startswith(end_session)
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"][0].count(".") == 2
    assert db.session.scalar(select(UserSession.id)) is None  # the local session ended
    assert client.get("/account/").status_code == 302
    # The provider accepts the request (it shows its sign-out confirmation).
    assert requests.get(location, timeout=5).status_code == 200


def test_password_sign_out_stays_local(client, make_user):
    user = make_user(Role.LEARNER)
    db.session.commit()
    factories_login = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert factories_login.status_code == 302
    assert client.post("/logout").headers["Location"].endswith("/login")


@pytest.mark.parametrize(
    "app_config", [{"PASSWORD_SIGN_IN": False, "BREAK_GLASS_EMAILS": ["root@example.org"]}], indirect=True
)
def test_passwords_switched_off_but_for_break_glass_admins(client, make_user):
    admin = make_user(Role.ADMIN, email="root@example.org")
    learner = make_user(Role.LEARNER, email="kim@example.org")
    db.session.commit()
    page = client.get("/login")
    assert b"Sign in with Example ID" in page.data and b"Emergency access for administrators" in page.data
    refused = client.post("/login", data={"email": learner.email, "password": factories.PASSWORD})
    assert refused.status_code == 200 and b"Sign in with Example ID: passwords are not used here." in refused.data
    # The break-glass admin signs in with the password, and the second factor the role requires.
    response = client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/two-factor/setup")


def test_production_refuses_unsafe_identity_settings():
    from tracker.config import identity_problems

    good = {
        "OIDC_ISSUER": "https://id.example.org",
        "OIDC_CLIENT_ID": "tracker",
        "PASSWORD_SIGN_IN": False,
        "BREAK_GLASS_EMAILS": ["root@example.org"],
        "SCIM_TOKEN": "x" * 40,
    }
    assert identity_problems(good) == []
    assert "https://" in identity_problems({**good, "OIDC_ISSUER": "http://id.example.org"})[0]
    assert "BREAK_GLASS_EMAILS" in identity_problems({**good, "BREAK_GLASS_EMAILS": []})[0]
    assert "are not set" in identity_problems({**good, "OIDC_ISSUER": ""})[0]
    assert "SCIM_TOKEN" in identity_problems({**good, "SCIM_TOKEN": "short"})[0]
