"""OpenAPI paths and schemas of the audit-log API (merged into /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

PATHS: dict[str, Any] = {}
SCHEMAS: dict[str, Any] = {}
