"""Verifying certificates: look-up by code, checking a PDF file, and the public record anyone may see."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...models import Certificate
from .codes import normalise_code
from .status import status

CODE_PATTERN = re.compile(rb"[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}")


def find_by_code(text: str) -> Certificate | None:
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


# A PDF ends with %%EOF and an optional end-of-line; an incremental update appends after it.
EOF_PATTERN = re.compile(rb"%%EOF(?:\r\n|\r|\n)?")
MAX_PREFIXES = 32  # a certificate PDF has one or two; a file with many more is not one of ours


@dataclass(frozen=True)
class FileCheck:
    outcome: str  # "match" | "superseded" | "extended" | "altered" | "unknown"
    certificate: Certificate | None = None
    current: Certificate | None = None
    claimed_code: str | None = None


def check_pdf(data: bytes) -> FileCheck:
    """Is this exactly a PDF we issued? Compared by SHA-256, so one changed byte is a mismatch.

    "extended": the file starts with exactly an issued PDF and has more appended (a PDF incremental update), as
    the status-stamped copies admins download of revoked or superseded certificates do. What the additions show
    is not vouched for; the certificate's record is."""
    digest = hashlib.sha256(data).hexdigest()
    cert = db.session.scalar(select(Certificate).where(Certificate.pdf_sha256 == digest))
    if cert is not None:
        if cert.superseded_at is None:
            return FileCheck("match", cert, cert)
        return FileCheck("superseded", cert, latest_revision(cert))
    ends = sorted({end for m in EOF_PATTERN.finditer(data) for end in (m.start() + 5, m.end()) if end < len(data)})
    prefix_digests = [hashlib.sha256(data[:end]).hexdigest() for end in ends[:MAX_PREFIXES]]
    if prefix_digests:
        cert = db.session.scalar(select(Certificate).where(Certificate.pdf_sha256.in_(prefix_digests)).limit(1))
        if cert is not None:
            return FileCheck("extended", cert, latest_revision(cert))
    match = CODE_PATTERN.search(data)
    claimed = match.group(0).decode() if match else None
    claimed_cert = find_by_code(claimed) if claimed else None
    if claimed_cert is not None:
        return FileCheck("altered", claimed_cert, None, claimed)
    return FileCheck("unknown", None, None, claimed)


def latest_revision(cert: Certificate) -> Certificate:
    current = cert
    while current.superseded_by is not None:
        current = current.superseded_by
    return current


def public_record(cert: Certificate, now: datetime | None = None) -> dict:
    """What anyone may learn about a certificate from its code: no email or other personal data."""
    state = status(cert, now)
    record = {
        "code": cert.code,
        "status": state.value,
        "status_label": state.label,
        "learner_name": cert.learner_name,
        "course_title": cert.course_title,
        "course_version": cert.course_version,
        "score": cert.score,
        "issued_at": cert.issued_at.isoformat(),
        "expires_at": cert.expires_at.isoformat() if cert.expires_at else None,
        "revision": cert.revision,
        "issuer": cert.organisation_name,
        "language": cert.language,
        "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
        "revoked_reason": cert.revoked_public_reason,  # the public wording only; the internal reason stays inside
        "superseded_by": latest_revision(cert).code if cert.superseded_at else None,
    }
    return record
