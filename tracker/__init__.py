"""tracker: AI-literacy training, progress and evidence records."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import cookie_session, inputs, templating
from .config import check_production_config, engine_options, load_config
from .extensions import csrf, db, issuing, limiter, migrate

ROOT = Path(__file__).resolve().parent.parent

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    overrides = overrides or {}
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=overrides.get("INSTANCE_PATH") or os.environ.get("TRACKER_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.jinja_environment = templating.Environment  # before anything creates app.jinja_env
    app.session_interface = cookie_session.SessionInterface()
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(overrides)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    check_production_config(app.config)

    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1)
    inputs.init_app(app)  # before any route is registered
    register_extensions(app)
    if app.config["PRODUCTION"]:
        issuing.start(app)  # the signing key is loaded now and checked against the database's record
    register_security(app)
    register_template_helpers(app)
    from .views import register_blueprints

    register_blueprints(app)
    from . import cli

    cli.register(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    from . import authz, csrf_tokens, fragments, i18n, login, models  # noqa: F401  (models register their tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    csrf_tokens.init_app(app)
    limiter.init_app(app)
    issuing.init_app(app)
    login.init_app(app)
    i18n.init_app(app)
    authz.init_app(app)
    fragments.init_app(app)
    from .jobs import queue

    queue.init_app(app)
    from .services.reporting import status_table

    status_table.register()  # the matrix tables follow every session's changes


def register_security(app: Flask) -> None:
    lowered = [(name.lower(), name, value) for name, value in SECURITY_HEADERS.items()]

    @app.after_request
    def _headers(response):
        # The headers a view set itself win; one pass over the few it has (every response goes through this).
        own = {name.lower() for name, _value in response.headers}
        response.headers.extend((name, value) for key, name, value in lowered if key not in own)
        if app.config["PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if g.get("database_unavailable"):  # the error page of an outage: who is signed in cannot be known
            response.headers.setdefault("Cache-Control", "no-store")
        elif not request.path.startswith("/static/") and current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def register_template_helpers(app: Flask) -> None:
    from jinja2 import pass_context

    from .forms import forms_with_errors
    from .services import certification

    app.jinja_env.globals.update(
        # The errors of every form on the page, for the summary at its top (base.html).
        page_form_errors=pass_context(
            lambda context: [item for form in forms_with_errors(context) for item in form.error_items()]
        ),
        organisation_name=lambda: app.config["ORGANISATION_NAME"],
        # How templates take macros: `{% set pager = macros("_macros/_pager.html").pager %}`. The same module
        # `{% from ... import %}` gives, without its cost: Jinja's import compares the page's globals with the
        # file's (about sixty names) on every render, ~190 calls a file, where this reads the module Jinja keeps
        # per loaded template (a template reloaded in development gets a new one).
        macros=lambda name: app.jinja_env.get_template(name).module,
        certificate_status=certification.status,
        certificate_pending=certification.pending,  # no files: waiting for an admin
        certificate_status_label=lambda cert: certification.status(cert).label,
        issuer_key_warning=lambda: issuing.warning(app),
    )
