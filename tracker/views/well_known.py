"""The issuer's public key, at stable URLs: a did:web DID document and a JWKS."""

from __future__ import annotations

from flask import Blueprint

from ..certificates import signing
from ..services import certification

bp = Blueprint("well_known", __name__, url_prefix="/.well-known")


@bp.route("/did.json")
def did_document():
    issuer = certification.issuer()
    return signing.did_document(issuer.did, issuer.key), 200, {"Content-Type": "application/did+json"}


@bp.route("/jwks.json")
def jwks():
    issuer = certification.issuer()
    return signing.jwks(issuer.key, issuer.did)
