"""Team matrix: SQL queries and time of the manager dashboard at 50 and 5,000 learners; CSV export of 5,000 x 20."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from tracker import create_app
from tracker.demo import large
from tracker.extensions import db
from tracker.models import Role
from tracker.services import accounts

REPEATS = 5
PASSWORD = "benchmark passphrase 2026"


def _app(workdir: Path):
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir),
            "SECRET_KEY": "b" * 40,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        accounts.create_user(accounts.NewUser("bench-admin@example.com", "Bench Admin", PASSWORD, Role.ADMIN.value))
        db.session.commit()
    return app


def _measure(app, client, url: str) -> tuple[int, float, int]:
    """Queries of one request, median seconds over REPEATS requests, response size."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    client.get(url).close()  # warm-up
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    _ = client.get(url).data
    event.remove(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(url)
        _ = response.data
        timings.append(time.perf_counter() - started)
    assert response.status_code == 200, response.status_code
    return len(statements), statistics.median(timings), len(response.data)


def _add_learners(app, count: int) -> float:
    started = time.perf_counter()
    with app.app_context():
        large.load_large(count, 20)
        db.session.commit()
    return time.perf_counter() - started


def run() -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        client = app.test_client()
        client.post("/login", data={"email": "bench-admin@example.com", "password": PASSWORD})
        results = {}
        for total, added in ((50, 50), (5000, 4950)):
            build = _add_learners(app, added)
            results[total] = _measure(app, client, "/manager/")
            queries, seconds, size = results[total]
            lines.append(
                f"dashboard at {total:>5} learners x 20 courses: {queries} SQL queries, "
                f"{seconds * 1000:.0f} ms per page (median of {REPEATS}), {size / 1024:.0f} KB HTML "
                f"(test data built in {build:.1f} s)"
            )
        (q_small, t_small, _), (q_large, t_large, _) = results[50], results[5000]
        lines.append(
            f"queries at 50 vs 5,000 learners: {q_small} vs {q_large} "
            f"({'the same' if q_small == q_large else 'DIFFERENT'})"
        )
        lines.append(f"time ratio 5,000 / 50 learners: {t_large / t_small:.1f}x for 100x the people")
        queries, seconds, size = _measure(app, client, "/manager/export.csv")
        lines.append(
            f"CSV export of 5,000 x 20 (100,000 rows): {seconds:.2f} s, {size / 1_048_576:.1f} MB, "
            f"{queries} SQL queries"
        )
        queries, seconds, size = _measure(app, client, "/manager/export.xlsx")
        lines.append(f"XLSX export of 5,000 x 20: {seconds:.2f} s, {size / 1_048_576:.1f} MB")
        with app.app_context():
            db.engine.dispose()  # the temporary folder goes with its database
    return lines
