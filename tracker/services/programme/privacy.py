"""Privacy settings agreed with the works council, pseudonyms for exports, and the retention schedule.

- Managers see status only, or status and score.
- Team views of fewer than N people show totals only (aggregate-only mode).
- Exports name people by a pseudonym instead of name and email.
- Attempt details (the questions served and the answers given) are removed after N months; the attempt's number,
  dates, score and result stay, and so does the completion record.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update

from ...enums import ManagerVisibility
from ...extensions import db
from ...models import Attempt, PrivacySettings, User, utcnow
from .. import FieldError, audit
from ..certification.status import add_months


@dataclass(frozen=True)
class Settings:
    manager_visibility: ManagerVisibility = ManagerVisibility.STATUS_AND_SCORE
    aggregate_min_people: int = 0  # 0: off
    pseudonymise_exports: bool = False
    attempt_retention_months: int | None = None  # None: kept
    updated_at: datetime | None = None

    @property
    def managers_see_scores(self) -> bool:
        return self.manager_visibility == ManagerVisibility.STATUS_AND_SCORE

    def aggregate_only(self, people: int) -> bool:
        """Whether a team view of `people` people shows totals only."""
        return 0 < people < self.aggregate_min_people

    def as_details(self) -> dict:
        return {
            "manager_visibility": self.manager_visibility.value,
            "aggregate_min_people": self.aggregate_min_people,
            "pseudonymise_exports": self.pseudonymise_exports,
            "attempt_retention_months": self.attempt_retention_months,
        }


def settings() -> Settings:
    """The organisation's settings (the defaults until an admin saves them): one query."""
    row = db.session.get(PrivacySettings, 1)
    if row is None:
        return Settings()
    return Settings(
        ManagerVisibility(row.manager_visibility),
        row.aggregate_min_people,
        row.pseudonymise_exports,
        row.attempt_retention_months,
        row.updated_at,
    )


def save(actor: User | None, new: Settings, now: datetime | None = None) -> dict:
    """Store the settings; returns what changed (audited)."""
    if not 0 <= new.aggregate_min_people <= 1000:
        raise FieldError("aggregate_min_people", _("Enter a number from 0 (off) to 1000."))
    if new.attempt_retention_months is not None and not 1 <= new.attempt_retention_months <= 240:
        raise FieldError("attempt_retention_months", _("Enter a number of months from 1 to 240, or leave it empty."))
    before = settings().as_details()
    row = db.session.get(PrivacySettings, 1)
    if row is None:
        row = PrivacySettings(id=1)
        db.session.add(row)
    row.manager_visibility = new.manager_visibility.value
    row.aggregate_min_people = new.aggregate_min_people
    row.pseudonymise_exports = new.pseudonymise_exports
    row.attempt_retention_months = new.attempt_retention_months
    row.updated_at = now or utcnow()
    row.updated_by_id = actor.id if actor else None
    after = new.as_details()
    changes = {key: {"old": before[key], "new": after[key]} for key in after if before[key] != after[key]}
    if changes:
        audit.record("privacy.settings_changed", actor=actor, target_type="privacy_settings", details=changes)
    db.session.flush()
    return changes


def pseudonym(user_id: int, secret: str | None = None) -> str:
    """A stable pseudonym for a person in exports: the same person gets the same one in every export, and only
    someone holding the app's secret key can link it back to an account."""
    if secret is None:
        secret = current_app.config["SECRET_KEY"] if has_app_context() else ""
    digest = hmac.new(f"pseudonym:{secret}".encode(), str(user_id).encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:10].upper()}"


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime | None
    anonymised: int


def apply_retention(now: datetime | None = None, months: int | None = None) -> RetentionResult:
    """Remove the questions and answers of attempts submitted more than `months` months ago (default: the
    setting; nothing happens when retention is off). Score, result, number and dates stay; completions and
    certificates are untouched. One UPDATE; running it again changes nothing. The caller commits."""
    now = now or utcnow()
    months = months if months is not None else settings().attempt_retention_months
    if months is None:
        return RetentionResult(None, 0)
    cutoff = add_months(now, -months)
    result = db.session.execute(
        update(Attempt)
        .where(
            and_(Attempt.submitted_at.is_not(None), Attempt.submitted_at < cutoff, Attempt.details_removed_at.is_(None))
        )
        .values(served=[], answers=None, results=None, details_removed_at=now)
        .execution_options(synchronize_session=False)
    )
    anonymised = result.rowcount or 0
    if anonymised:
        audit.record(
            "privacy.attempt_details_removed",
            target_type="attempt",
            details={"cutoff": cutoff.isoformat(), "attempts": anonymised, "months": months},
        )
    db.session.flush()
    return RetentionResult(cutoff, anonymised)


def pending_retention(now: datetime | None = None) -> int:
    """How many attempts the next run would anonymise (for the settings page)."""
    months = settings().attempt_retention_months
    if months is None:
        return 0
    cutoff = add_months(now or utcnow(), -months)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(
                Attempt.submitted_at.is_not(None), Attempt.submitted_at < cutoff, Attempt.details_removed_at.is_(None)
            )
        )
        or 0
    )
