"""Health check for load balancers."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
