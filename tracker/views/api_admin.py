"""API v1 endpoints for managers and admins: the audit log. Routes are added to the main API blueprint."""

from __future__ import annotations

from .api import bp  # noqa: F401  (routes below register on the shared /api/v1 blueprint)
