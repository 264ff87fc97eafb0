"""API v1 for certificates: the holder's own, and public verification by code."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user

from ...extensions import limiter
from ...services.certification import listing, verification
from ..verify import verify_limit

bp = Blueprint("certificates", __name__)


@bp.route("/verify/<code>")
@limiter.limit(verify_limit)
def verify(code: str):
    cert = verification.find_by_code(code)
    if cert is None:
        return {"error": {"code": 404, "title": "Not found", "message": "No certificate has this code."}}, 404
    return verification.public_record(cert)


@bp.route("/certificates")
def mine():
    rows = listing.of_learner(current_user.id)
    return {
        "certificates": [
            {
                **verification.public_record(cert),
                "pdf_url": url_for("certificates.pdf", code=cert.code, _external=True) if cert.pdf_sha256 else None,
                "credential_url": (
                    url_for("certificates.credential", code=cert.code, _external=True) if cert.pdf_sha256 else None
                ),
                "verify_url": url_for("verify.show", code=cert.code, _external=True),
            }
            for cert in rows
        ]
    }
