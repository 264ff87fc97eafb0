"""A live server for the race tests: the app on a loopback port, served by werkzeug with a thread per request, on
the test database (PostgreSQL). Requests fired at once from several client threads reach it as real concurrent
requests, each with its own database connection and transaction.

The test itself commits real rows (the `real_commits` marker) so that the server sees them, and reads the outcome
back through its own connection."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tracker import create_app
from tracker.extensions import db

from .. import factories
from ..conftest import make_config

REQUEST_TIMEOUT = 30  # seconds: a request stuck on a lock fails the test instead of hanging the run


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """One browser tab: a cookie jar and plain HTTP/1.1 requests (redirects are not followed)."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def tab(self) -> Client:
        """Another tab of the same browser: the same session cookie, its own connection."""
        return Client(self.host, self.port, dict(self.cookies))

    def request(self, method: str, path: str, *, form: dict | None = None, body: Any = None) -> Response:
        headers = {"Connection": "close"}
        payload = None
        if form is not None:
            payload = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=payload, headers=headers)
            raw = connection.getresponse()
            data = raw.read()
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict | None = None) -> Response:
        return self.request("POST", path, form=form or {})

    def post_json(self, path: str, body: Any) -> Response:
        return self.request("POST", path, body=body)


@dataclass
class LiveServer:
    host: str
    port: int

    def client(self) -> Client:
        return Client(self.host, self.port)

    def signed_in(self, user) -> Client:
        """A tab signed in through the sign-in form."""
        client = self.client()
        response = client.post("/login", {"email": user.email, "password": factories.PASSWORD})
        assert response.status == 302, response.text[:300]
        return client


class QuietHandler(WSGIRequestHandler):
    """Logs errors only: a line per racing request would bury the test's own report."""

    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory) -> Iterator[LiveServer]:
    """The app served on a free loopback port by a threaded werkzeug server, on the suite's database. Its own app
    and connection pool (large enough for every racing request to hold a connection at once)."""
    config = make_config(
        database_url,
        tmp_path_factory.mktemp("race-instance"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 15, "pool_timeout": REQUEST_TIMEOUT},
    )
    app = create_app(config)
    # Port 0: the OS picks a free port.
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="race-server", daemon=True)
    thread.start()
    try:
        yield LiveServer("127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def at_once(calls: Sequence[Callable[[], Response]]) -> list[Response]:
    """Run the calls in as many threads, released together by a barrier so their requests overlap; the responses
    in the order of the calls."""
    barrier = threading.Barrier(len(calls), timeout=REQUEST_TIMEOUT)

    def run(call: Callable[[], Response]) -> Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=2 * REQUEST_TIMEOUT) for future in futures]


# Tests marked `postgres` need PostgreSQL's row locks and concurrent writers: left out (deselected, not skipped)
# when the suite runs on SQLite; the PostgreSQL pass of CI runs them.
def pytest_collection_modifyitems(config, items):
    if os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
