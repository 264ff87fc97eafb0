"""Scheduled notifications: the daily reminders and the weekly digest, each run once (its job has a unique key)."""

from __future__ import annotations

from datetime import datetime

from ..models import Job
from ..services import mail, notifications
from . import handler


def _now(job: Job) -> datetime | None:
    raw = job.params.get("now")
    return datetime.fromisoformat(raw) if raw else None


@handler("notifications.daily")
def daily(job: Job) -> None:
    run = notifications.run_daily(_now(job))
    mail.submit_delivery(run.message_ids)
    job.summary = f"{run.recorded} messages ({', '.join(f'{k} {n}' for k, n in sorted(run.by_kind.items())) or '-'})"


@handler("notifications.digest")
def digest(job: Job) -> None:
    run = notifications.run_weekly_digest(_now(job))
    mail.submit_delivery(run.message_ids)
    job.summary = f"{run.recorded} digests"
