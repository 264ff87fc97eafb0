"""JSON API v1. Same rules as the pages: session cookie (with CSRF header on writes) or a personal bearer token.

The API is one blueprint under /api/v1 holding one child blueprint per area; authentication and the CSRF check
for cookie sessions are done here, once, for all of them.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ...extensions import csrf
from ..errors import api_error
from . import admin, certificates, docs, learning, manage, programme

bp = Blueprint("api", __name__, url_prefix="/api/v1")
for child in (learning, certificates, manage, admin, programme, docs):
    bp.register_blueprint(child.bp)
    csrf.exempt(child.bp)  # checked below, only for cookie sessions: browsers never send bearer tokens on their own

PUBLIC_ENDPOINTS = {"api.docs.openapi", "api.docs.reference", "api.certificates.verify"}


@bp.before_request
def _refuse_unstorable_path():
    """A path segment with NUL names nothing (and PostgreSQL refuses it in a query): 404 before any query.
    Integer ids are bounded by their URL rule (`schemas.common.ID_RULE`)."""
    if any(isinstance(value, str) and "\x00" in value for value in (request.view_args or {}).values()):
        abort(404)


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return api_error(401, "Sign in or send a bearer token.", headers={"WWW-Authenticate": 'Bearer realm="tracker"'})
    # Same switch as the forms: WTF_CSRF_ENABLED (on unless a test turns it off).
    csrf_on = current_app.config.get("WTF_CSRF_ENABLED", True)
    if csrf_on and request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("api_token_user"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
    return None
