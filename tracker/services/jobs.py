"""Background jobs as rows: submitted here (handed to the queue when the transaction commits), claimed once by a
consumer, with progress, errors, retries and result files. The queue itself (Huey) is in `tracker/jobs`.

A job is claimed by a conditional UPDATE, so the same job handed to the queue twice (a lost hand-over re-sent by
the sweep, two consumers) still runs once at a time, and work named by a `unique_key` is submitted only once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..enums import JobStatus
from ..extensions import db
from ..models import Job, User, utcnow
from . import DomainError
from .paging import Page, paginate

# Job ids to hand to the queue once the session's transaction commits (see tracker/jobs/queue.py).
PENDING_KEY = "tracker.jobs.pending"
ERROR_MAX = 2000
STALE_RUNNING = timedelta(hours=2)  # a consumer that died mid-job leaves it "running"; run it again after this
LOST_HANDOVER = timedelta(minutes=2)  # a queued job not picked up by then is handed to the queue again


def _hand_over_after_commit(job_id: int) -> None:
    db.session.info.setdefault(PENDING_KEY, []).append(job_id)


def submit(
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    requested_by: User | None = None,
    unique_key: str | None = None,
    max_attempts: int | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Record a job, handed to the queue when the caller commits. With a `unique_key` that exists already
    (another scheduler was first), returns None and adds nothing."""
    now = now or utcnow()
    job = Job(
        kind=kind,
        params=params or {},
        unique_key=unique_key,
        status=JobStatus.QUEUED.value,
        requested_by_id=requested_by.id if requested_by is not None else None,
        max_attempts=max_attempts or int(current_app.config["JOBS_RETRIES"]) + 1,
        created_at=now,
        queued_at=now,
    )
    if unique_key is not None:
        if db.session.scalar(select(Job.id).where(Job.unique_key == unique_key)) is not None:
            return None
        try:
            with db.session.begin_nested():
                db.session.add(job)
        except IntegrityError:  # submitted by another scheduler between the look and the insert
            return None
    else:
        db.session.add(job)
        db.session.flush()
    _hand_over_after_commit(job.id)
    return job


def claim(job_id: int, now: datetime | None = None) -> Job | None:
    """Mark the job running if it is waiting to run (queued or retrying); None when it is not (done, failed,
    already running elsewhere, or gone)."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_((JobStatus.QUEUED.value, JobStatus.RETRYING.value)))
        .values(status=JobStatus.RUNNING.value, attempts=Job.attempts + 1, started_at=now, error=None)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        return None
    job = db.session.get(Job, job_id, populate_existing=True)
    return job


def finish(job: Job, summary: str | None = None, now: datetime | None = None) -> None:
    job.status = JobStatus.DONE.value
    job.finished_at = now or utcnow()
    job.progress_done = max(job.progress_done, job.progress_total)
    if summary is not None:
        job.summary = summary
    db.session.flush()


def record_failure(job_id: int, error: str, *, will_retry: bool, now: datetime | None = None) -> None:
    """After a failed run (in a fresh transaction): retrying while tries remain, else failed with the reason."""
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
        .values(
            status=(JobStatus.RETRYING if will_retry else JobStatus.FAILED).value,
            error=error[:ERROR_MAX],
            finished_at=None if will_retry else (now or utcnow()),
        )
        .execution_options(synchronize_session=False)
    )


def retry(job: Job, actor: User, now: datetime | None = None) -> None:
    """An admin runs a failed job again."""
    if job.status != JobStatus.FAILED.value:
        raise DomainError(_("Only a failed job can be run again."))
    job.status = JobStatus.QUEUED.value
    job.queued_at = now or utcnow()
    job.finished_at = None
    job.max_attempts = job.attempts + 1
    db.session.flush()
    _hand_over_after_commit(job.id)
    from . import audit

    audit.record("job.retried", actor=actor, target_type="job", target_id=job.id, details={"kind": job.kind})


def lost(now: datetime | None = None) -> list[int]:
    """Jobs to hand to the queue again: queued but not picked up for a while (the hand-over after the commit was
    lost), or left running by a consumer that died. Each is marked re-queued now."""
    now = now or utcnow()
    stale = list(
        db.session.scalars(
            select(Job.id).where(
                ((Job.status == JobStatus.QUEUED.value) & (Job.queued_at < now - LOST_HANDOVER))
                | ((Job.status == JobStatus.RUNNING.value) & (Job.started_at < now - STALE_RUNNING))
            )
        )
    )
    if stale:
        db.session.execute(
            update(Job)
            .where(Job.id.in_(stale))
            .values(status=JobStatus.QUEUED.value, queued_at=now)
            .execution_options(synchronize_session=False)
        )
        for job_id in stale:
            _hand_over_after_commit(job_id)
    return stale


# --- result files ------------------------------------------------------------------------------------------------


def files_dir() -> Path:
    folder = Path(current_app.config["JOB_FILES_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_result_path(job: Job, extension: str) -> Path:
    # An unguessable name: the folder may be shared by hosts, and the name is never shown.
    return files_dir() / f"job-{job.id}-{secrets.token_hex(8)}.{extension}"


def attach_result(job: Job, path: Path, name: str, mimetype: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    job.result_path = str(path)
    job.result_name = name
    job.result_mimetype = mimetype
    job.result_size = path.stat().st_size
    job.expires_at = now + timedelta(hours=float(current_app.config["JOB_FILE_HOURS"]))


def result_available(job: Job, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        job.status == JobStatus.DONE.value
        and job.result_path is not None
        and (job.expires_at is None or job.expires_at > now)
        and Path(job.result_path).is_file()
    )


def remove_expired_files(now: datetime | None = None) -> int:
    """Delete the files of jobs past their keeping time. Returns how many were removed."""
    now = now or utcnow()
    removed = 0
    for job in db.session.scalars(select(Job).where(Job.result_path.is_not(None), Job.expires_at <= now)):
        Path(job.result_path).unlink(missing_ok=True)
        job.result_path = None
        removed += 1
    db.session.flush()
    return removed


# --- listing -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobCounts:
    queued: int
    running: int
    retrying: int
    failed: int


def counts() -> JobCounts:
    by_status = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    return JobCounts(
        queued=by_status.get(JobStatus.QUEUED.value, 0),
        running=by_status.get(JobStatus.RUNNING.value, 0),
        retrying=by_status.get(JobStatus.RETRYING.value, 0),
        failed=by_status.get(JobStatus.FAILED.value, 0),
    )


def list_jobs(status: str | None, page: int, per_page: int = 50) -> Page[Job]:
    query = select(Job).order_by(Job.id.desc())
    if status:
        query = query.where(Job.status == status)
    return paginate(query, page, per_page)


def requester_of(job: Job) -> User | None:
    if job.requested_by_id is None:
        return None
    return db.session.scalar(select(User).options(joinedload(User.team)).where(User.id == job.requested_by_id))
