"""Friendly error pages that reveal nothing; JSON errors under /api/."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from .. import i18n
from ..extensions import db, login_manager

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. If you submitted a form, go back and try again."),
    ),
    401: (_l("Sign in needed"), _l("Sign in to continue.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this page.")),
    404: (_l("Not found"), _l("There is nothing here. The link may be out of date.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (
        _l("Already done"),
        _l("This was already done, perhaps by a form sent twice. Go back and reload the page to see the result."),
    ),
    413: (_l("Too large"), _l("The file you sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. It has been logged; please try again later.")),
    503: (_l("The service is temporarily unavailable"), _l("Please try again in a few minutes.")),
}
RETRY_AFTER_SECONDS = "30"
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


def database_unavailable(exc: BaseException | None) -> bool:
    """The database cannot be reached (down, restarting, connection lost, pool exhausted), as opposed to a bug in a
    statement: trying again later can work. Looks through the exceptions that wrapped it."""
    for _depth in range(5):
        if exc is None:
            return False
        if isinstance(exc, (OperationalError, InterfaceError, PoolTimeoutError)):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = getattr(exc, "original_exception", None) or exc.__cause__ or exc.__context__
    return False


def _unavailable():
    """The outage page: rendered from the cookie session and the request alone. The signed-in person and their
    language live in the database, so neither the user loader nor the locale selector may run here."""
    g.database_unavailable = True
    g._login_user = login_manager.anonymous_user()  # Flask-Login's cache: nobody is loaded from the database again
    try:
        db.session.rollback()
    except Exception:  # a dead connection may refuse even that; the pool replaces it
        db.session.remove()
    title, message = MESSAGES[503]
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    if _wants_json():
        with force_locale(i18n.BABEL_LOCALES["en"]):  # the API speaks English
            return api_error(503, headers=headers)
    language = (
        i18n.language_of(session.get(i18n.SESSION_KEY))
        or request.accept_languages.best_match(list(i18n.LANGUAGES))
        or i18n.default_language()
    )
    with force_locale(i18n.BABEL_LOCALES.get(language, language)):
        page = render_template("errors/unavailable.html", language=language, title=title, message=message)
    return page, 503, headers


def _respond(code: int, detail: str | None = None, headers: list[tuple[str, str]] | None = None):
    if _wants_json():
        return api_error(code, detail, headers=headers)
    title, message = MESSAGES.get(code, ("Error", "The request failed."))
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code, headers or []
    except Exception as exc:  # the page shows who is signed in: with the database gone it cannot
        if database_unavailable(exc):
            return _unavailable()
        raise


def _record_refusal(exc: HTTPException) -> None:
    """Refused access and failed CSRF checks go to the audit log: both are what an attacker's probing looks like."""
    refused = g.get("access_refused")
    if refused is None and not isinstance(exc, CSRFError):
        return
    from ..services import audit

    actor = current_user if current_user and current_user.is_authenticated else None
    try:
        db.session.rollback()  # nothing the refused request did is kept: only this record
        if refused is not None:
            audit.record(
                "security.access_refused",
                actor=actor,
                target_type=refused["kind"],
                target_id=refused["id"],
                details={"method": request.method, "path": request.path[:300]},
            )
        else:
            audit.record(
                "security.csrf_failed",
                actor=actor,
                details={"method": request.method, "path": request.path[:300], "reason": str(exc.description)[:200]},
            )
        db.session.commit()
    except Exception as error:  # never let the record turn a refusal into a 500
        db.session.rollback()
        current_app.logger.warning("could not record a refusal: %s", error)


def _served_for_another_method() -> bool:
    """Werkzeug answers 405 as soon as a rule for another method has the path's shape, before that rule converts the
    values: PATCH /api/v1/ai-systems/0 would be 405 (Allow: GET) though GET of the same path is 404, the id being
    out of the rule's range. The path is served only if it matches for one of the methods named."""
    adapter = current_app.create_url_adapter(request)
    for method in request.routing_exception.valid_methods or ():
        try:
            adapter.match(method=method)
        except RequestRedirect:
            return True
        except HTTPException:  # not found, or 405 again: not served for this method either
            continue
        return True
    return False


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, MethodNotAllowed) and exc is request.routing_exception and not _served_for_another_method():
            exc = NotFound()
        code = exc.code or 500
        _record_refusal(exc)
        # CSRF failures describe themselves safely ("The CSRF token is missing.").
        detail = exc.description if _wants_json() and code in (400, 401, 403, 404, 409, 422) else None
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() in _KEPT_HEADERS]
        return _respond(code, detail, headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if database_unavailable(exc):
            app.logger.error("database unavailable on %s %s: %s", request.method, request.path, exc)
            return _unavailable()
        if isinstance(exc, IntegrityError):
            # The database refused a second copy of something that exists once (a double submit the service did
            # not expect): say it is done rather than fail. Logged, because the service should handle it itself.
            db.session.rollback()
            app.logger.warning("integrity conflict on %s %s: %s", request.method, request.path, exc.orig)
            return _respond(409)
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500)
