"""Check every answer of the JSON API against its OpenAPI document: the status is declared for the operation, and
the body matches the declared schema (JSON Schema 2020-12, formats included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from flask import Flask, request, request_finished
from jsonschema import Draft202012Validator

from tracker.views.api.spec import document


def openapi_path(rule: str) -> str:
    """/api/v1/attempts/<int(min=1, max=...):attempt_id> -> /api/v1/attempts/{attempt_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def problems_with(doc: dict, path: str, method: str, status: int, content_type: str, body) -> list[str]:
    """What is wrong with one answer, according to the document (nothing: an empty list)."""
    operation = doc["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return [f"{method} {path} is not in the document"]
    answer = operation["responses"].get(str(status))
    if answer is None:
        return [f"{method} {path}: status {status} is not declared ({sorted(operation['responses'])})"]
    media = content_type.split(";")[0].strip()
    declared = answer.get("content", {})
    if not declared:
        return [] if not body else [f"{method} {path} {status}: a body where none is declared"]
    if media not in declared:
        return [f"{method} {path} {status}: {media} is not declared ({sorted(declared)})"]
    if media != "application/json":
        return []
    schema = {**declared[media]["schema"], "components": doc["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{method} {path} {status}: {error.json_path}: {error.message}" for error in validator.iter_errors(body)]


@cache
def _document() -> dict:
    return document("http://localhost")


@contextmanager
def api_answers_checked(app: Flask) -> Iterator[list[str]]:
    """Within the block, every answer of the API blueprint (to the test client or any other) is checked;
    the problems found are collected and asserted at the end (an assertion inside a request would become a 500)."""
    found: list[str] = []

    def check(sender, response, **extra):
        if "api" not in request.blueprints or request.method in ("HEAD", "OPTIONS"):
            return  # not an operation of the API: a page, an unknown address or method, a route a test added
        doc = _document()
        body = response.get_json(silent=True) if response.is_json else response.get_data(as_text=True)
        found.extend(
            problems_with(
                doc,
                openapi_path(request.url_rule.rule),
                request.method,
                response.status_code,
                response.content_type,
                body,
            )
        )

    request_finished.connect(check, app)
    try:
        yield found
    finally:
        request_finished.disconnect(check, app)
    assert not found, "answers that do not match the OpenAPI document:\n" + "\n".join(found)
