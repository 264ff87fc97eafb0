"""The issuer's public key, at stable URLs: a did:web DID document and a JWKS."""

from __future__ import annotations

from flask import Blueprint

from ..certificates import signing
from ..extensions import issuing

bp = Blueprint("well_known", __name__, url_prefix="/.well-known")


@bp.route("/did.json")
def did_document():
    issuer = issuing.current
    return signing.did_document(issuer.did, issuer.key), 200, {"Content-Type": "application/did+json"}


@bp.route("/jwks.json")
def jwks():
    issuer = issuing.current
    return signing.jwks(issuer.key, issuer.did)
