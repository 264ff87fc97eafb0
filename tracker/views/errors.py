"""Friendly error pages that reveal nothing; JSON errors under /api/."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from ..extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood. If you submitted a form, go back and try again."),
    401: ("Sign in needed", "Sign in to continue."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here. The link may be out of date."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The file you sent is larger than allowed."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a few minutes and try again."),
    500: ("Something went wrong", "An unexpected error happened. It has been logged; please try again later."),
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
