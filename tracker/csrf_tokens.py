"""The CSRF token pages carry: Flask-WTF's token, signed at most once a minute per session secret.

Every page carries forms (sign-out in the header, the language in the footer), so every page signs the session's
CSRF secret with a timestamp (`flask_wtf.csrf.generate_csrf`): about a tenth of a simple page's cost. The signature
of one secret in one minute is reused instead, so a token handed out is at most a minute older than a fresh one
(valid for WTF_CSRF_TIME_LIMIT less that minute). Validation is Flask-WTF's, unchanged.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf

FIELD = "csrf_token"  # Flask-WTF's default WTF_CSRF_FIELD_NAME: the session key and the `g` attribute alike
REUSED_FOR = 60  # seconds a signed token is handed out again
ENTRIES = 10_000  # signed tokens kept per process; all dropped at once when full

_signed: dict[tuple, str] = {}


def csrf_token() -> str:
    """This request's CSRF token, as Flask-WTF's `generate_csrf` gives it (a form built by the view has already
    made it: the same one is returned)."""
    token = g.get(FIELD)
    if token is not None:
        return token
    secret = session.get(FIELD)
    token = _signed.get(_key(secret)) if isinstance(secret, str) else None
    if token is not None:
        setattr(g, FIELD, token)  # where Flask-WTF's forms look for this request's token
        return token
    token = generate_csrf()  # makes the session's secret first if it has none
    if len(_signed) >= ENTRIES:
        _signed.clear()
    _signed[_key(session[FIELD])] = token
    return token


def _key(secret: str) -> tuple:
    signing_key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return (signing_key, secret, int(time.time()) // REUSED_FOR)


def init_app(app: Flask) -> None:
    """Replace Flask-WTF's `csrf_token` in templates (its global and its context processor); call after
    `CSRFProtect.init_app`."""
    if app.config.get("WTF_CSRF_FIELD_NAME", FIELD) != FIELD:
        return
    app.jinja_env.globals[FIELD] = csrf_token
    app.context_processor(lambda: {FIELD: csrf_token})
