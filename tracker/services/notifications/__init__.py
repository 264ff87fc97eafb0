"""Notifications: what to tell whom, on which day. Every message is recorded under a key naming its event, so
running the schedule twice, or on two consumers at once, sends nothing twice. `now` is passed in everywhere."""

from .daily import DailyRun, run_daily
from .digest import run_weekly_digest
from .events import scan_recent

__all__ = ["DailyRun", "run_daily", "run_weekly_digest", "scan_recent"]
