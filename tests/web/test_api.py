"""The JSON API: authentication, bearer tokens, OpenAPI description, courses, quiz attempts and CSRF on writes."""

from __future__ import annotations

import hashlib
import re

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import ApiToken, Attempt, Role

from ..factories import PASSWORD, answers_for
from .openapi_check import openapi_path

TOKEN_RE = re.compile(r"trk_[A-Za-z0-9_\-]+")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def sign_in(client, user, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.data[:500]


def create_token(client, name: str = "integration", **data) -> str:
    response = client.post("/account/tokens", data={"name": name, **data})
    assert response.status_code == 201, response.data[:500]
    body = response.get_data(as_text=True)
    plain = max(TOKEN_RE.findall(body), key=len)  # the table of tokens also shows a short prefix
    assert body.count(plain) == 1  # shown once
    return plain


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_row(plain: str) -> ApiToken:
    db.session.expire_all()
    row = db.session.scalar(select(ApiToken).where(ApiToken.prefix == plain[:10]))
    assert row is not None
    return row


def attempt_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Attempt))


def load_attempt(attempt_id: int) -> Attempt:
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt is not None
    return attempt


def attempts_url(course, module: str = "module-1") -> str:
    return f"/api/v1/courses/{course.slug}/modules/{module}/attempts"


def assert_json_error(response, code: int) -> dict:
    assert response.status_code == code
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


# --- authentication and the OpenAPI description ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/courses", "/api/v1/progress", "/api/v1/attempts/1"])
def test_unauthenticated_requests_get_401_json(client, path):
    response = client.get(path)
    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unauthenticated_write_gets_401_not_csrf_error(client, course):
    response = client.post(attempts_url(course))
    assert_json_error(response, 401)
    assert attempt_count() == 0


def test_session_cookie_works_for_reads(client, make_user, login_as):
    user = make_user(name="Cookie User")
    login_as(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    assert response.get_json()["display_name"] == "Cookie User"


def test_openapi_is_public_and_describes_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    validate_openapi(doc)  # a valid OpenAPI 3.1 document, schemas included
    assert doc["info"]["title"]
    paths = doc["paths"]

    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            methods = {m.lower() for m in rule.methods} - {"head", "options"}
            routes.setdefault(openapi_path(rule.rule), set()).update(methods)
    assert "/api/v1/attempts/{attempt_id}/submit" in routes  # the conversion works
    assert len(routes) >= 8

    for path, methods in routes.items():
        assert path in paths, f"{path} is not documented"
        documented = {m for m in paths[path] if m in HTTP_METHODS}
        assert documented == methods, f"{path}: documented {documented}, served {methods}"
    # And nothing is documented that does not exist.
    assert set(paths) == set(routes)

    # Path parameters named in the template are declared.
    for path, item in paths.items():
        names = set(re.findall(r"{([^}]+)}", path))
        for operation in (op for m, op in item.items() if m in HTTP_METHODS):
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{path}: parameters {declared}, template {names}"


# --- bearer tokens --------------------------------------------------------------------------------------------


def test_token_is_shown_once_stored_hashed_and_works(app, client, make_user, login_as):
    user = make_user()
    login_as(user)

    plain = create_token(client, "ci pipeline")

    row = token_row(plain)
    assert row.user_id == user.id
    assert row.name == "ci pipeline"
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert row.token_hash != plain
    assert row.last_used_at is None
    # The plain token is nowhere in the database, in any table or column.
    for table in db.metadata.sorted_tables:
        for values in db.session.execute(select(table)):
            assert not any(plain in str(value) for value in values), table.name
    # Nor on the account page after the response that revealed it.
    page = client.get("/account/")
    assert page.status_code == 200
    assert plain.encode() not in page.data
    assert plain[:10].encode() in page.data

    fresh = app.test_client()
    response = fresh.get("/api/v1/me", headers=bearer(plain))

    assert response.status_code == 200
    assert response.get_json()["id"] == user.id
    assert response.get_json()["email"] == user.email
    # The token signs in this request only: it does not turn into a cookie session.
    assert_json_error(fresh.get("/api/v1/me"), 401)
    assert token_row(plain).last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer trk_not-a-real-token", "Bearer ", "Bearer nonsense", "Basic abc"])
def test_bad_authorization_headers_get_401(app, make_user, header):
    make_user()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": header})
    assert_json_error(response, 401)


def test_token_hash_alone_is_not_a_token(app, client, make_user, login_as):
    login_as(make_user())
    plain = create_token(client)
    stored = token_row(plain).token_hash
    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer(stored)), 401)
    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer("trk_" + stored)), 401)


def test_revoked_token_gets_401(app, client, make_user, login_as):
    login_as(make_user())
    plain = create_token(client)
    assert app.test_client().get("/api/v1/me", headers=bearer(plain)).status_code == 200

    response = client.post(f"/account/tokens/{token_row(plain).id}/revoke")

    assert response.status_code == 302
    assert token_row(plain).revoked_at is not None
    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer(plain)), 401)


def test_token_of_inactive_user_gets_401(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    plain = create_token(client)
    db.session.expire_all()
    db.session.get(type(user), user.id).active = False
    db.session.commit()

    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer(plain)), 401)


def test_cannot_revoke_another_users_token(app, client, make_user, login_as):
    owner, intruder = make_user(), make_user()
    login_as(owner)
    plain = create_token(client)
    token_id = token_row(plain).id

    other = app.test_client()
    sign_in(other, intruder)
    response = other.post(f"/account/tokens/{token_id}/revoke")

    assert response.status_code == 404
    assert token_row(plain).revoked_at is None
    assert app.test_client().get("/api/v1/me", headers=bearer(plain)).status_code == 200
    # The owner's token list is not shown to the intruder either.
    assert plain[:10].encode() not in other.get("/account/").data


def test_bearer_token_does_not_work_outside_the_api(app, client, make_user, login_as):
    login_as(make_user())
    plain = create_token(client)

    for path in ("/", "/account/", "/courses/"):
        response = app.test_client().get(path, headers=bearer(plain))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    assert token_row(plain).last_used_at is None


def test_token_creation_needs_a_name(client, make_user, login_as):
    login_as(make_user())
    response = client.post("/account/tokens", data={"name": ""})
    assert response.status_code == 400
    assert not TOKEN_RE.search(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- courses --------------------------------------------------------------------------------------------------


def test_courses_list_with_modules(client, make_user, login_as, course):
    login_as(make_user())

    response = client.get("/api/v1/courses")

    assert response.status_code == 200
    listed = {c["slug"]: c for c in response.get_json()["courses"]}
    assert course.slug in listed
    data = listed[course.slug]
    assert data["title"] == course.title
    assert [m["slug"] for m in data["modules"]] == ["module-1", "module-2"]
    assert [les["slug"] for les in data["modules"][0]["lessons"]] == ["lesson-1", "lesson-2"]
    assert data["modules"][0]["quiz"]["pass_mark"] == 80
    assert data["modules"][0]["quiz"]["questions_per_attempt"] == 3


def test_one_course_and_unknown_course(client, make_user, login_as, course):
    login_as(make_user())

    found = client.get(f"/api/v1/courses/{course.slug}")
    assert found.status_code == 200
    assert found.get_json()["slug"] == course.slug
    assert len(found.get_json()["modules"]) == 2

    assert_json_error(client.get("/api/v1/courses/no-such-course"), 404)
    assert_json_error(client.post(attempts_url(course, "no-such-module")), 404)


# --- quiz attempts --------------------------------------------------------------------------------------------


def test_attempt_lifecycle(client, make_user, login_as, course):
    user = make_user()
    login_as(user)

    started = client.post(attempts_url(course))

    assert started.status_code == 201
    opened = started.get_json()
    attempt_id = opened["id"]
    assert opened["status"] == "open"
    assert started.headers["Location"].endswith(f"/api/v1/attempts/{attempt_id}")
    assert len(opened["questions"]) == 3
    raw = started.get_data(as_text=True)
    assert '"correct"' not in raw
    assert "explanation" not in raw
    assert "Because of reason" not in raw
    # Same for reading the open attempt back.
    reread = client.get(f"/api/v1/attempts/{attempt_id}")
    assert reread.status_code == 200
    assert '"correct"' not in reread.get_data(as_text=True)
    assert "explanation" not in reread.get_data(as_text=True)

    # Starting again hands back the open attempt.
    again = client.post(attempts_url(course))
    assert again.status_code in (200, 201)
    assert again.get_json()["id"] == attempt_id
    assert again.get_json()["questions"] == opened["questions"]
    assert attempt_count() == 1

    attempt = load_attempt(attempt_id)
    served_keys = [q["id"] for q in attempt.served]  # random per attempt: never the file's key
    assert [q["key"] for q in opened["questions"]] == served_keys
    correct = answers_for(attempt)

    # Missing answers: 422 naming them, nothing recorded.
    partial = {served_keys[0]: correct[served_keys[0]]}
    incomplete = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": partial})
    error = assert_json_error(incomplete, 422)
    assert sorted(error["missing"]) == sorted(served_keys[1:])
    attempt = load_attempt(attempt_id)
    assert attempt.submitted_at is None
    assert attempt.answers is None
    assert attempt.score is None

    # Malformed bodies are refused too.
    for body in ({"answers": []}, {"answers": {served_keys[0]: "c1"}}, {"nope": 1}):
        assert_json_error(client.post(f"/api/v1/attempts/{attempt_id}/submit", json=body), 422)
    assert load_attempt(attempt_id).submitted_at is None

    # All correct.
    submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": correct})
    assert submitted.status_code == 200
    result = submitted.get_json()
    assert result["id"] == attempt_id
    assert result["status"] == "submitted"
    assert result["score"] == 100
    assert result["passed"] is True
    assert result["correct"] == result["total"] == 3
    for question in result["questions"]:
        assert question["correct"] is True
        assert question["explanation"].startswith("Because of reason")
        assert all("correct" in choice for choice in question["choices"])
        assert sorted(question["selected"]) == sorted(correct[question["key"]])
        assert sorted(c["id"] for c in question["choices"] if c["correct"]) == sorted(correct[question["key"]])

    # A second submit (even with other answers) changes nothing and returns the same result.
    wrong = answers_for(load_attempt(attempt_id), correct=False)
    twice = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": wrong})
    assert twice.status_code == 200
    assert twice.get_json() == result
    assert attempt_count() == 1
    stored = load_attempt(attempt_id)
    assert stored.score == 100
    assert stored.passed is True

    # Progress reflects the passed quiz.
    progress = client.get("/api/v1/progress")
    assert progress.status_code == 200
    entry = next(p for p in progress.get_json()["progress"] if p["course"] == course.slug)
    modules = {m["slug"]: m for m in entry["modules"]}
    assert modules["module-1"]["quiz_passed"] is True
    assert modules["module-1"]["best_score"] == 100
    assert modules["module-2"]["quiz_passed"] is False

    # After submitting, starting again opens a new attempt (number 2), not the old one.
    retake = client.post(attempts_url(course))
    assert retake.status_code == 201
    assert retake.get_json()["id"] != attempt_id
    assert retake.get_json()["number"] == 2
    assert attempt_count() == 2


def test_wrong_answers_fail(client, make_user, login_as, course):
    login_as(make_user())
    attempt_id = client.post(attempts_url(course)).get_json()["id"]

    wrong = answers_for(load_attempt(attempt_id), correct=False)
    response = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": wrong})

    assert response.status_code == 200
    assert response.get_json()["score"] == 0
    assert response.get_json()["passed"] is False
    assert all(q["correct"] is False for q in response.get_json()["questions"])


def test_other_user_cannot_see_or_submit_an_attempt(app, client, make_user, login_as, course):
    owner, other_user = make_user(), make_user()
    login_as(owner)
    attempt_id = client.post(attempts_url(course)).get_json()["id"]
    answers = answers_for(load_attempt(attempt_id))

    other = app.test_client()
    sign_in(other, other_user)

    assert_json_error(other.get(f"/api/v1/attempts/{attempt_id}"), 404)
    assert_json_error(other.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": answers}), 404)
    assert load_attempt(attempt_id).submitted_at is None

    # Once submitted it stays private too.
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": answers}).status_code == 200
    assert_json_error(other.get(f"/api/v1/attempts/{attempt_id}"), 404)
    assert_json_error(other.get("/api/v1/attempts/999999"), 404)


def test_admin_may_review_but_not_take_someone_elses_attempt(app, client, make_user, login_as, course):
    learner, admin = make_user(), make_user(Role.ADMIN)
    login_as(learner)
    attempt_id = client.post(attempts_url(course)).get_json()["id"]
    answers = answers_for(load_attempt(attempt_id))

    admin_client = app.test_client()
    sign_in(admin_client, admin)
    # An open attempt would reveal the questions being answered; it is not shown, nor can it be submitted.
    assert_json_error(admin_client.get(f"/api/v1/attempts/{attempt_id}"), 404)
    assert_json_error(admin_client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": answers}), 404)

    assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": answers}).status_code == 200
    review = admin_client.get(f"/api/v1/attempts/{attempt_id}")
    assert review.status_code == 200
    assert review.get_json()["score"] == 100


# --- CSRF on cookie-session writes ----------------------------------------------------------------------------

CSRF_ON = {"WTF_CSRF_ENABLED": True}


def csrf_token_from(body: bytes) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body.decode())
    assert match, "no csrf_token input on the page"
    return match.group(1)


def sign_in_with_csrf(client, user) -> str:
    token = csrf_token_from(client.get("/login").data)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return csrf_token_from(client.get("/account/").data)


@pytest.mark.parametrize("app_config", [CSRF_ON], indirect=True)
def test_cookie_session_writes_need_csrf_header(client, make_user, course):
    csrf_token = sign_in_with_csrf(client, make_user())

    refused = client.post(attempts_url(course))
    assert refused.status_code == 400
    assert refused.is_json
    assert "CSRF" in refused.get_json()["error"]["message"]
    forged = client.post(attempts_url(course), headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    assert attempt_count() == 0

    # Reads need no token.
    assert client.get("/api/v1/me").status_code == 200

    accepted = client.post(attempts_url(course), headers={"X-CSRFToken": csrf_token})
    assert accepted.status_code == 201
    attempt_id = accepted.get_json()["id"]

    answers = answers_for(load_attempt(attempt_id))
    url = f"/api/v1/attempts/{attempt_id}/submit"
    assert client.post(url, json={"answers": answers}).status_code == 400
    assert load_attempt(attempt_id).submitted_at is None
    submitted = client.post(url, json={"answers": answers}, headers={"X-CSRFToken": csrf_token})
    assert submitted.status_code == 200
    assert submitted.get_json()["passed"] is True


@pytest.mark.parametrize("app_config", [CSRF_ON], indirect=True)
def test_bearer_token_writes_need_no_csrf_header(app, client, make_user, course):
    csrf_token = sign_in_with_csrf(client, make_user())
    plain = create_token(client, "script", csrf_token=csrf_token)

    api = app.test_client()
    started = api.post(attempts_url(course), headers=bearer(plain))
    assert started.status_code == 201
    attempt_id = started.get_json()["id"]

    answers = answers_for(load_attempt(attempt_id))
    submitted = api.post(f"/api/v1/attempts/{attempt_id}/submit", json={"answers": answers}, headers=bearer(plain))
    assert submitted.status_code == 200
    assert submitted.get_json()["score"] == 100

    # The browser session of the same user still needs its CSRF header.
    assert client.post(attempts_url(course, "module-2")).status_code == 400
