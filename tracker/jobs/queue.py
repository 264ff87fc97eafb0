"""The queue: a Huey instance per app (SQLite file by default, Redis when configured, memory in tests), the one
task that runs any job by id, the minute tick that schedules work, the hand-over of submitted jobs after commit,
and the consumer.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..services import jobs as job_service
from . import HANDLERS, load_handlers

log = logging.getLogger(__name__)
EXTENSION_KEY = "tracker.jobs"


@dataclass
class QueueState:
    huey: Huey
    run_job: TaskWrapper
    tick: TaskWrapper


def build_huey(config) -> Huey:
    backend = config["JOBS_BACKEND"]
    name = config["JOBS_QUEUE_NAME"]
    if backend == "redis":
        return RedisHuey(name, url=config["JOBS_REDIS_URL"], results=False)
    if backend == "memory":
        return MemoryHuey(name, results=False)
    if backend == "sqlite":
        return SqliteHuey(name, filename=config["JOBS_SQLITE_PATH"], results=False)
    raise RuntimeError(f"JOBS_BACKEND must be sqlite, redis or memory, not {backend!r}")


def init_app(app: Flask) -> None:
    load_handlers()
    # Built on first use: making the app opens no queue (a SQLite queue file would be created at once).
    app.extensions[EXTENSION_KEY] = None


def _build_state(app: Flask) -> QueueState:
    if app.config["JOBS_BACKEND"] == "sqlite":
        Path(app.config["JOBS_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    huey = build_huey(app.config)
    retries = int(app.config["JOBS_RETRIES"])

    def run_job(job_id: int, task=None) -> None:
        execute(app, job_id, retries_left=task.retries if task is not None else 0)

    def tick(now: str | None = None) -> None:
        from .schedule import tick as scheduled

        with app.app_context():
            try:
                scheduled(datetime.fromisoformat(now) if now else None)
                db.session.commit()
            finally:
                db.session.remove()

    return QueueState(
        huey=huey,
        # Retried with backoff: JOBS_RETRY_DELAY seconds, then twice as long each time.
        run_job=huey.task(
            retries=retries,
            retry_delay=int(app.config["JOBS_RETRY_DELAY"]),
            retry_backoff=2,
            context=True,
            name="tracker.run_job",
        )(run_job),
        tick=huey.periodic_task(crontab(minute="*"), name="tracker.tick")(tick),
    )


_BUILD_LOCK = threading.Lock()


def state(app: Flask | None = None) -> QueueState:
    app = app or current_app._get_current_object()
    if app.extensions.get(EXTENSION_KEY) is None:
        with _BUILD_LOCK:
            if app.extensions.get(EXTENSION_KEY) is None:
                app.extensions[EXTENSION_KEY] = _build_state(app)
    return app.extensions[EXTENSION_KEY]


def execute(app: Flask, job_id: int, retries_left: int = 0) -> None:
    """Run one job: claim it (nothing happens when it is not waiting to run), call its handler, commit once. A
    failure rolls back the handler's work, records the reason and raises, so the queue retries it while tries
    remain."""
    with app.app_context():
        try:
            job = job_service.claim(job_id)
            db.session.commit()
            if job is None:
                return
            try:
                HANDLERS[job.kind](job)
                job_service.finish(job)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                reason = "".join(traceback.format_exception_only(exc)).strip()
                job_service.record_failure(job_id, reason, will_retry=retries_left > 0)
                db.session.commit()
                log.warning("job %s (%s) failed: %s", job_id, job.kind, reason)
                raise
        finally:
            db.session.remove()


def enqueue(job_ids: list[int], app: Flask | None = None) -> None:
    queue = state(app)
    for job_id in job_ids:
        queue.run_job(job_id)


@event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    # Jobs go to the queue only once their rows are committed, so a consumer never looks for a job not yet there.
    pending = session.info.pop(job_service.PENDING_KEY, None)
    if not pending or not has_app_context():
        return
    try:
        enqueue(pending)
    except Exception:  # the queue is unreachable: the minute tick hands queued jobs over again
        log.exception("could not hand jobs %s to the queue; the sweep will", pending)


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(job_service.PENDING_KEY, None)


def run_consumer(app: Flask, workers: int = 2, periodic: bool = True) -> None:
    """A consumer in the foreground (`flask jobs-worker`): worker threads and, unless switched off, the scheduler
    of the minute tick. Stops on Ctrl-C (SIGINT, waiting for running jobs) or SIGTERM."""
    consumer = state(app).huey.create_consumer(workers=workers, periodic=periodic, worker_type="thread")
    consumer.run()


def drain(app: Flask) -> int:
    """Run every job waiting in the queue now, in this process (tests and `flask jobs-run-pending`). Returns how
    many queue tasks ran."""
    huey = state(app).huey
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran
