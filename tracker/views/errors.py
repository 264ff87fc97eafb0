"""Friendly error pages that reveal nothing; JSON errors under /api/, all in one envelope (`api_error`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ..extensions import db

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. If you submitted a form, go back and try again."),
    ),
    401: (_l("Sign in needed"), _l("Sign in to continue.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this page.")),
    404: (_l("Not found"), _l("There is nothing here. The link may be out of date.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("The file you sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. It has been logged; please try again later.")),
}
# Exception headers that describe the answer itself (Allow on 405, WWW-Authenticate on 401, Retry-After on 429),
# kept on the rendered error; the exception's own Content-Type is not (the page or JSON sets its own).
_KEPT_HEADERS = {"allow", "www-authenticate", "retry-after"}


def api_error(
    code: int,
    message: str | None = None,
    *,
    title: str | None = None,
    fields: Iterable[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    **extra: Any,
) -> Response:
    """The one error answer of the JSON API: {"error": {"code", "title", "message", "fields"?, ...}}.

    `fields` lists what is wrong with each input ({"field": "team_id", "message": ...}); `extra` adds keys that
    the document declares for one case (e.g. `missing` question keys)."""
    default_title, default_message = MESSAGES.get(code, ("Error", "The request failed."))
    error: dict[str, Any] = {
        "code": code,
        "title": str(title or default_title),
        "message": str(message or default_message),
    }
    if fields is not None:
        error["fields"] = [{"field": str(f["field"]), "message": str(f["message"])} for f in fields]
    error.update(extra)
    response = jsonify({"error": error})
    response.status_code = code
    if headers:
        response.headers.extend(headers)
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(code: int, detail: str | None = None, headers: list[tuple[str, str]] | None = None):
    if _wants_json():
        return api_error(code, detail, headers=headers)
    title, message = MESSAGES.get(code, ("Error", "The request failed."))
    return render_template("errors/error.html", code=code, title=title, message=message), code, headers or []


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        # CSRF failures describe themselves safely ("The CSRF token is missing.").
        detail = exc.description if _wants_json() and code in (400, 401, 403, 404, 409, 422) else None
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() in _KEPT_HEADERS]
        return _respond(code, detail, headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500)
