"""API v1 for certificates: the holder's own, and public verification by code."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user

from ...extensions import limiter
from ...schemas import certificates as schemas
from ...services.certification import listing, verification
from ...services.certification.status import pending
from ..errors import api_error
from ..verify import verify_limit
from .spec import operation

bp = Blueprint("certificates", __name__)


@bp.route("/verify/<code>")
@limiter.limit(verify_limit)
@operation(
    "verifyCertificate",
    {200: (schemas.CertificateRecord, "The certificate's public record")},
    errors=(404, 429),
    public=True,
)
def verify(code: str):
    """Verify a certificate by its code (public, rate limited)"""
    cert = verification.find_by_code(code)
    if cert is None:
        return api_error(404, "No certificate has this code.")
    return schemas.CertificateRecord(**verification.public_record(cert))


@bp.route("/certificates")
@operation("listCertificates", {200: (schemas.CertificateList, "The caller's current certificates")})
def mine():
    """The caller's current certificates"""
    return schemas.CertificateList(
        certificates=[
            schemas.OwnCertificate(
                **verification.public_record(cert),
                pdf_url=None if pending(cert) else url_for("certificates.pdf", code=cert.code, _external=True),
                credential_url=(
                    None if pending(cert) else url_for("certificates.credential", code=cert.code, _external=True)
                ),
                verify_url=url_for("verify.show", code=cert.code, _external=True),
            )
            for cert in listing.of_learner(current_user.id)
        ]
    )
