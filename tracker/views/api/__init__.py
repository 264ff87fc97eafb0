"""JSON API v1. Same rules as the pages: session cookie (with CSRF header on writes) or a personal bearer token.

The API is one blueprint under /api/v1 holding one child blueprint per area; authentication and the CSRF check
for cookie sessions are done here, once, for all of them.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ...extensions import csrf
from . import admin, certificates, docs, learning, manage, programme

bp = Blueprint("api", __name__, url_prefix="/api/v1")
for child in (learning, certificates, manage, admin, programme, docs):
    bp.register_blueprint(child.bp)
    csrf.exempt(child.bp)  # checked below, only for cookie sessions: browsers never send bearer tokens on their own

PUBLIC_ENDPOINTS = {"api.docs.openapi", "api.certificates.verify"}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return (
            {"error": {"code": 401, "title": "Unauthorized", "message": "Sign in or send a bearer token."}},
            401,
            {"WWW-Authenticate": 'Bearer realm="tracker"'},
        )
    # Same switch as the forms: WTF_CSRF_ENABLED (on unless a test turns it off).
    csrf_on = current_app.config.get("WTF_CSRF_ENABLED", True)
    if csrf_on and request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("api_token_user"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
    return None
