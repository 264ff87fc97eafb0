"""Who is making the request: the session cookie or a personal bearer token, and the gates that follow from it.

Loaders only read. The last use of a token is recorded after the response, at most once a minute per token.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db, login_manager
from .models import User
from .services import accounts

BEARER = "Bearer "
TOKEN_USE_RESOLUTION = timedelta(minutes=1)

# While a password must be changed, a signed-in person reaches only these (and the API, which uses tokens).
ALLOWED_DURING_PASSWORD_CHANGE = frozenset({"account.show", "account.change_password", "auth.logout", "static"})


def load_bearer_user(req: Request) -> User | None:
    """The owner of a valid personal token sent to the API; None for anything else."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.startswith(BEARER):
        return None
    found = accounts.find_api_token(header[len(BEARER) :].strip())
    if found is None:
        return None
    g.api_token_user = True
    g.api_token_id = found.id
    return found.user


def record_token_use(response):
    token_id = g.get("api_token_id")
    if token_id is not None and response.status_code < 500 and accounts.touch_api_token(token_id, TOKEN_USE_RESOLUTION):
        db.session.commit()
    return response


def send_to_password_change():
    endpoint = request.endpoint
    if endpoint is None or endpoint in ALLOWED_DURING_PASSWORD_CHANGE or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        if request.method == "GET":
            flash(_("Choose a new password before you continue."), "info")
        return redirect(url_for("account.show"))
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(accounts.load_user_from_session)
    login_manager.request_loader(load_bearer_user)
    app.before_request(send_to_password_change)
    app.after_request(record_token_use)


def quiz_limit() -> str:
    return current_app.config["QUIZ_RATE_LIMIT"]


def per_person() -> str:
    """The rate-limit key of the signed-in person (their user id), whatever their address or client."""
    if current_user.is_authenticated:
        return f"person:{current_user.id}"
    return f"address:{request.remote_addr}"
