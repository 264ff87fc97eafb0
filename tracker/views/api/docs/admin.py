"""OpenAPI paths and schemas of the audit-log API (merged into /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from .parts import error_response as _error


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_MOMENT = {"type": "string", "description": "ISO 8601 date or date-time; without a time zone it is read as UTC"}

PATHS: dict[str, Any] = {
    "/api/v1/audit": {
        "get": {
            "summary": "The audit log, newest first (administrators only)",
            "description": "Who did what, when and from where. Entries are append-only. Times are UTC (ISO 8601).",
            "operationId": "listAuditEvents",
            "parameters": [
                _query("action", "Exact action, e.g. auth.signed_in", {"type": "string"}),
                _query("actor", "Part of the actor's email address (case-insensitive)", {"type": "string"}),
                _query("target_type", "Exact target type, e.g. certificate", {"type": "string"}),
                _query("target_id", "Exact target id", {"type": "string"}),
                _query("since", "Events at or after this moment", _MOMENT),
                _query("until", "Events before this moment (exclusive)", _MOMENT),
                _query("limit", "Page size", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
                _query("offset", "Events to skip", {"type": "integer", "minimum": 0, "default": 0}),
            ],
            "responses": {
                "200": {
                    "description": "One page of events and the number of all matching events",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditEventPage"}}},
                },
                "400": _error("A parameter could not be read"),
                "401": _error("Not signed in and no valid bearer token"),
                "403": _error("The caller is not an administrator"),
            },
        }
    },
}

SCHEMAS: dict[str, Any] = {
    "AuditEvent": {
        "type": "object",
        "required": ["id", "at", "action", "details"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time", "description": "UTC"},
            "actor_id": {"type": ["integer", "null"]},
            "actor_email": {"type": ["string", "null"], "description": "kept after the account is deleted"},
            "action": {"type": "string", "examples": ["auth.signed_in", "certificate.revoked"]},
            "target_type": {"type": ["string", "null"]},
            "target_id": {"type": ["string", "null"]},
            "details": {"type": "object", "additionalProperties": True},
            "ip_address": {"type": ["string", "null"]},
        },
    },
    "AuditEventPage": {
        "type": "object",
        "required": ["events", "total"],
        "properties": {
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}},
            "total": {"type": "integer", "description": "all events matching the filters"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    },
}
