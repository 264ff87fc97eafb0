"""Signing in with the organisation's OpenID Connect provider (authorization code flow with PKCE, state and nonce,
through Authlib), and signing out there too.

Authlib reads the discovery document, keeps state, nonce and the PKCE verifier in the signed session cookie,
exchanges the code and checks the ID token (signature against the provider's JWKS, issuer, audience, expiry,
nonce). What the claims mean for the person is `services.identity.sso`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError
from requests import RequestException

from ..extensions import db
from ..forms import ConfirmForm
from ..services import audit
from ..services.identity import sso
from . import is_safe_next
from .auth import _after_sign_in, render_login, start_session

bp = Blueprint("sso", __name__)

EXTENSION_KEY = "tracker.sso"
CLIENT_NAME = "organisation"
NEXT_KEY = "_sso_next"
# The provider did not answer (in time), or answered something that is not OAuth.
PROVIDER_TIMEOUT_SECONDS = 10


@bp.record_once
def _register_client(state) -> None:
    init_app(state.app)


def init_app(app: Flask) -> None:
    settings = sso.Settings.from_config(app.config)
    if not settings.configured:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret or None,
        server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256", "timeout": PROVIDER_TIMEOUT_SECONDS},
    )
    app.extensions[EXTENSION_KEY] = oauth.create_client(CLIENT_NAME)
    app.after_request(_let_forms_reach_the_provider)


def _client():
    return current_app.extensions.get(EXTENSION_KEY)


def _refused(message: str, reason: str, status: int = 400):
    audit.record("auth.sign_in_failed", details={"method": "sso", "reason": reason})
    db.session.commit()
    return render_login(status=status, sso_error=message)


@bp.route("/login/sso", methods=["POST"])
def start():
    """To the provider's sign-in page. A POST with the CSRF token: nobody else's page can start it."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    client = _client()
    if client is None or not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    next_url = request.args.get("next")
    session[NEXT_KEY] = next_url if is_safe_next(next_url) else None
    try:
        return client.authorize_redirect(url_for("sso.callback", _external=True))
    except (AuthlibBaseError, RequestException, ValueError, KeyError) as exc:
        current_app.logger.warning("single sign-on provider unavailable: %s", exc)
        message = _("Your organisation's sign-in is not reachable right now. Try again later.")
        return _refused(message, "unreachable", 503)


@bp.route("/login/sso/callback")
def callback():
    """Back from the provider with a code (or an error)."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    client = _client()
    if client is None:
        return redirect(url_for("auth.login"))
    if request.args.get("error"):  # the person cancelled, or the provider refused
        return _refused(_("The sign-in was cancelled or refused by your organisation's sign-in."), "provider_error")
    try:
        # Checks state (against the session), exchanges the code with the PKCE verifier, and validates the ID token.
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise ValueError("no ID token")
        if token.get("access_token") and client.load_server_metadata().get("userinfo_endpoint"):
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):  # OIDC Core 5.3.2: otherwise the answer is not used
                claims = {**extra, **claims}
    except (AuthlibBaseError, JoseError) as exc:
        current_app.logger.info("single sign-on refused: %s", exc)
        return _refused(_("The sign-in could not be completed. Try again."), _reason(exc))
    except (RequestException, ValueError, KeyError, TypeError) as exc:
        current_app.logger.warning("single sign-on failed: %s", exc)
        return _refused(_("The sign-in could not be completed. Try again."), "invalid_response")
    settings = sso.Settings.from_config(current_app.config)
    try:
        sso.use_nonce(claims.get("nonce"))
        user = sso.account_for(claims, settings)
    except sso.SsoRefused as exc:
        db.session.rollback()
        return _refused(str(exc), exc.reason, 403 if exc.reason != "nonce_replayed" else 400)
    next_url = session.pop(NEXT_KEY, None)
    id_token = token.get("id_token")
    new_session = start_session(user, "sso")
    if id_token:
        sso.remember_id_token(new_session, id_token)
    db.session.commit()
    return redirect(_after_sign_in(user, next_url))


def _provider_origins() -> list[str]:
    origins = [current_app.config["OIDC_ISSUER"]]
    client = _client()
    metadata = getattr(client, "server_metadata", None) or {}
    origins += [metadata.get(key) or "" for key in ("authorization_endpoint", "end_session_endpoint")]
    found = []
    for url in origins:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None
        if origin and origin not in found:
            found.append(origin)
    return found


def _let_forms_reach_the_provider(response):
    """The sign-in and sign-out buttons are forms whose answer redirects to the provider; browsers hold that
    redirect to the page's CSP form-action, which names the provider's origin besides the app's own."""
    from .. import SECURITY_HEADERS

    if "Content-Security-Policy" not in response.headers and response.mimetype == "text/html":
        policy = SECURITY_HEADERS["Content-Security-Policy"]
        allowed = " ".join(_provider_origins())
        widened = policy.replace("form-action 'self'", f"form-action 'self' {allowed}")
        response.headers["Content-Security-Policy"] = widened
    return response


def _reason(exc: Exception) -> str:
    name = getattr(exc, "error", None) or type(exc).__name__
    return str(name)[:60]


def provider_logout(id_token: str):
    """A redirect to the provider's end-session endpoint (RP-initiated logout), or None where it has none."""
    client = _client()
    if client is None:
        return None
    try:
        endpoint = client.load_server_metadata().get("end_session_endpoint")
    except (AuthlibBaseError, RequestException, ValueError) as exc:
        current_app.logger.warning("single sign-on provider unavailable at sign-out: %s", exc)
        return None
    if not endpoint:
        return None
    return client.logout_redirect(
        post_logout_redirect_uri=url_for("auth.login", _external=True),
        id_token_hint=id_token,
        client_id=client.client_id,
    )
