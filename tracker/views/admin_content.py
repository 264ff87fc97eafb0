"""Content administration: upload or edit a course file, preview it, publish a new version."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_content", __name__, url_prefix="/admin/content")
