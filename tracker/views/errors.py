"""Friendly error pages that reveal nothing; JSON errors under /api/."""

from __future__ import annotations

from flask import Flask, render_template, request
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


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, ("Error", "The request failed."))
    if _wants_json():
        return {"error": {"code": code, "title": title, "message": detail or message}}, code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        # CSRF failures describe themselves safely ("The CSRF token is missing.").
        detail = exc.description if _wants_json() and code in (400, 401, 403, 404, 409, 422) else None
        return _respond(code, detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500)
