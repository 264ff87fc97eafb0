"""The audit log, for admins: filter and read who did what, when and from where."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
