"""Health check for load balancers: the database, and Redis when the app uses it (sign-in limits live there; a host
that cannot reach it can sign nobody in)."""

from __future__ import annotations

import redis
from flask import Blueprint, current_app
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)

REDIS_CLIENT_KEY = "tracker.health.redis"
TIMEOUT_SECONDS = 2


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return "unreachable"
    return "ok"


def _redis(url: str) -> str:
    client = current_app.extensions.get(REDIS_CLIENT_KEY)
    if client is None:  # one client (and connection pool) per app
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        current_app.extensions[REDIS_CLIENT_KEY] = client
    try:
        client.ping()
    except (redis.exceptions.RedisError, OSError):
        current_app.logger.exception("health check: Redis unreachable")
        return "unreachable"
    return "ok"


@bp.route("/healthz")
def healthz():
    checks = {"database": _database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis(current_app.config["REDIS_URL"])
    healthy = all(result == "ok" for result in checks.values())
    return {"status": "ok" if healthy else "unavailable", "checks": checks}, 200 if healthy else 503
