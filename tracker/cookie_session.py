"""The session cookie: Flask's signed cookie, with its signing serializer made once per key."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions. Flask builds a new serializer (its signer, and a JSON round trip to check the
    payload serializer) to read the cookie on every request and again to write it; this keeps one per set of keys.
    A serializer holds no per-request state, and a changed secret key or fallback list makes a new one."""

    _cached: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]
