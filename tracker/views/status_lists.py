"""The public revocation list (W3C Bitstring Status List credential) that every Open Badges credential points at."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..services.certification import status_list

bp = Blueprint("status_lists", __name__, url_prefix="/credentials/status")

# Data Integrity-secured credentials are `application/vc`; plainer JSON types for clients that ask for them.
MEDIA_TYPES = ("application/vc", "application/ld+json", "application/json")


@bp.route("/revocation")
def revocation():
    published = status_list.published()
    mimetype = request.accept_mimetypes.best_match(MEDIA_TYPES, default=MEDIA_TYPES[0])
    response = Response(published.body, mimetype=mimetype)
    response.set_etag(published.etag)
    # Anyone may cache it, but must ask again each time: a revocation shows at once.
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers in a browser fetch it from other sites
    response.vary.add("Accept")
    return response.make_conditional(request)
