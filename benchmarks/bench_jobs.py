"""Background jobs: the XLSX export of 5,000 x 20 and 50,000 x 20 as a job (time and peak memory of the process
running it), and the daily reminders for 50,000 learners (time, SQL queries, messages recorded)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select

from tracker import create_app
from tracker.demo import large
from tracker.extensions import db
from tracker.models import Assignment, Job, utcnow
from tracker.services import jobs, notifications

SIZES = [int(n) for n in os.environ.get("BENCH_JOB_LEARNERS", "5000,50000").split(",")]


def _app(workdir: Path):
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir),
            "SECRET_KEY": "b" * 40,
            "JOBS_BACKEND": "memory",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app, url


def _export_job(app, workdir: Path, url: str) -> tuple[float, float, int]:
    """Seconds, peak resident MB of the process that ran the job, file size."""
    with app.app_context():
        job = jobs.submit("export.matrix_xlsx", {"scope": None, "filters": {}})
        db.session.commit()
        job_id = job.id
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benchmarks.run_job", str(workdir), url, str(job_id)], check=True)  # noqa: S603
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with app.app_context():
        done = db.session.get(Job, job_id)
        assert done.status == "done", (done.status, done.error)
        size = done.result_size or 0
    # ru_maxrss is the largest child so far: a later, larger run raises it; an earlier one bounds it from below.
    return seconds, max(peak, before) / 1024, size


def run() -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app, url = _app(workdir)
        have = 0
        for learners in SIZES:
            with app.app_context():
                large.load_large(learners - have, 20)
                db.session.commit()
            have = learners
            seconds, peak_mb, size = _export_job(app, workdir, url)
            lines.append(
                f"XLSX export job of {learners:,} x 20 ({learners * 20:,} rows): {seconds:.1f} s, "
                f"peak memory of the job's process {peak_mb:.0f} MB, file {size / 1_048_576:.1f} MB"
            )
        with app.app_context():
            due = db.session.scalar(select(func.min(Assignment.due_on)))
            now = utcnow().replace(year=due.year, month=due.month, day=due.day, hour=7) - timedelta(days=7)
            statements = []

            def count(*_args):
                statements.append(1)

            event.listen(db.engine, "before_cursor_execute", count)
            started = time.perf_counter()
            result = notifications.run_daily(now)
            db.session.commit()
            seconds = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", count)
            lines.append(
                f"daily reminders for {have:,} learners: {seconds:.1f} s, {len(statements)} SQL queries, "
                f"{result.recorded:,} messages recorded ({', '.join(f'{k} {n:,}' for k, n in result.by_kind.items())})"
            )
            started = time.perf_counter()
            again = notifications.run_daily(now)
            lines.append(
                f"the same day again: {time.perf_counter() - started:.1f} s, {again.recorded} messages (none twice)"
            )
            db.engine.dispose()
    return lines
