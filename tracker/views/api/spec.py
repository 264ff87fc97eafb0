"""Request validation and the OpenAPI 3.1 document of /api/v1, both from the models in tracker/schemas.

Why spectree: it decorates the views of ordinary Flask blueprints (the app factory builds a plain `Flask`; APIFlask
and flask-openapi3 each need their own Flask and blueprint classes), validates query strings and JSON bodies with
pydantic v2 models and builds the OpenAPI 3.1 document from the same models. Its documentation pages load
Swagger UI and ReDoc from a CDN: none is served (no page templates, and the SpecTree is never registered on the
app, which would add them); /api/v1/docs renders the document with a local template instead.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from ...schemas.common import Error
from ..errors import api_error

ERRORS = {
    400: "A query parameter is malformed or out of range; or, signed in by session, a change without X-CSRFToken",
    401: "Not signed in and no valid bearer token",
    403: "The caller's role may not do this, or the caller must first choose a new password (on the web pages)",
    404: "Not found, or not visible to the caller",
    409: "Not possible now",
    422: "The body is malformed, or asks for something that can not be done",
    429: "Too many requests in a short time",
}

DESCRIPTION = (
    "Courses, progress, quiz attempts, certificates, teams, assignments, the audit log, and the AI-literacy "
    "programme: AI systems, training requirements, policies and their acknowledgements, coverage. Authenticate with a "
    "personal token, `Authorization: Bearer trk_...`, created on the account page, or with the browser session "
    "(send the X-CSRFToken header on writes). Errors have one shape: "
    '`{"error": {"code", "title", "message", "fields"}}`; `fields` names each input at fault. '
    "Times are ISO 8601 in UTC."
)


def _field_problems(exc: ValidationError) -> list[dict[str, str]]:
    problems = []
    for item in exc.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"]
        if item["type"] == "value_error":  # our own validators' words, without pydantic's "Value error, "
            message = str(item.get("ctx", {}).get("error", message))
        problems.append({"field": field, "message": message})
    return problems


def _refuse_invalid(req, resp, req_validation_error, instance, model_adapter) -> None:
    """Turn spectree's validation result into the API's error envelope (400 query, 422 body)."""
    declared = spec.get_function_metadata(current_app.view_functions[request.endpoint])
    if declared is None:
        return
    # Spectree validates `{}` in place of a missing body, null, [] or 0; only an object is a body.
    body_expected = declared.json is not None and (request.get_data() or _DECLARED[declared.operation_id].body_required)
    if body_expected and not isinstance(request.get_json(silent=True), dict):
        _refuse_without_body()
    if req_validation_error is not None:
        problems = _field_problems(req_validation_error)
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        if declared.json is None:  # no body declared: the query string was at fault
            abort(api_error(400, summary, title="Invalid query parameter", fields=problems))
        abort(api_error(422, summary, title="Invalid request body", fields=problems))
    if declared.json is not None and getattr(getattr(req, "context", None), "json", None) is None:
        _refuse_without_body()  # spectree reads a form-encoded body as a form, not as JSON: nothing to validate


def _refuse_without_body() -> None:
    message = "Send a JSON body (Content-Type: application/json)."
    abort(api_error(422, message, title="Invalid request body", fields=[{"field": "body", "message": message}]))


def _answer_must_match(req, resp, resp_validation_error, instance, model_adapter) -> None:
    """An answer that does not match its own model is a bug: raised, so the app logs it and answers with the
    usual 500 (spectree's own 500 would show the validation details)."""
    if resp_validation_error is not None:
        raise resp_validation_error


spec = SpecTree(
    "flask",
    mode="strict",  # only the operations declared below: the rest of the app is not API
    title="tracker API",
    version="1.0.0",
    description=DESCRIPTION,
    page_templates={},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_model=Error,
    before=_refuse_invalid,
    after=_answer_must_match,
    security_schemes=[
        SecurityScheme(name="bearerAuth", data=SecuritySchemeData(type="http", scheme="bearer")),
        SecurityScheme(name="sessionCookie", data=SecuritySchemeData(type="apiKey", field_in="cookie", name="session")),
    ],
    security=[{"bearerAuth": []}, {"sessionCookie": []}],
)


class _Declared:
    def __init__(self, codes: set[int], content: dict[int, dict] | None, body_required: bool) -> None:
        self.codes, self.content, self.body_required = codes, content or {}, body_required


_DECLARED: dict[str, _Declared] = {}  # operationId -> the answers it declares


def operation(
    operation_id: str,
    ok: dict[int, tuple[type[BaseModel] | None, str]],
    *,
    errors: tuple[int, ...] = (),
    query: type[BaseModel] | None = None,
    json: type[BaseModel] | None = None,
    body_required: bool = True,
    public: bool = False,
    content: dict[int, dict] | None = None,
) -> Callable:
    """Declare one API operation: its success answers, the errors it may give, its query or body model.

    401 and 403 are added unless `public`, 400 with a query model, 422 with a body model. A body may be left out
    only if not `body_required` (then it reads as `{}`). `content` replaces the declared content of an answer that
    is not JSON (the reference page's HTML)."""
    # Every signed-in call may meet 401 and, while a one-time password must be replaced, 403.
    codes = set(errors) | ({400} if query else set()) | ({422} if json else set()) | (set() if public else {401, 403})
    _DECLARED[operation_id] = _Declared(set(ok) | codes, content, body_required)
    answers: dict[str, Any] = {f"HTTP_{code}": (model, text) if model else text for code, (model, text) in ok.items()}
    no_model = [key for key, value in answers.items() if isinstance(value, str)]
    for key in no_model:
        answers.pop(key)
    answers.update({f"HTTP_{code}": (Error, ERRORS[code]) for code in sorted(codes)})
    return spec.validate(
        query=query,
        json=json,
        resp=Response(*no_model, **answers),
        operation_id=operation_id,
        security={} if public else None,
        # Spectree documents its validation error under this code; `document()` drops it where not declared.
        validation_error_status=400 if query else 422,
        # An answer without a model (the document, the reference page) is not JSON to validate.
        skip_validation=query is None and json is None and all(model is None for model, _ in ok.values()),
    )


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document, for the server at `server_url`."""
    doc = copy.deepcopy(spec.spec)
    for item in doc["paths"].values():
        for op in item.values():
            declared = _DECLARED[op["operationId"]]
            op["responses"] = {code: v for code, v in op["responses"].items() if int(code) in declared.codes}
            for code, content in declared.content.items():
                op["responses"][str(code)]["content"] = content
            if "requestBody" in op:
                op["requestBody"]["required"] = declared.body_required
            for key in ("tags", "description", "parameters"):
                if not op.get(key):
                    op.pop(key, None)
            for parameter in op.get("parameters", []):
                if not parameter.get("description"):
                    parameter.pop("description", None)
                if parameter["schema"].get("default", 0) is None:  # absent, not null: a query string has no null
                    parameter["schema"].pop("default")
    if not doc.get("tags"):
        doc.pop("tags", None)
    # Query models become parameters; only the schemas something refers to are listed.
    schemas = doc["components"]["schemas"]
    text = json.dumps({"paths": doc["paths"], "schemas": schemas})
    for name in [n for n in schemas if f'"#/components/schemas/{n}"' not in text]:
        del schemas[name]
    doc["servers"] = [{"url": server_url}]
    return doc
