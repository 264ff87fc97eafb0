"""Certificates in the API: the public record anyone may check by code, and the holder's own list."""

from __future__ import annotations

from pydantic import Field

from ..enums import CertificateStatus
from .common import Model, Timestamp


class CertificateRecord(Model):
    """What anyone may learn from a certificate code: no email or other personal data."""

    code: str
    status: CertificateStatus
    status_label: str
    learner_name: str
    course_title: str
    course_version: int
    score: int | None
    issued_at: Timestamp
    expires_at: Timestamp | None
    revision: int
    issuer: str
    language: str = Field(description="The language of the certificate's labels, dates and course title")
    revoked_at: Timestamp | None
    revoked_reason: str | None
    superseded_by: str | None = Field(description="The code of the current revision")


class OwnCertificate(CertificateRecord):
    pdf_url: str | None
    credential_url: str | None
    verify_url: str


class CertificateList(Model):
    certificates: list[OwnCertificate]
