"""The minute tick (run by every consumer's scheduler; safe to run on several at once): submit the day's and the
week's work under unique keys, announce recent events, hand over jobs whose hand-over was lost, and delete
export files past their keeping time."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ..models import utcnow
from ..services import jobs, mail, notifications


def tick(now: datetime | None = None) -> None:
    now = now or utcnow()
    config = current_app.config
    if now.hour >= int(config["NOTIFY_HOUR_UTC"]):
        day = now.date().isoformat()
        jobs.submit("notifications.daily", {"now": now.isoformat()}, unique_key=f"notifications.daily:{day}", now=now)
        if now.weekday() == int(config["DIGEST_WEEKDAY"]):
            year, week, _ = now.isocalendar()
            jobs.submit(
                "notifications.digest",
                {"now": now.isoformat()},
                unique_key=f"notifications.digest:{year}-W{week:02d}",
                now=now,
            )
    recent = notifications.scan_recent(now)
    mail.submit_delivery(recent.message_ids)
    jobs.lost(now)
    jobs.remove_expired_files(now)
