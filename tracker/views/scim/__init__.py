"""SCIM 2.0 provisioning at /scim/v2 for the organisation's identity provider (Entra ID, Okta, ...).

One route hands every request to scim2-server's handler, which routes it and answers in SCIM's own JSON, errors
included (`scimType`); this blueprint authenticates the bearer token, commits what succeeded, and turns anything
unexpected into a SCIM error too, never an HTML page. Cookies sign nobody in here, so there is no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from flask import Blueprint, Flask, Response, current_app, request, url_for
from scim2_models import NotFoundException, SCIMException, UnauthorizedException, UniquenessException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ...extensions import csrf, db
from ...services.identity import scim

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
csrf.exempt(bp)

EXTENSION_KEY = "tracker.scim"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UNSERVED = {"Me", "Bulk", ".search"}


@bp.record_once
def _build(state) -> None:
    app: Flask = state.app
    app.before_request(_unrouted)
    service = ScimService(scim.provider())
    storage = scim.PeopleStorage(department_as_team=bool(app.config["SCIM_DEPARTMENT_AS_TEAM"]))
    app.extensions[EXTENSION_KEY] = (service, ScimHandler(service, storage))


def _unrouted():
    """A path under /scim/v2 that no route takes (a line break in it...): a SCIM error, not the HTML 404 page."""
    unrouted = request.routing_exception
    if unrouted is None or getattr(unrouted, "code", None) not in (404, 405):
        return None
    if not request.path.startswith(bp.url_prefix + "/"):
        return None
    error = NotFoundException(detail="No SCIM endpoint here")
    error.status = unrouted.code
    return _response(_service().error_response(error))


def _service() -> ScimService:
    return current_app.extensions[EXTENSION_KEY][0]


def _authenticated() -> bool:
    """The organisation's SCIM token, compared in constant time; no token configured: SCIM is off."""
    expected = current_app.config.get("SCIM_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    scheme, _space, given = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not given.strip():
        return False
    digest = hashlib.sha256
    return hmac.compare_digest(digest(given.strip().encode()).digest(), digest(expected.encode()).digest())


def _body(path: str) -> bytes:
    """The request body, with what Entra ID and Okta document sending and scim2-models refuses made standard."""
    body = request.get_data(cache=False)
    if request.method not in ("POST", "PUT", "PATCH") or not body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body  # scim2-server answers with invalidSyntax
    if not isinstance(data, dict):
        return body
    if request.method == "PATCH":
        _patch_operations(data, own_id=path.rstrip("/").rsplit("/", 1)[-1])
    else:
        _known_schemas_only(data)
    return json.dumps(data).encode()


KNOWN_SCHEMAS = {
    "urn:ietf:params:scim:schemas:core:2.0:user",
    "urn:ietf:params:scim:schemas:core:2.0:group",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
}


def _known_schemas_only(data: dict) -> None:
    """Entra ID declares its own Group schema (…/ADSCIM/2.0/Group) with no attributes in it: left out, as
    RFC 7643 §3 lets a service provider ignore what it does not support."""
    schemas = data.get("schemas")
    if isinstance(schemas, list):
        unknown = [s for s in schemas if isinstance(s, str) and s.lower() not in KNOWN_SCHEMAS]
        data["schemas"] = [s for s in schemas if s not in unknown]
        for schema in unknown:
            data.pop(schema, None)


def _patch_operations(data: dict, own_id: str) -> None:
    operations = data.get("Operations")
    if not isinstance(operations, list):
        return
    standard = []
    for operation in operations:
        if not isinstance(operation, dict):
            standard.append(operation)
            continue
        op = str(operation.get("op", "")).lower()
        value = operation.get("value")
        path = operation.get("path")
        if op == "replace" and not path and isinstance(value, dict) and str(value.get("id")) == own_id:
            # Okta renames a group with its (read-only, unchanged) id in the value.
            value = {key: item for key, item in value.items() if key != "id"}
            standard.append({**operation, "value": value})
        elif op == "remove" and isinstance(path, str) and path.lower() == "members" and isinstance(value, list):
            # Entra ID names the members to remove in the value; RFC 7644 §3.5.2.2 puts them in the path.
            for member in value:
                member_id = member.get("value") if isinstance(member, dict) else None
                if member_id is not None:
                    quoted = json.dumps(str(member_id))
                    standard.append({"op": operation.get("op"), "path": f"members[value eq {quoted}]"})
        else:
            standard.append(operation)
    data["Operations"] = standard


def _response(scim_response: ScimResponse) -> Response:
    body = json.dumps(scim_response.body) if scim_response.body is not None else None
    return Response(body, status=int(scim_response.status), headers=scim_response.headers)


@bp.route("/", defaults={"path": ""}, methods=METHODS)
@bp.route("/<path:path>", methods=METHODS)
def dispatch(path: str):
    service, handler = current_app.extensions[EXTENSION_KEY]
    if not _authenticated():
        return _response(service.error_response(UnauthorizedException(detail="A valid bearer token is required")))
    scim_request = ScimRequest(
        method=request.method,
        base_url=url_for("scim.dispatch", path="", _external=True).rstrip("/"),
        path="/" + path,
        query=request.args.to_dict(),
        headers=list(request.headers.items()),
        body=_body(path),
    )
    if path.strip("/").split("/")[0] in UNSERVED or (not path.strip("/") and request.method == "GET"):
        # The token is the identity provider's, which has no user (/Me); bulk requests and searches at the root
        # are not offered (ServiceProviderConfig says so): not found here, rather than a 501.
        return _response(service.error_response(NotFoundException(detail="Not served here; use /Users or /Groups")))
    try:
        answer = handler.handle(scim_request)
    except SCIMException as exc:
        db.session.rollback()
        return _response(service.error_response(exc))
    except IntegrityError:  # the same userName or group name written by a concurrent request
        db.session.rollback()
        return _response(service.error_response(UniquenessException(detail="A resource with these values exists")))
    if int(answer.status) < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return _response(answer)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """A body over the size limit, a method not allowed...: in SCIM's words."""
    db.session.rollback()
    error = SCIMException(detail=exc.description)
    error.status = exc.code or 400
    return _response(_service().error_response(error))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("unexpected SCIM error on %s %s", request.method, request.path)
    return _response(_service().error_response(exc))
