"""OpenAPI paths and schemas of the manager API: teams, a team's matrix, assignments."""

from __future__ import annotations

from typing import Any

from .parts import json_response as _json
from .parts import ref as _ref

_ERRORS = {
    "401": _json(_ref("Error"), "Not signed in and no valid bearer token"),
    "403": _json(_ref("Error"), "Only managers and admins"),
}
_ID = {"name": "team_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_STATUS = {"type": "string", "enum": ["overdue", "expired", "expiring", "in_progress", "not_started", "completed"]}

SCHEMAS: dict[str, Any] = {
    "Team": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "parent_id": {"type": ["integer", "null"]},
            "manager": {"type": ["string", "null"], "description": "the manager's email"},
            "members": {"type": "integer"},
        },
    },
    "Matrix": {
        "type": "object",
        "description": "People x courses for a team and the teams below it. Dates are ISO 8601 in UTC.",
        "properties": {
            "team": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "generated_at": {"type": "string", "format": "date-time"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total_people": {"type": "integer"},
            "courses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"}},
                },
            },
            "people": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                        "team": {"type": ["string", "null"]},
                        "job_role": {"type": ["string", "null"]},
                        "cells": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "course_id": {"type": "integer"},
                                    "status": _STATUS,
                                    "assigned": {"type": "boolean"},
                                    "due_on": _NULLABLE_DATE,
                                    "percent": {"type": "integer"},
                                    "score": {"type": ["integer", "null"]},
                                    "completed_at": _NULLABLE_TIME,
                                    "certificate_code": {"type": ["string", "null"]},
                                    "certificate_expires_at": _NULLABLE_TIME,
                                },
                            },
                        },
                    },
                },
            },
            "totals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "course_id": {"type": "integer"},
                        "assigned": {"type": "integer"},
                        "completed": {"type": "integer"},
                        "completion_rate": {"type": "integer"},
                        "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
            },
        },
    },
    "Assignment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "course": {"type": ["string", "null"]},
            "path": {"type": ["string", "null"]},
            "team_id": {"type": ["integer", "null"]},
            "user_email": {"type": ["string", "null"]},
            "job_role": {"type": ["string", "null"]},
            "due_on": {"type": "string", "format": "date"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "NewAssignment": {
        "type": "object",
        "required": ["due_on"],
        "description": "Exactly one of course/path and exactly one of team_id/user_email/job_role (job_role: admins).",
        "properties": {
            "course": {"type": "string"},
            "path": {"type": "string"},
            "team_id": {"type": "integer"},
            "user_email": {"type": "string"},
            "job_role": {"type": "string"},
            "due_on": {"type": "string", "format": "date"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/teams": {
        "get": {
            "summary": "Teams the caller manages (admins: all)",
            "operationId": "listTeams",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"teams": {"type": "array", "items": _ref("Team")}}}, "Teams"
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/teams/{team_id}/matrix": {
        "get": {
            "summary": "The people x courses matrix of a team and the teams below it",
            "operationId": "getTeamMatrix",
            "parameters": [_ID]
            + [
                {"name": name, "in": "query", "required": False, "schema": schema}
                for name, schema in (
                    ("course", {"type": "integer"}),
                    ("status", _STATUS),
                    ("sort", {"type": "string", "enum": ["name", "team", "completion", "overdue"]}),
                    ("page", {"type": "integer", "minimum": 1}),
                    ("per_page", {"type": "integer", "minimum": 1, "maximum": 500}),
                )
            ],
            "responses": {
                "200": _json(_ref("Matrix"), "The matrix"),
                "404": _json(_ref("Error"), "No such team, or not one of the caller's"),
                **_ERRORS,
            },
        }
    },
    "/api/v1/assignments": {
        "get": {
            "summary": "Assignments the caller may manage",
            "operationId": "listAssignments",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"assignments": {"type": "array", "items": _ref("Assignment")}}},
                    "Assignments",
                ),
                **_ERRORS,
            },
        },
        "post": {
            "summary": "Assign a course or a learning path (the same assignment again only moves its due date)",
            "operationId": "createAssignment",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewAssignment")}}},
            "responses": {
                "201": _json(_ref("Assignment"), "Created"),
                "200": _json(_ref("Assignment"), "Existed already; due date updated"),
                "422": _json(_ref("Error"), "Invalid assignment"),
                **_ERRORS,
            },
        },
    },
    "/api/v1/assignments/{assignment_id}": {
        "delete": {
            "summary": "Remove an assignment (progress and certificates are kept)",
            "operationId": "deleteAssignment",
            "parameters": [{"name": "assignment_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "Removed"}, "404": _json(_ref("Error"), "Not found"), **_ERRORS},
        }
    },
}
