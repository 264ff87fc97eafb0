"""Every answer of the JSON API in the web tests has a declared status and a body that matches the OpenAPI
document (tests/web/openapi_check.py)."""

from __future__ import annotations

import pytest

from .openapi_check import api_answers_checked


@pytest.fixture(autouse=True)
def api_answers_match_the_document(request):
    # Only tests that have the shared app: requesting it here would put the test database under the others.
    if "app" not in request.fixturenames:
        yield
        return
    with api_answers_checked(request.getfixturevalue("app")):
        yield
