"""Team administration: the hierarchy of departments and teams, and their managers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_teams", __name__, url_prefix="/admin/teams")
