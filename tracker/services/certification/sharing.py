"""Sharing a certificate: its public verification address and LinkedIn's "Add to profile" link for it."""

from __future__ import annotations

from urllib.parse import urlencode

from ...enums import CertificateStatus
from ...extensions import issuing
from ...models import Certificate
from .status import status

# LinkedIn's Add to Profile address for a certification: the member's browser opens the "Add license or
# certification" form filled in from these parameters; nothing is sent to LinkedIn by the app itself.
LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
SHAREABLE = (CertificateStatus.VALID, CertificateStatus.EXPIRING)


def verify_url(cert: Certificate) -> str:
    return issuing.current.verify_url(cert.code)


def linkedin_add_url(cert: Certificate) -> str | None:
    """The Add to Profile link of a current certificate (None for one that is revoked, expired, superseded or still
    being prepared: nobody should be invited to show those). The credential URL is the public verification page."""
    if status(cert) not in SHAREABLE:
        return None
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": cert.course_title,
        "organizationName": cert.organisation_name,
        "issueYear": cert.issued_at.year,
        "issueMonth": cert.issued_at.month,
    }
    if cert.expires_at is not None:
        params.update(expirationYear=cert.expires_at.year, expirationMonth=cert.expires_at.month)
    params.update(certUrl=verify_url(cert), certId=cert.code)
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params)}"
