"""Thin blueprints: parse input, authorize, call one service, commit once, redirect or render."""

from __future__ import annotations

import io
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, send_file


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def download_response(body: bytes | str | Iterable, filename: str, mimetype: str) -> Response:
    """A file to save: bytes through send_file, a streamed body (a generator of chunks) as it is produced.
    Both carry the same Content-Disposition (with an RFC 6266 `filename*` for names outside ASCII)."""
    if isinstance(body, (bytes, str)):
        data = body.encode("utf-8") if isinstance(body, str) else body
        response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)
    else:
        response = Response(body, mimetype=mimetype)
        response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "private, no-store"  # records of people: never kept by a shared cache
    return response


def register_blueprints(app: Flask) -> None:
    from . import (
        account,
        admin,
        api,
        attempts,
        auth,
        certificates,
        courses,
        errors,
        health,
        jobs,
        language,
        learner,
        manager,
        notification_settings,
        password_links,
        policies,
        programme,
        reports,
        scim,
        sso,
        status_lists,
        transcripts,
        two_factor,
        verify,
        well_known,
    )

    learning = (
        auth,
        password_links,
        learner,
        courses,
        attempts,
        certificates,
        verify,
        status_lists,
        well_known,
        account,
        policies,
    )
    for module in (
        *learning,
        notification_settings,
        jobs,
        manager,
        transcripts,
        programme,
        reports,
        admin,
        api,
        health,
        language,
        sso,
        two_factor,
        scim,
    ):
        app.register_blueprint(module.bp)
    errors.register(app)
