"""Who is making the request: a sign-in session (named by the login cookie) or a personal bearer token, and the
gates that follow from it.

Loaders only read. After the response, the session's last use is recorded (at most once a minute), a session
found over its idle or absolute limit is ended and recorded, and a token's last use is recorded (at most once a
minute per token).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Request, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from . import sign_in_limits
from .extensions import db, login_manager
from .i18n import SESSION_KEY
from .models import User, UserSession, utcnow
from .services import accounts, sessions

BEARER = "Bearer "
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
SESSION_USE_RESOLUTION = timedelta(minutes=1)

# While a password must be changed, a signed-in person reaches only these; the API answers 403.
ALLOWED_DURING_PASSWORD_CHANGE = frozenset({"account.choose_password", "auth.logout", "language.choose", "static"})
# Kept across the fresh session that signing in starts.
KEPT_AT_SIGN_IN = (SESSION_KEY,)


def timeouts() -> sessions.Timeouts:
    return sessions.Timeouts.from_config(current_app.config)


def load_session_user(cookie_value: str) -> User | None:
    """The person of a running sign-in session; None for an unknown, ended or timed-out one."""
    found = sessions.find(cookie_value)
    if found is None:
        return None
    ended_by = timeouts().ended_by(found, utcnow())
    if ended_by is not None:
        g.timed_out_session = (found.id, found.token_hash, ended_by)
        return None
    if not found.user.active:
        return None
    g.user_session_id = found.id
    g.user_session_last_seen_at = found.last_seen_at
    return found.user


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
    g.api_token_last_used_at = found.last_used_at
    return found.user


def current_session() -> UserSession | None:
    """The sign-in session of this request (None for a bearer token or nobody)."""
    _ = current_user.is_authenticated  # loads the user, and with it the session's id
    if "user_session" not in g:
        session_id = g.get("user_session_id")
        g.user_session = None if session_id is None else db.session.get(UserSession, session_id)
    return g.user_session


def sign_in(user: User) -> UserSession:
    """Start a session for `user` in a fresh cookie: nothing from before signing in is kept but the language, so
    a planted cookie and its CSRF secret are worthless afterwards. The caller commits."""
    new, secret = sessions.start(
        user, request.remote_addr, request.headers.get("User-Agent"), timeouts(), now=user.last_login_at
    )
    kept = {key: session[key] for key in KEPT_AT_SIGN_IN if key in session}
    session.clear()  # also drops the CSRF secret: the next form gets a new one
    g.pop("csrf_token", None)
    session.update(kept)
    login_user(user)
    # Flask-Login stores `get_id()`; the loader is given the session's secret instead.
    session["_user_id"] = secret
    g.user_session, g.user_session_id = new, new.id
    g.user_session_last_seen_at = new.last_seen_at
    return new


def sign_out() -> None:
    """Forget the person in this browser (the caller ended the session's row), keeping only the language."""
    kept = {key: session[key] for key in KEPT_AT_SIGN_IN if key in session}
    logout_user()
    session.clear()
    session.update(kept)
    g.pop("user_session", None)
    g.pop("user_session_id", None)


def after_request(response):
    """Record what this request used, at most once a minute each. Whatever the view left uncommitted is rolled
    back first (as the end of the request would): only these records are committed here."""
    if response.status_code >= 500:
        return response
    now = utcnow()
    token_id = g.get("api_token_id")
    token_stale = token_id is not None and _stale(g.get("api_token_last_used_at"), TOKEN_USE_RESOLUTION, now)
    running = g.get("user_session_id")
    session_stale = running is not None and _stale(g.get("user_session_last_seen_at"), SESSION_USE_RESOLUTION, now)
    timed_out = g.get("timed_out_session")
    if not (token_stale or session_stale or timed_out):
        return response
    db.session.rollback()
    if token_stale:
        accounts.touch_api_token(token_id, TOKEN_USE_RESOLUTION, now)
    if session_stale:  # an ended session matches no row
        sessions.touch(running, SESSION_USE_RESOLUTION, now)
    if timed_out:
        _end_timed_out(*timed_out)
    db.session.commit()
    return response


def _stale(last: datetime | None, resolution: timedelta, now: datetime) -> bool:
    return last is None or now - last >= resolution


def _end_timed_out(session_id: int, token_hash: str, reason: str) -> None:
    ended = db.session.get(UserSession, session_id)
    if ended is None or ended.token_hash != token_hash:  # ended meanwhile (and its id perhaps taken again)
        return
    sessions.end(ended, actor=None, reason=reason)
    if g.get("user_session_id") is not None:  # this very request signed in anew
        return
    session.pop("_user_id", None)
    if reason == "idle":
        flash(_("You were signed out after a while without activity. Sign in again to continue."), "info")
    else:
        flash(_("Your session has reached its time limit. Sign in again to continue."), "info")


def send_to_password_change():
    """Someone signed in with a one-time password chooses their own before anything else, pages and API alike."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in ALLOWED_DURING_PASSWORD_CHANGE:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    if request.path.startswith("/api/"):
        message = _("Choose a new password before you continue: sign in to the web pages and set it there.")
        return {"error": {"code": 403, "title": _("Password change needed"), "message": message}}, 403
    return redirect(url_for("account.choose_password"))


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_LIFETIME_HOURS"]))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_bearer_user)
    sign_in_limits.init_app(app)
    app.before_request(send_to_password_change)
    app.after_request(after_request)


def quiz_limit() -> str:
    return current_app.config["QUIZ_RATE_LIMIT"]


def per_person() -> str:
    """The rate-limit key of the signed-in person (their user id), whatever their address or client."""
    if current_user.is_authenticated:
        return f"person:{current_user.id}"
    return f"address:{request.remote_addr}"
