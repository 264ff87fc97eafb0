"""Browser fixtures: the app served on a free localhost port, and headless Chromium via Playwright.

The server runs in a background thread with its own app and its own SQLite file, so it never shares an app
context (or a database session) with the test. Tests seed data through `live_server.app_context()`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tracker import create_app
from tracker.extensions import db

from ..conftest import IN_CI, make_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    """In CI a missing browser is a failure; on a developer machine the browser tests are skipped."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveServer:
    app: Flask
    url: str
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @contextmanager
    def app_context(self) -> Iterator[None]:
        """An app context in the test's thread, for seeding and for reading what the browser did."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()


# Package scope: the server thread and Playwright (its greenlets, event loop and driver process) are gone
# before the rest of the suite runs.
@pytest.fixture(scope="package")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("live-instance")
    database = tmp_path_factory.mktemp("live-db") / "live.db"
    # CSRF stays on: the browser submits the real forms, tokens included.
    app = create_app(make_config(f"sqlite:///{database}", instance, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the OS picks a free port
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", _server=server, _thread=thread)
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="package")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class ConsoleLog:
    """What the page reported: console errors and warnings (CSP violations land here), uncaught exceptions."""

    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        # A 4xx page (a form re-rendered with errors, a 404) is reported as a failed resource load: that
        # is the app's intended answer, not a problem with the page.
        return [m for m in self.messages if "Failed to load resource" not in m] + self.page_errors


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser, live_server, console):
    """A fresh browser context (no cookies) per test, with relative URLs resolved against the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on(
        "console",
        lambda msg: console.messages.append(f"{msg.type}: {msg.text}") if msg.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda exc: console.page_errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def sign_in(page):
    def _sign_in(email: str, password: str) -> None:
        from playwright.sync_api import expect

        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    return _sign_in


# The demo organisation of `make run` (the real courses, people in every state): the pages the layout and
# accessibility checks visit, for each role.
SEED_DATA = Path(__file__).resolve().parents[2] / "seed_data"
AXE_SCRIPT = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
DEMO_LOGINS = {"learner": "learner@example.com", "manager": "manager@example.com", "admin": "admin@example.com"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def demo(live_server) -> dict[str, str]:
    """The demo organisation loaded once into the live server's database; returns the sign-in emails per role."""
    from tracker.demo import organisation
    from tracker.services.content import loader

    with live_server.app_context():
        loader.load_directory(SEED_DATA)
        db.session.commit()
        organisation.load_demo()
        db.session.commit()
    return DEMO_LOGINS


@pytest.fixture(scope="package")
def signed_in_states(browser, live_server, demo, tmp_path_factory) -> dict[str, Path]:
    """One signed-in session per role (cookies saved), so each test starts signed in without the form."""
    from tracker.demo.organisation import DEMO_PASSWORD

    states = {}
    folder = tmp_path_factory.mktemp("sessions")
    for role, email in demo.items():
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        states[role] = folder / f"{role}.json"
        context.storage_state(path=str(states[role]))
        context.close()
    return states


@pytest.fixture
def open_as(browser, live_server, signed_in_states):
    """open_as(role, viewport, axe=False): a page signed in as the demo person of that role. With axe, axe-core is
    loaded into every page, the context bypassing the pages' Content-Security-Policy for it (these tests only)."""
    contexts = []

    def _open(role: str, viewport: dict = DESKTOP, *, axe: bool = False):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, storage_state=str(signed_in_states[role]), bypass_csp=axe
        )
        if axe:
            context.add_init_script(path=str(AXE_SCRIPT))  # loaded into every page the context opens
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def no_sideways_scroll(page) -> bool:
    """The page itself never scrolls sideways (tables may, inside their own region)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
