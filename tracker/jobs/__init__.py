"""Background work: the queue (Huey), what each kind of job does, and the schedule.

Handlers are thin: they call services and report progress; `queue.execute` claims the job, commits once at the
end and records failures. Each handler module registers its kinds with `@handler`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models import Job

Handler = Callable[[Job], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


def progress(job: Job, done: int, total: int) -> None:
    """Show progress on the job's page: committed at once (work done so far is idempotent, and an export only
    reads), which also ends the read transaction that would keep SQLite from writing it."""
    from ..extensions import db

    job.progress_done, job.progress_total = done, total
    db.session.commit()


def load_handlers() -> None:
    from . import exports, mail, notifications  # noqa: F401  (each registers its kinds)
