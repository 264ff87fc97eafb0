"""The API's own description: the OpenAPI document (/api/v1/openapi.json) and its reference page (/api/v1/docs),
both generated from the models in tracker/schemas. The page is plain HTML from a template: no script, no CDN."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ...i18n import BABEL_LOCALES, LANGUAGES, SESSION_KEY, default_language, language_for, language_of
from .spec import document, operation

bp = Blueprint("docs", __name__)

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@bp.route("/openapi.json")
@operation(
    "getOpenApi",
    {200: (None, "OpenAPI 3.1 document")},
    public=True,
    content={200: {"application/json": {"schema": {"type": "object"}}}},
)
def openapi():
    """This document"""
    return document(request.host_url.rstrip("/"))


@bp.route("/docs")
@operation(
    "getApiReference",
    {200: (None, "This document as a web page")},
    public=True,
    content={200: {"text/html": {"schema": {"type": "string"}}}},
)
def reference():
    """This document as a web page"""
    doc = document(request.host_url.rstrip("/"))
    operations = [
        {"method": method.upper(), "path": path, "anchor": op["operationId"], **op}
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]
    # The API answers in English; this page is read by people, in their own language.
    language = _reader_language()
    with force_locale(BABEL_LOCALES.get(language, language)):
        return render_template(
            "api/reference.html",
            doc=doc,
            operations=operations,
            schemas=dict(sorted(doc["components"]["schemas"].items())),
            describe=describe,
            constraints=constraints,
        )


def _reader_language() -> str:
    if current_user.is_authenticated:
        return language_for(current_user)
    chosen = language_of(session.get(SESSION_KEY))
    return chosen or request.accept_languages.best_match(list(LANGUAGES)) or default_language()


# --- a JSON schema in words -----------------------------------------------------------------------------------------
# No library renders an OpenAPI document to HTML without JavaScript; these two helpers name a schema's type and its
# bounds for the template. A part is (text, name of the schema it links to, or None).

Part = tuple[str, str | None]


def describe(schema: dict[str, Any]) -> list[Part]:
    """A schema's type in the usual notation (integer, Course[], {string: integer}, string | null), as parts: every
    named schema is a link. JSON's own type names are code, not words to translate."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [(name, name)]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            parts: list[Part] = []
            for index, option in enumerate(schema[key]):
                if index:
                    parts.append((" | ", None))
                parts.extend(describe(option))
            return parts
    kind = schema.get("type")
    if isinstance(kind, list):
        return [(" | ".join(str(k) for k in kind), None)]
    if kind == "array":
        return [*describe(schema.get("items", {})), ("[]", None)]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return [("{string: ", None), *describe(schema["additionalProperties"]), ("}", None)]
    if "const" in schema:
        return [(f'"{schema["const"]}"', None)]
    text = str(kind or ("string" if "enum" in schema else "any"))
    if schema.get("format"):
        text += f" ({schema['format']})"
    return [(text, None)]


def constraints(schema: dict[str, Any]) -> list[str]:
    """The bounds a value must keep, in words."""
    found: list[str] = []
    if "enum" in schema:
        found.append(_("one of: %(values)s", values=", ".join(str(v) for v in schema["enum"])))
    if "minimum" in schema and "maximum" in schema:
        found.append(_("from %(low)s to %(high)s", low=schema["minimum"], high=schema["maximum"]))
    elif "minimum" in schema:
        found.append(_("at least %(low)s", low=schema["minimum"]))
    elif "maximum" in schema:
        found.append(_("at most %(high)s", high=schema["maximum"]))
    if "maxLength" in schema:
        found.append(_("at most %(count)s characters", count=schema["maxLength"]))
    if "maxItems" in schema or "maxProperties" in schema:
        found.append(_("at most %(count)s entries", count=schema.get("maxItems", schema.get("maxProperties"))))
    if "default" in schema and schema["default"] is not None:
        found.append(_("default: %(value)s", value=schema["default"]))
    for option in schema.get("anyOf", []):
        found.extend(c for c in constraints(option) if c not in found)
    return found
