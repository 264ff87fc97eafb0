"""A certificate's status, and the one rule for expiry and the recertification window."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement

from ...enums import CertificateStatus
from ...models import Certificate, utcnow

# Recertification opens, and the certificate shows as expiring, this long before it expires.
EXPIRING_WINDOW = timedelta(days=30)


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_status(expires_at: datetime | None, now: datetime) -> CertificateStatus | None:
    """EXPIRED or EXPIRING for a certificate that expires at `expires_at`; None while it is comfortably valid."""
    if expires_at is None:
        return None
    if expires_at <= now:
        return CertificateStatus.EXPIRED
    if expires_at - now <= EXPIRING_WINDOW:
        return CertificateStatus.EXPIRING
    return None


def is_revoked() -> ColumnElement[bool]:
    """Revoked certificates, as the published status list marks them; `status()` reads the same column."""
    return Certificate.revoked_at.is_not(None)


def is_pending() -> ColumnElement[bool]:
    """Certificates waiting for an admin: their name cannot be printed (`pending_reason`), so they have no files.
    A certificate with no reason and no files yet is not pending: its files are made on first use
    (`issuing.ensure_files`), and its status follows its dates like any other. `pending()` is the same rule."""
    return Certificate.pending_reason.is_not(None)


def pending(cert: Certificate) -> bool:
    return cert.pending_reason is not None


class CertificateState(Protocol):
    """What a certificate's status is read from: a Certificate, or a row of these columns."""

    revoked_at: datetime | None
    superseded_at: datetime | None
    pending_reason: str | None
    expires_at: datetime | None


def status(cert: CertificateState, now: datetime | None = None) -> CertificateStatus:
    """The one status of a certificate that the verification page, the API, the CLI and the holder's pages show.
    Revocation is the column the published status list is built from (`is_revoked`), so the two never differ."""
    if cert.revoked_at is not None:
        return CertificateStatus.REVOKED
    if cert.superseded_at is not None:
        return CertificateStatus.SUPERSEDED
    if pending(cert):
        return CertificateStatus.PENDING
    return expiry_status(cert.expires_at, now or utcnow()) or CertificateStatus.VALID


def can_renew(cert: Certificate | None, now: datetime | None = None) -> bool:
    return cert is not None and status(cert, now) in (CertificateStatus.EXPIRING, CertificateStatus.EXPIRED)
