"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from . import admin as api_docs_admin
from . import manage as api_docs_manage
from . import programme as api_docs_programme
from .parts import json_response as _json
from .parts import ref as _ref

_ERRORS = {
    "401": _json(_ref("Error"), "Not signed in and no valid bearer token"),
    "404": _json(_ref("Error"), "Not found, or not visible to the caller"),
}

_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_MODULE = {"name": "module_slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ATTEMPT = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer"}}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "title", "message"],
                "properties": {
                    "code": {"type": "integer"},
                    "title": {"type": "string"},
                    "message": {"type": "string"},
                    "missing": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "email", "display_name", "role"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "format": "email"},
            "display_name": {"type": "string"},
            "role": {"type": "string", "enum": ["learner", "manager", "admin"]},
            "team": {"type": ["string", "null"]},
            "job_role": {"type": ["string", "null"]},
            "timezone": {"type": "string"},
        },
    },
    "Course": {
        "type": "object",
        "required": ["slug", "title", "version", "modules"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "audience": {"type": "string"},
            "estimated_minutes": {"type": "integer"},
            "version": {"type": "integer"},
            "facts_checked": {"type": ["string", "null"], "format": "date"},
            "url": {"type": "string"},
            "modules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "lessons": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"slug": {"type": "string"}, "title": {"type": "string"}},
                            },
                        },
                        "quiz": {
                            "type": ["object", "null"],
                            "properties": {
                                "pass_mark": {"type": "integer"},
                                "questions_per_attempt": {"type": "integer"},
                                "max_attempts": {"type": ["integer", "null"]},
                                "cooldown_minutes": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        },
    },
    "CourseProgress": {
        "type": "object",
        "required": ["course", "percent", "modules"],
        "properties": {
            "course": {"type": "string"},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "modules_completed": {"type": "integer"},
            "modules_total": {"type": "integer"},
            "completed_at": {"type": ["string", "null"], "format": "date-time"},
            "completed_version": {"type": ["integer", "null"]},
            "modules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "lessons_read": {"type": "integer"},
                        "lessons_total": {"type": "integer"},
                        "quiz_passed": {"type": "boolean"},
                        "best_score": {"type": ["integer", "null"]},
                        "status": {"type": "string", "enum": ["not started", "in progress", "complete"]},
                    },
                },
            },
        },
    },
    "Attempt": {
        "type": "object",
        "description": "While open, questions carry no answers; once submitted, each has the correct choices, "
        "the selection, whether it was right and an explanation.",
        "required": ["id", "status", "questions"],
        "properties": {
            "id": {"type": "integer"},
            "course": {"type": "string"},
            "module": {"type": "string"},
            "number": {"type": "integer"},
            "course_version": {"type": "integer"},
            "pass_mark": {"type": "integer"},
            "status": {"type": "string", "enum": ["open", "submitted"]},
            "started_at": {"type": "string", "format": "date-time"},
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
            "score": {"type": "integer"},
            "passed": {"type": "boolean"},
            "correct": {"type": "integer"},
            "total": {"type": "integer"},
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "kind", "prompt", "choices"],
                    "properties": {
                        "key": {"type": "string"},
                        "kind": {"type": "string", "enum": ["single", "multiple", "true_false"]},
                        "prompt": {"type": "string"},
                        "choices": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "string"},
                                    "text": {"type": "string"},
                                    "correct": {"type": "boolean"},
                                },
                            },
                        },
                        "selected": {"type": "array", "items": {"type": "string"}},
                        "correct": {"type": "boolean"},
                        "explanation": {"type": "string"},
                    },
                },
            },
        },
    },
    "CertificateRecord": {
        "type": "object",
        "description": "What anyone may learn from a certificate code: no email or other personal data.",
        "required": ["code", "status", "learner_name", "course_title", "course_version", "issued_at", "issuer"],
        "properties": {
            "code": {"type": "string"},
            "status": {"type": "string", "enum": ["valid", "expiring", "expired", "revoked", "superseded", "pending"]},
            "status_label": {"type": "string"},
            "learner_name": {"type": "string"},
            "course_title": {"type": "string"},
            "course_version": {"type": "integer"},
            "score": {"type": ["integer", "null"]},
            "issued_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "revision": {"type": "integer"},
            "issuer": {"type": "string"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
            "revoked_reason": {"type": ["string", "null"]},
            "superseded_by": {"type": ["string", "null"], "description": "code of the current revision"},
        },
    },
    "Answers": {
        "type": "object",
        "required": ["answers"],
        "properties": {
            "answers": {
                "type": "object",
                "description": "question key -> selected choice ids",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }
        },
    },
}

_PATHS: dict[str, Any] = {
    "/api/v1/me": {
        "get": {
            "summary": "The caller's profile",
            "operationId": "getMe",
            "responses": {"200": _json(_ref("Me"), "The profile"), **_ERRORS},
        }
    },
    "/api/v1/courses": {
        "get": {
            "summary": "Published courses with their modules",
            "operationId": "listCourses",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"courses": {"type": "array", "items": _ref("Course")}}},
                    "The courses",
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/courses/{slug}": {
        "get": {
            "summary": "One course with its modules",
            "operationId": "getCourse",
            "parameters": [_SLUG],
            "responses": {"200": _json(_ref("Course"), "The course"), **_ERRORS},
        }
    },
    "/api/v1/progress": {
        "get": {
            "summary": "The caller's progress in every course",
            "operationId": "getProgress",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"progress": {"type": "array", "items": _ref("CourseProgress")}}},
                    "Progress",
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/courses/{slug}/modules/{module_slug}/attempts": {
        "post": {
            "summary": "Start a quiz attempt, or get the one already open",
            "description": "Returns the served questions without their answers.",
            "operationId": "startAttempt",
            "parameters": [_SLUG, _MODULE],
            "responses": {
                "201": _json(_ref("Attempt"), "The open attempt"),
                "409": _json(_ref("Error"), "No attempt can be started now (attempts used, cooldown)"),
                **_ERRORS,
            },
        }
    },
    "/api/v1/attempts/{attempt_id}": {
        "get": {
            "summary": "An attempt: open, or its result and review",
            "operationId": "getAttempt",
            "parameters": [_ATTEMPT],
            "responses": {"200": _json(_ref("Attempt"), "The attempt"), **_ERRORS},
        }
    },
    "/api/v1/attempts/{attempt_id}/submit": {
        "post": {
            "summary": "Submit answers; a second submit of the same attempt returns the first result",
            "operationId": "submitAttempt",
            "parameters": [_ATTEMPT],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Answers")}}},
            "responses": {
                "200": _json(_ref("Attempt"), "Score, pass/fail and per-question feedback"),
                "422": _json(_ref("Error"), "Unanswered questions or a malformed body"),
                **_ERRORS,
            },
        }
    },
    "/api/v1/verify/{code}": {
        "get": {
            "summary": "Verify a certificate by its code (public, rate limited)",
            "operationId": "verifyCertificate",
            "security": [],
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _json(_ref("CertificateRecord"), "The certificate's public record"),
                "404": _json(_ref("Error"), "No certificate has this code"),
                "429": _json(_ref("Error"), "Too many look-ups"),
            },
        }
    },
    "/api/v1/certificates": {
        "get": {
            "summary": "The caller's current certificates",
            "operationId": "listCertificates",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "certificates": {
                                "type": "array",
                                "items": {
                                    "allOf": [
                                        _ref("CertificateRecord"),
                                        {
                                            "type": "object",
                                            "properties": {
                                                "pdf_url": {"type": ["string", "null"]},
                                                "credential_url": {"type": ["string", "null"]},
                                                "verify_url": {"type": "string"},
                                            },
                                        },
                                    ]
                                },
                            }
                        },
                    },
                    "Certificates",
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "operationId": "getOpenApi",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        }
    },
}


def openapi_document(server_url: str) -> dict[str, Any]:

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tracker API",
            "version": "1.0.0",
            "description": "Courses, progress and quiz attempts. Authenticate with the browser session (send the "
            "X-CSRFToken header on writes) or a personal token: `Authorization: Bearer trk_...`, "
            "created on the account page.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                **_SCHEMAS,
                **api_docs_manage.SCHEMAS,
                **api_docs_admin.SCHEMAS,
                **api_docs_programme.SCHEMAS,
            },
        },
        "paths": {**_PATHS, **api_docs_manage.PATHS, **api_docs_admin.PATHS, **api_docs_programme.PATHS},
    }


bp = Blueprint("docs", __name__)


@bp.route("/openapi.json")
def openapi():
    return openapi_document(request.host_url.rstrip("/"))
