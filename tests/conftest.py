"""Shared fixtures: an app per test on one schema per session (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from tracker import create_app
from tracker.extensions import db
from tracker.models.audit import APPEND_ONLY_TRIGGERS

from . import factories

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_url: str, instance: Path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "INSTANCE_PATH": str(instance),
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url = _database_url(tmp_path_factory)
    app = create_app(make_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield url
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # The audit log refuses deletes; lift its guard only while the test data is wiped.
        for trigger in ("audit_events_no_update", "audit_events_no_delete"):
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        db.session.execute(text("UPDATE teams SET manager_id = NULL, parent_id = NULL"))
        for table in tables:
            db.session.execute(table.delete())
        for statement in APPEND_ONLY_TRIGGERS["sqlite"]:
            db.session.execute(text(statement))
    db.session.commit()


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Override keys here (via indirect use) before the app is built; the default is the test config."""
    return make_config(database_url, tmp_path)


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as in production: no `g`, login cache or session shared with
    the test's own context (otherwise Flask reuses the test's pushed context for every request)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        _empty_tables()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    return factories.make_user


@pytest.fixture
def course(app):
    """A small published course: two modules, two lessons each, a 3-question quiz drawn from a pool of 5."""
    return factories.make_course()


def login(client, user, password: str = factories.PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.data[:500]
    return response


@pytest.fixture
def login_as(client):
    def _login(user, password: str = factories.PASSWORD):
        return login(client, user, password)

    return _login


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Count SQL statements sent inside the `with` block."""

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return _count


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: whatever it needed (Chromium, PostgreSQL) must be there."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) were skipped; failing the run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def attachment_name(response) -> str:
    """The file name a download response offers (Content-Disposition: attachment), however it is quoted."""
    from werkzeug.http import parse_options_header

    kind, options = parse_options_header(response.headers.get("Content-Disposition", ""))
    assert kind == "attachment", response.headers.get("Content-Disposition")
    return options["filename"]
