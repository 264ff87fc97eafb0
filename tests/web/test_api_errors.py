"""The API's one error envelope: 422 naming the fields of a bad body, 400 naming bad query parameters, 404 for ids
outside the database's range, 405 with Allow (for the whole app), and the bounds the document declares."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import Assignment
from tracker.schemas.common import INT32_MAX
from tracker.services.organisation import assignments
from tracker.services.programme import inventory, policies

from .openapi_check import problems_with

TOO_BIG = INT32_MAX + 1


@pytest.fixture
def world(app, make_user):
    course = factories.make_course()
    team = factories.make_team("Alpha")
    admin = make_user(Role.ADMIN)
    learner = make_user(team=team)
    assignment, _ = assignments.assign(admin, course=course, team=team, due_on=date(2030, 1, 31))
    db.session.commit()
    return {"course": course, "team": team, "admin": admin, "learner": learner, "assignment": assignment}


def error_of(response, code: int) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code and error["title"] and error["message"]
    return error


def fields_of(error: dict) -> dict[str, str]:
    return {f["field"]: f["message"] for f in error["fields"]}


def assignment_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Assignment))


# --- bodies: 422 with the fields at fault -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"course": {"a": 1}, "team_id": 1, "due_on": "2030-01-01"}, "course", "valid string"),
        ({"course": 5, "team_id": 1, "due_on": "2030-01-01"}, "course", "valid string"),
        ({"course": "c", "team_id": TOO_BIG, "due_on": "2030-01-01"}, "team_id", str(INT32_MAX)),
        ({"course": "c", "team_id": 0, "due_on": "2030-01-01"}, "team_id", "greater than or equal to 1"),
        ({"course": "c", "team_id": True, "due_on": "2030-01-01"}, "team_id", "valid integer"),
        ({"course": "c", "team_id": "1", "due_on": "2030-01-01"}, "team_id", "valid integer"),
        ({"course": "c", "team_id": 1, "due_on": "2030-02-30"}, "due_on", "exists"),
        ({"course": "c", "team_id": 1, "due_on": "0001-01-01"}, "due_on", "from 1900-01-01 to 2999-12-31"),
        ({"course": "c", "team_id": 1, "due_on": "20300101"}, "due_on", "YYYY-MM-DD"),
        ({"course": "c", "team_id": 1, "due_on": 20300101}, "due_on", "YYYY-MM-DD"),
        ({"course": "c", "team_id": 1}, "due_on", "required"),
        ({"path": "p\x00", "team_id": 1, "due_on": "2030-01-01"}, "path", "NUL"),
        ({"course": "c", "job_role": "x" * 121, "due_on": "2030-01-01"}, "job_role", "120 characters"),
        ({"course": "c", "team_id": 1, "due_on": "2030-01-01", "teams": [1]}, "teams", "not permitted"),
    ],
)
def test_bad_assignment_bodies_get_422_naming_the_field(client, login_as, world, body, field, words):
    login_as(world["admin"])
    before = assignment_count()

    error = error_of(client.post("/api/v1/assignments", json=body), 422)

    assert words in fields_of(error)[field]
    assert field in error["message"]
    assert assignment_count() == before


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "5", "null"])
def test_bodies_that_are_not_an_object_get_422(client, login_as, world, body):
    login_as(world["admin"])
    response = client.post("/api/v1/assignments", data=body, content_type="application/json")
    assert error_of(response, 422)["fields"]


@pytest.mark.parametrize("body", ["", "null", "[]", "0", "false"])
def test_a_body_of_optional_fields_is_still_an_object(client, login_as, world, body):
    """Spectree reads a missing or falsy body as {}; where every field is optional, that would pass."""
    system = inventory.create_system(None, inventory.SystemInput("Chat"))
    db.session.commit()
    login_as(world["admin"])
    response = client.patch(f"/api/v1/ai-systems/{system.id}", data=body, content_type="application/json")
    assert fields_of(error_of(response, 422)) == {"body": "Send a JSON body (Content-Type: application/json)."}


def test_a_body_declared_optional_may_be_left_out(client, login_as, world):
    policies.create_policy(None, "aup", "Acceptable use", policies.VersionInput("Rules."))
    db.session.commit()
    login_as(world["admin"])
    assert client.post("/api/v1/policies/aup/acknowledgements").status_code == 201
    assert client.post("/api/v1/policies/aup/acknowledgements", json={}).status_code == 200
    error_of(client.post("/api/v1/policies/aup/acknowledgements", json=[]), 422)
    error_of(client.post("/api/v1/policies/aup/acknowledgements", data={"version": "1"}), 422)


def test_a_form_body_gets_422_asking_for_json(client, login_as, world):
    login_as(world["admin"])
    response = client.post("/api/v1/assignments", data={"course": "c", "team_id": "1", "due_on": "2030-01-01"})
    assert fields_of(error_of(response, 422)) == {"body": "Send a JSON body (Content-Type: application/json)."}


def test_a_rule_of_the_service_names_the_api_field(client, login_as, world):
    login_as(world["admin"])
    body = {"course": "no-such-course", "team_id": world["team"].id, "due_on": "2030-01-01"}
    error = error_of(client.post("/api/v1/assignments", json=body), 422)
    assert list(fields_of(error)) == ["course"]


def test_unanswered_questions_are_named(client, login_as, world):
    login_as(world["learner"])
    slug = world["course"].slug
    attempt = client.post(f"/api/v1/courses/{slug}/modules/module-1/attempts").get_json()

    error = error_of(client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": {}}), 422)

    keys = [q["key"] for q in attempt["questions"]]
    assert sorted(error["missing"]) == sorted(keys)
    assert sorted(fields_of(error)) == sorted(f"answers.{key}" for key in keys)


def test_a_learner_is_refused_before_the_body_is_read(client, login_as, world):
    login_as(world["learner"])
    error_of(client.post("/api/v1/assignments", json={"nonsense": True}), 403)


# --- query parameters: 400, bounds as declared -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=501", "per_page"),
        ("page=0", "page"),
        (f"page={TOO_BIG}", "page"),
        (f"course={TOO_BIG}", "course"),
        ("course=x", "course"),
        ("status=bogus", "status"),
        ("sort=bogus", "sort"),
    ],
)
def test_bad_matrix_parameters_get_400(client, login_as, world, query, field):
    login_as(world["admin"])
    error = error_of(client.get(f"/api/v1/teams/{world['team'].id}/matrix?{query}"), 400)
    assert list(fields_of(error)) == [field]


def test_matrix_bounds_are_the_documented_ones(client, login_as, world):
    login_as(world["admin"])
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/teams/{team_id}/matrix"]["get"]
    declared = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert (declared["per_page"]["minimum"], declared["per_page"]["maximum"]) == (1, 500)
    assert declared["page"]["minimum"] == 1
    assert declared["team_id"]["maximum"] == INT32_MAX

    largest = client.get(f"/api/v1/teams/{world['team'].id}/matrix?per_page=500&page={INT32_MAX}").get_json()
    assert largest["per_page"] == 500
    assert largest["page"] == 1  # a page past the end shows the last one


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"offset={TOO_BIG}", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("since=9999-12-31T23:59:59-05:00", "since"),
        ("until=0001-01-01T00:00:00%2B05:00", "until"),
        ("since=2026-02-30", "since"),
        ("target_id=%00", "target_id"),
        ("action=" + "a" * 101, "action"),
    ],
)
def test_bad_audit_parameters_get_400(client, login_as, world, query, field):
    login_as(world["admin"])
    error = error_of(client.get(f"/api/v1/audit?{query}"), 400)
    assert list(fields_of(error)) == [field]


def test_audit_reads_dates_and_moments_in_range(client, login_as, world):
    login_as(world["admin"])
    for query in (
        "since=1900-01-01",
        "until=2999-12-31T23:59:59Z",
        "since=2026-03-02t12:00:00z",
        f"offset={INT32_MAX}",
    ):
        assert client.get(f"/api/v1/audit?{query}").status_code == 200, query


# --- ids in paths: 404 outside the database's range ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/v1/attempts/{TOO_BIG}"),
        ("GET", "/api/v1/attempts/0"),
        ("GET", "/api/v1/attempts/99999999999999999999"),
        ("POST", f"/api/v1/attempts/{TOO_BIG}/submit"),
        ("GET", f"/api/v1/teams/{TOO_BIG}/matrix"),
        ("DELETE", f"/api/v1/assignments/{TOO_BIG}"),
        ("GET", f"/api/v1/ai-systems/{TOO_BIG}"),
        ("PATCH", "/api/v1/ai-systems/0"),  # GET has a rule of the same shape: still 404, not 405
        ("DELETE", f"/api/v1/requirements/{TOO_BIG}"),
        ("POST", "/api/v1/policies/a%00b/acknowledgements"),
        ("GET", "/api/v1/courses/a%00b"),
        ("POST", "/api/v1/courses/a%00b/modules/module-1/attempts"),
        ("GET", "/api/v1/verify/a%00b"),
    ],
)
def test_ids_out_of_range_and_unstorable_slugs_get_404(client, login_as, world, method, path):
    login_as(world["admin"])
    error_of(client.open(path, method=method, json={"answers": {}}), 404)


# --- 405 with Allow, everywhere -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/api/v1/me", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/api/v1/assignments", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/api/v1/assignments/1", {"DELETE", "OPTIONS"}),
        ("DELETE", "/api/v1/ai-systems/1", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("DELETE", "/login", {"GET", "HEAD", "OPTIONS", "POST"}),
    ],
)
def test_405_names_the_allowed_methods(client, login_as, world, method, path, allowed):
    login_as(world["admin"])
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    if path.startswith("/api/"):
        error_of(response, 405)
    else:
        assert response.mimetype == "text/html"


# --- the checker itself ---------------------------------------------------------------------------------------------


def test_the_document_check_sees_wrong_bodies_and_undeclared_statuses(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    me = "/api/v1/me"
    good = {"id": 1, "email": "a@example.org", "display_name": "A", "role": "learner", "team": None}
    good |= {"job_role": None, "timezone": "UTC"}
    assert problems_with(doc, me, "GET", 200, "application/json", good) == []
    assert problems_with(doc, me, "GET", 200, "application/json", {**good, "role": "owner"})
    assert problems_with(doc, me, "GET", 200, "application/json", {**good, "id": "1"})
    assert problems_with(doc, me, "GET", 418, "application/json", good)
    assert problems_with(doc, me, "GET", 200, "text/html", "<p>")
    when = "/api/v1/audit"
    page = {"events": [], "total": 0, "limit": 50, "offset": 0}
    assert problems_with(doc, when, "GET", 200, "application/json", page) == []
    event = {"id": 1, "at": "yesterday", "actor_id": None, "actor_email": None, "action": "a", "target_type": None}
    event |= {"target_id": None, "details": {}, "ip_address": None}
    assert problems_with(doc, when, "GET", 200, "application/json", {**page, "events": [event]})  # format: date-time
