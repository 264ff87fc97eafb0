"""The CSRF token every page carries (tracker/csrf_tokens.py): one signature of the session's secret reused for a
minute, checked by Flask-WTF as before, never one session's token in another's pages."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest

from tracker import csrf_tokens

CSRF_ON = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)


def token_of(client, url: str = "/") -> str:
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)))
    assert len(tokens) == 1, tokens  # the header's and the footer's forms carry the same one
    return tokens.pop()


@CSRF_ON
def test_a_minutes_pages_carry_one_signature_and_a_later_minute_a_new_one(client, login_as, make_user, monkeypatch):
    login_as(make_user())
    first = token_of(client)
    time.sleep(1.1)  # a fresh signature a second later would differ: the same one means it was reused
    assert token_of(client, "/courses/") == first
    later = time.time() + csrf_tokens.REUSED_FOR
    monkeypatch.setattr(csrf_tokens, "time", SimpleNamespace(time=lambda: later))
    renewed = token_of(client)
    assert renewed != first
    # Both are this session's and within the time limit: Flask-WTF accepts either, and nothing else.
    assert client.post("/language", data={"language": "de", "csrf_token": "forged", "next": "/"}).status_code == 400
    assert client.post("/language", data={"language": "de", "csrf_token": first, "next": "/"}).status_code == 302
    assert client.post("/language", data={"language": "en", "csrf_token": renewed, "next": "/"}).status_code == 302


@CSRF_ON
def test_two_sessions_in_the_same_minute_never_share_a_token(app, make_user, login_as, client):
    login_as(make_user())
    mine = token_of(client)
    other = app.test_client()
    from tests.conftest import sign_in_client

    sign_in_client(other, make_user())
    theirs = token_of(other)
    assert mine != theirs
    # Another session's token is refused here.
    assert client.post("/logout", data={"csrf_token": theirs}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": mine}).status_code == 302
