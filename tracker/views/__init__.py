"""Thin blueprints: parse input, authorize, call one service, commit once, redirect or render."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def register_blueprints(app: Flask) -> None:
    from . import (
        account,
        admin,
        admin_content,
        admin_people,
        admin_teams,
        api,
        attempts,
        audit,
        auth,
        certificates,
        courses,
        errors,
        health,
        learner,
        manager,
        reports,
        verify,
        well_known,
    )

    for module in (
        auth, learner, courses, attempts, certificates, verify, well_known, manager, reports,
        admin, admin_people, admin_teams, admin_content, audit, account, api, health,
    ):
        app.register_blueprint(module.bp)
    errors.register(app)
