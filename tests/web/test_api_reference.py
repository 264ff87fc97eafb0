"""The API reference page: the OpenAPI document rendered as HTML on the server (no script, nothing from elsewhere),
linked from the account page, in the reader's language."""

from __future__ import annotations

import html
import re

from tracker.enums import Role
from tracker.extensions import db


def test_reference_page_renders_every_operation_and_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()

    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = html.unescape(response.get_data(as_text=True))
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in page
            assert operation["summary"] in page
            assert f'id="{operation["operationId"]}"' in page
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    # Parameters with their bounds, bodies and answers with links to their schemas.
    assert "per_page" in page and "from 1 to 500" in page
    assert 'href="#schema-NewAssignment"' in page
    assert 'href="#schema-Error"' in page
    assert "text/html" in page


def test_reference_page_needs_no_script_and_nothing_from_elsewhere(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script" not in page.lower()
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/", "#")), url


def test_reference_page_speaks_the_readers_language(client, make_user, login_as):
    assert '<html lang="en">' in client.get("/api/v1/docs").get_data(as_text=True)
    user = make_user()
    user.locale = "de"
    db.session.commit()
    login_as(user)
    assert '<html lang="de">' in client.get("/api/v1/docs").get_data(as_text=True)
    # The API itself still answers in English.
    assert client.get("/api/v1/nope").get_json()["error"]["title"] == "Not found"


def test_account_page_links_to_the_reference(client, make_user, login_as):
    login_as(make_user(Role.LEARNER))
    page = client.get("/account/").get_data(as_text=True)
    assert 'href="/api/v1/docs"' in page
