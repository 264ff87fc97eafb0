"""Shared fixtures: one app per configuration for the whole run, one schema (SQLite file, or PostgreSQL via
TEST_DATABASE_URL), and each test inside a transaction that is rolled back at its end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event, text
from sqlalchemy.orm import scoped_session, sessionmaker

from tracker import create_app
from tracker.extensions import db, limiter
from tracker.models.audit import APPEND_ONLY_TRIGGERS
from tracker.services import invariants, sessions
from tracker.services.learning import structure

from . import factories

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# One iteration of PBKDF2: sign-ins in tests cost nothing. Tests of hashing itself ask for the real method.
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"


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
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
        # Jobs wait in memory until a test runs them (`run_jobs`); tests of the real queues run consumers.
        "JOBS_BACKEND": "memory",
        "JOB_FILES_DIR": str(instance / "job-files"),
        "MAIL_SERVER": "",
        # Rolled-back tests reuse row ids: the chart's per-process counts (keyed by the last id) would mislead.
        "CHART_CACHE_SECONDS": 0,
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


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


def _empty_tables() -> None:
    """Delete every row, for the tests that commit for real (see the `real_commits` marker)."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # The audit log refuses deletes; lift its guard only while the test data is wiped.
        for trigger in ("audit_events_no_update", "audit_events_no_delete"):
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        db.session.execute(text("UPDATE teams SET parent_id = NULL"))
        for table in tables:
            db.session.execute(table.delete())
        for statement in APPEND_ONLY_TRIGGERS["sqlite"]:
            db.session.execute(text(statement))
    db.session.commit()


def _fail_on_violations() -> None:
    """Data committed for real (by other threads, processes or a live server) must keep the invariants that
    `flask check-invariants` checks; checked here, before the tables are wiped, since nothing is left after."""
    db.session.rollback()
    found = invariants.violations()
    if found:
        pytest.fail("check-invariants: " + "; ".join(map(str, found)), pytrace=False)


@pytest.fixture
def app_config(request, database_url, instance_path) -> dict:
    """The test config, with per-test overrides given through indirect parametrisation:
    `@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)`."""
    return {**make_config(database_url, instance_path), **getattr(request, "param", {})}


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as in production: no `g`, login cache or session shared with
    the test's own context (otherwise Flask reuses the test's pushed context for every request)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


_APPS: dict[str, Flask] = {}


def _app_for(config: dict) -> Flask:
    """One app per distinct configuration for the whole run (building an app compiles its templates anew)."""
    key = repr(sorted((k, repr(v)) for k, v in config.items() if k != "INSTANCE_PATH"))
    if key not in _APPS:
        _APPS[key] = create_app(config)
        _APPS[key].test_client_class = FreshContextClient
    return _APPS[key]


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Everything the test and its requests write happens inside one outer transaction on one connection, which is
    rolled back at the end: each session (the test's and every request's) works in a SAVEPOINT of it, so their
    commits are real to each other and the next test starts from an empty database."""
    connection = db.engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # The sqlite3 module opens transactions late and on its own; on this one connection SQLAlchemy's documented
        # pysqlite recipe takes over (autocommit driver, explicit BEGIN), so the SAVEPOINTs nest inside BEGIN.
        connection.connection.driver_connection.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        if sqlite:
            connection.connection.driver_connection.isolation_level = ""  # back to the driver's default
        connection.close()


@pytest.fixture
def app(request, app_config):
    """The app for this test's configuration, in its own app context.

    Markers: `own_app` builds a new app (for tests that add routes or need pristine extension state);
    `real_commits` lets the test commit for real and wipes the tables afterwards (for tests where another app,
    thread or process must see the data)."""
    flask_app = create_app(app_config) if request.node.get_closest_marker("own_app") else _app_for(app_config)
    flask_app.test_client_class = FreshContextClient
    structure.clear_cache()  # ids are reused after a rollback: a cached course could belong to an earlier test
    # One limiter serves every app, switched on or off by the app built last: make it follow the app under test.
    limiter.enabled = bool(flask_app.config.get("RATELIMIT_ENABLED"))
    if limiter.enabled:
        limiter.reset()
    with flask_app.app_context():
        if request.node.get_closest_marker("real_commits"):
            _empty_tables()
            try:
                yield flask_app
                _fail_on_violations()
            finally:
                db.session.remove()
                _empty_tables()
                db.session.remove()
        else:
            with _rolled_back():
                yield flask_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_jobs(app):
    """Run every job waiting in the app's queue, in this process (the memory queue of the test config)."""
    from tracker.jobs import queue

    def run() -> int:
        return queue.drain(app)

    queue.state(app).huey.flush()  # nothing left from an earlier test
    return run


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
    """Sign in through the sign-in form (for the tests of signing in)."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.data[:500]
    return response


def sign_in_client(client, user):
    """A sign-in session as the form starts one (the cookie names it by its secret), for any app's test client."""
    timeouts = sessions.Timeouts.from_config(client.application.config)
    _session, secret = sessions.start(user, "127.0.0.1", "tests", timeouts)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = secret
        session["_fresh"] = True
    return client


@pytest.fixture
def login_as(client):
    """Sign a user in by putting them in the session cookie, as a completed sign-in does (the sign-in form
    itself is tested in tests/web/test_auth.py)."""

    def _login(user, password: str | None = None):
        if password is not None:
            return login(client, user, password)
        sign_in_client(client, user)
        return None

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
            # Transaction control is not a query (the test transaction adds savepoints that production does not).
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "PRAGMA")):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return _count


def _on_postgresql() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")


def pytest_runtest_setup(item):
    """`postgres` tests (real concurrent requests: SQLite has no row locks to race on) need TEST_DATABASE_URL to be
    PostgreSQL. A developer's SQLite run skips them; CI deselects them in its SQLite pass (-m 'not postgres') and
    runs them in its PostgreSQL pass, so meeting one on SQLite in CI fails rather than skips."""
    if item.get_closest_marker("postgres") and not _on_postgresql():
        reason = "needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://..."
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: deselect it with -m 'not postgres' on SQLite)", pytrace=False)
        pytest.skip(reason)


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
