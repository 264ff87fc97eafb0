"""A real OpenID Connect provider for the tests: panva's oidc-provider (Node, pinned in package-lock.json and
installed by `make test` with npm ci) on a free loopback port, with one confidential client, signing keys the
test knows (to make tokens it should refuse) and people written to a JSON file it reads on every sign-in."""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

HERE = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CLIENT_ID = "tracker"
START_SECONDS = 30


def unavailable(reason: str) -> None:
    """In CI a missing Node or provider is a failure; on a developer machine these tests are skipped."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the single sign-on tests must run)", pytrace=False)
    pytest.skip(reason)


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    key: RSAKey
    accounts_file: Path
    accounts: dict = field(default_factory=dict)

    def add_account(self, login: str, **claims) -> None:
        self.accounts[login] = claims
        self.accounts_file.write_text(json.dumps(self.accounts))

    def sign(self, claims: dict, key: RSAKey | None = None) -> str:
        """An ID token as this provider would sign it (or with another key)."""
        key = key or self.key
        header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, key)

    def sign_in(self, browser: requests.Session, authorize_url: str, login: str, stop_at: str) -> str:
        """Drive the provider's sign-in pages like a person: follow redirects and submit the login form, until
        the provider sends the browser to `stop_at` (the app's callback). Returns that URL."""
        url = authorize_url
        for _step in range(12):
            if url.startswith(stop_at):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
            assert form, response.text[:2000]
            action = urljoin(url, unescape(form.group(1)))
            posted = browser.post(
                action, data={"prompt": "login", "login": login, "password": "any"}, allow_redirects=False, timeout=10
            )
            assert posted.is_redirect, posted.text[:2000]
            url = urljoin(action, posted.headers["Location"])
        raise AssertionError(f"the provider never sent the browser back to {stop_at}")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("Node is not installed: the single sign-on tests need it for the OpenID Connect provider")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        unavailable("oidc-provider is not installed in tests/oidc (make test runs npm ci there)")
    return node


@contextmanager
def running_provider(workdir: Path, redirect_uris: list[str], post_logout_uris: list[str]) -> Iterator[Provider]:
    node = _node()
    key = RSAKey.generate_key(2048, parameters={"kid": "provider-key", "use": "sig", "alg": "RS256"})
    accounts_file = workdir / "accounts.json"
    accounts_file.write_text("{}")
    secret = secrets.token_urlsafe(24)
    config = {
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": secret,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
        "jwks": {"keys": [key.as_dict(private=True)]},
        "accounts_file": str(accounts_file),
        "cookie_key": secrets.token_urlsafe(24),
    }
    config_file = workdir / "provider.json"
    config_file.write_text(json.dumps(config))
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), str(config_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NODE_ENV": "test"},
    )
    try:
        ready, _w, _x = select.select([process.stdout], [], [], START_SECONDS)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            raise RuntimeError(f"the OpenID Connect provider did not start: {process.stderr.read()[-2000:]}")
        issuer = json.loads(line)["issuer"]
        _wait_for_discovery(issuer)
        yield Provider(issuer, CLIENT_ID, secret, key, accounts_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        for stream in (process.stdout, process.stderr):
            stream.close()


def _wait_for_discovery(issuer: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the OpenID Connect provider does not answer")
        time.sleep(0.1)


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
