"""OpenAPI paths and schemas of the programme API: AI systems, requirements, acknowledgements, coverage (merged
into /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from ....enums import CoverageStatus, OrganisationRole, RiskClass, SystemStatus
from .parts import error_response as _error
from .parts import json_response as _json
from .parts import ref as _ref


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_SYSTEM_ID = _path("system_id", {"type": "integer"})
_REQUIREMENT_ID = _path("requirement_id", {"type": "integer"})
_POLICY_SLUG = _path("policy_slug", {"type": "string"})
_COMMON = {"401": _error("Not signed in and no valid bearer token")}
_ADMIN = {**_COMMON, "403": _error("The caller is not an administrator")}
_MANAGERS = {**_COMMON, "403": _error("The caller is neither a manager of a team nor an administrator")}
_STATUS_COUNTS = {
    "type": "object",
    "description": "people by coverage status",
    "additionalProperties": {"type": "integer"},
    "propertyNames": {"enum": [s.value for s in CoverageStatus]},
}

SCHEMAS: dict[str, Any] = {
    "AISystemInput": {
        "type": "object",
        "description": "On PATCH, fields left out keep their values.",
        "properties": {
            "name": {"type": "string", "maxLength": 120},
            "vendor": {"type": "string", "maxLength": 120},
            "organisation_role": {"type": "string", "enum": [r.value for r in OrganisationRole]},
            "purpose": {"type": "string"},
            "risk_class": {
                "type": "string",
                "enum": [r.value for r in RiskClass],
                "description": "The class the organisation recorded under the AI Act",
            },
            "risk_note": {"type": "string"},
            "owner_email": {"type": ["string", "null"], "format": "email"},
            "data_classes": {"type": "array", "items": {"type": "string"}},
            "status": {
                "type": "string",
                "enum": [s.value for s in SystemStatus],
                "description": "retired ends the assignments that followed from the system's requirements",
            },
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["url"],
                    "properties": {"url": {"type": "string", "format": "uri"}, "label": {"type": "string"}},
                },
            },
            "team_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "teams that use the system (with the teams below them)",
            },
            "job_roles": {"type": "array", "items": {"type": "string"}},
        },
    },
    "AISystem": {
        "allOf": [
            _ref("AISystemInput"),
            {
                "type": "object",
                "required": ["id", "name", "risk_class", "status"],
                "properties": {
                    "id": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "history": {
                        "type": "array",
                        "description": "every change, newest first (detail only)",
                        "items": {
                            "type": "object",
                            "properties": {
                                "at": {"type": "string", "format": "date-time"},
                                "actor_email": {"type": ["string", "null"]},
                                "action": {"type": "string", "enum": ["created", "updated", "retired"]},
                                "changes": {"type": "object", "description": "field -> {old, new}"},
                            },
                        },
                    },
                },
            },
        ]
    },
    "Requirement": {
        "type": "object",
        "required": ["id", "item", "due_days"],
        "properties": {
            "id": {"type": "integer"},
            "ai_system_id": {"type": ["integer", "null"]},
            "job_role": {"type": ["string", "null"]},
            "item": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["course", "path", "policy"]},
                    "slug": {"type": "string"},
                    "title": {"type": "string"},
                },
            },
            "due_days": {"type": "integer", "description": "days from the start of use to complete"},
            "people_assigned": {"type": ["integer", "null"], "description": "automatic assignments (courses, paths)"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "RequirementInput": {
        "type": "object",
        "required": ["item"],
        "description": "An AI system, a job role, or both (the holders of the role who use the system).",
        "properties": {
            "item": {"type": "string", "examples": ["course:3", "path:1", "policy:2"]},
            "ai_system_id": {"type": ["integer", "null"]},
            "job_role": {"type": ["string", "null"]},
            "due_days": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 30},
        },
    },
    "PolicyStatus": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "current_version": {"type": "integer"},
            "published_at": {"type": "string", "format": "date-time"},
            "text_sha256": {"type": "string"},
            "check_question": {"type": ["string", "null"]},
            "check_choices": {"type": "array", "items": {"type": "string"}},
            "acknowledged_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "when the caller acknowledged the current version",
            },
            "needs_acknowledgement": {"type": "boolean"},
        },
    },
    "Acknowledgement": {
        "type": "object",
        "description": "An immutable record.",
        "properties": {
            "policy": {"type": "string"},
            "version": {"type": "integer"},
            "acknowledged_at": {"type": "string", "format": "date-time"},
            "channel": {"type": "string", "enum": ["web", "api"]},
            "text_sha256": {"type": "string"},
            "check_passed": {"type": ["boolean", "null"]},
        },
    },
    "Coverage": {
        "type": "object",
        "properties": {
            "generated_at": {"type": "string", "format": "date-time"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total_people": {"type": "integer"},
            "aggregate_only": {
                "type": "boolean",
                "description": "true when the privacy settings hide individual people",
            },
            "ai_systems": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "risk_class": {"type": "string", "enum": [r.value for r in RiskClass]},
                        "users": {"type": "integer"},
                        "by_status": _STATUS_COUNTS,
                    },
                },
            },
            "job_roles": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "job_role": {"type": ["string", "null"]},
                        "people": {"type": "integer"},
                        "by_status": _STATUS_COUNTS,
                    },
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
                                    "ai_system_id": {
                                        "type": ["integer", "null"],
                                        "description": "null: the job role's own requirements",
                                    },
                                    "status": {"type": "string", "enum": [s.value for s in CoverageStatus]},
                                    "missing": {"type": "array", "items": {"type": "string"}},
                                    "expiring": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/ai-systems": {
        "get": {
            "summary": "The inventory of AI systems (managers and admins)",
            "operationId": "listAISystems",
            "parameters": [
                _query("include_retired", "false leaves retired systems out", {"type": "boolean", "default": True})
            ],
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"ai_systems": {"type": "array", "items": _ref("AISystem")}}},
                    "The systems",
                ),
                **_MANAGERS,
            },
        },
        "post": {
            "summary": "Add an AI system (admins); its requirements assign training at once",
            "operationId": "createAISystem",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AISystemInput")}}},
            "responses": {
                "201": _json(_ref("AISystem"), "The system with its history"),
                "422": _error("A field is missing or invalid (the error names it)"),
                **_ADMIN,
            },
        },
    },
    "/api/v1/ai-systems/{system_id}": {
        "get": {
            "summary": "One AI system with the history of its changes (admins)",
            "operationId": "getAISystem",
            "parameters": [_SYSTEM_ID],
            "responses": {
                "200": _json(_ref("AISystem"), "The system"),
                "404": _error("No such system, or the caller is not an administrator"),
                **_COMMON,
            },
        },
        "patch": {
            "summary": "Change an AI system (admins); status retired ends the assignments that followed from it",
            "operationId": "updateAISystem",
            "parameters": [_SYSTEM_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AISystemInput")}}},
            "responses": {
                "200": _json(_ref("AISystem"), "The system"),
                "404": _error("No such system, or the caller is not an administrator"),
                "422": _error("A field is invalid"),
                **_COMMON,
            },
        },
    },
    "/api/v1/requirements": {
        "get": {
            "summary": "Training requirements per AI system and/or job role (admins)",
            "operationId": "listRequirements",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"requirements": {"type": "array", "items": _ref("Requirement")}}},
                    "The requirements",
                ),
                **_ADMIN,
            },
        },
        "post": {
            "summary": "Add a requirement (admins); assignments follow for everyone it reaches",
            "operationId": "createRequirement",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("RequirementInput")}}},
            "responses": {
                "201": _json(_ref("Requirement"), "The requirement"),
                "422": _error("Invalid, or the same requirement exists"),
                **_ADMIN,
            },
        },
    },
    "/api/v1/requirements/{requirement_id}": {
        "delete": {
            "summary": "Remove a requirement and the assignments that followed from it (admins)",
            "operationId": "deleteRequirement",
            "parameters": [_REQUIREMENT_ID],
            "responses": {
                "204": {"description": "Removed"},
                "404": _error("No such requirement, or the caller is not an administrator"),
                **_COMMON,
            },
        }
    },
    "/api/v1/policies": {
        "get": {
            "summary": "Every policy's current version and whether the caller acknowledged it",
            "operationId": "listPolicies",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"policies": {"type": "array", "items": _ref("PolicyStatus")}}},
                    "Policies",
                ),
                **_COMMON,
            },
        }
    },
    "/api/v1/policies/{policy_slug}/acknowledgements": {
        "post": {
            "summary": "Acknowledge a policy version (the current one unless `version` is given)",
            "description": "Acknowledging the same version again returns the first record (200).",
            "operationId": "acknowledgePolicy",
            "parameters": [_POLICY_SLUG],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "version": {"type": "integer"},
                                "answer": {
                                    "type": "integer",
                                    "description": "index of the chosen answer to the check question",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(_ref("Acknowledgement"), "Recorded"),
                "200": _json(_ref("Acknowledgement"), "Already recorded"),
                "404": _error("No such policy or version"),
                "409": _error("A newer version exists"),
                "422": _error("The answer to the check question is not right"),
                **_COMMON,
            },
        },
        "get": {
            "summary": "Who acknowledged a version (managers: their teams; admins: everyone)",
            "operationId": "listPolicyAcknowledgements",
            "parameters": [_POLICY_SLUG, _query("version", "Version number (default: current)", {"type": "integer"})],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "policy": {"type": "string"},
                            "version": {"type": "integer"},
                            "acknowledgements": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "email": {"type": "string"},
                                        "team": {"type": ["string", "null"]},
                                        "acknowledged_at": {"type": "string", "format": "date-time"},
                                        "channel": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                    "Acknowledgements",
                ),
                "404": _error("No such policy or version"),
                **_MANAGERS,
            },
        },
    },
    "/api/v1/acknowledgements": {
        "get": {
            "summary": "The caller's own acknowledgements, newest first",
            "operationId": "listMyAcknowledgements",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"acknowledgements": {"type": "array", "items": _ref("Acknowledgement")}},
                    },
                    "Acknowledgements",
                ),
                **_COMMON,
            },
        }
    },
    "/api/v1/coverage": {
        "get": {
            "summary": "AI systems x people: who is trained and has acknowledged, per system and job role",
            "description": "Managers see their teams (totals only below the privacy settings' minimum); admins "
            'everyone. status=missing with system=ID answers "who uses this system without current training".',
            "operationId": "getCoverage",
            "parameters": [
                _query("system", "AI system id", {"type": "integer"}),
                _query("team", "A team and the teams below it", {"type": "integer"}),
                _query(
                    "status",
                    "Only people with a cell in this status",
                    {"type": "string", "enum": [s.value for s in CoverageStatus]},
                ),
                _query("page", "Page number", {"type": "integer", "minimum": 1, "default": 1}),
                _query("per_page", "Page size", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
            ],
            "responses": {
                "200": _json(_ref("Coverage"), "The coverage"),
                "404": _error("The team is not visible to the caller"),
                **_MANAGERS,
            },
        }
    },
}
