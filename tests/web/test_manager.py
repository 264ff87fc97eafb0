"""The manager's pages: matrix, exports, assignments; and the manager API."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import Assignment, AuditEvent, Role
from tracker.services.organisation import assignments


@pytest.fixture
def org(app, make_user):
    boss = make_user(Role.MANAGER, name="Boss")
    other_boss = make_user(Role.MANAGER, name="Other Boss")
    team = factories.make_team("Alpha", manager=boss)
    other = factories.make_team("Beta", manager=other_boss)
    course = factories.make_course("matrix-course")
    ann = make_user(name="Ann Álvarez", email="ann@example.org", team=team)
    bob = make_user(name="Bob", email="bob@example.org", team=team)
    zed = make_user(name="Zed", email="zed@example.org", team=other)
    factories.complete_course(ann, course)
    assignments.assign(None, course=course, team=team, due_on=date.today() - timedelta(days=3))
    db.session.commit()
    return {
        "boss": boss,
        "other_boss": other_boss,
        "team": team,
        "other": other,
        "course": course,
        "ann": ann,
        "bob": bob,
        "zed": zed,
    }


def test_matrix_page_shows_status_text_and_totals(client, login_as, org):
    login_as(org["boss"])
    page = client.get("/manager/").get_data(as_text=True)
    assert "Ann Álvarez" in page and "Bob" in page and "Zed" not in page
    assert "Completed" in page and "Overdue" in page
    assert "1/2 (50%)" in page  # completed of assigned for the course
    assert "<svg" in page and "Courses completed per month" in page


def test_filters_and_unknown_team(client, login_as, org):
    login_as(org["boss"])
    overdue = client.get("/manager/?status=overdue").get_data(as_text=True)
    assert "Bob" in overdue and "Ann Álvarez" not in overdue
    assert client.get(f"/manager/?team={org['other'].id}").status_code == 404
    assert client.get("/manager/?sort=password&status=nonsense&per_page=7").status_code == 200  # ignored safely


def test_csv_export_applies_filters_and_uses_iso_dates(client, login_as, org):
    login_as(org["boss"])
    response = client.get("/manager/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert {r["person"] for r in rows} == {"Ann Álvarez", "Bob"}
    ann = next(r for r in rows if r["person"] == "Ann Álvarez")
    assert ann["status"] == "Completed" and ann["completed_at_utc"].endswith("Z") and ann["certificate_code"]
    assert date.fromisoformat(ann["due_on"])
    filtered = list(
        csv.DictReader(io.StringIO(client.get("/manager/export.csv?status=overdue").get_data().decode("utf-8-sig")))
    )
    assert [r["person"] for r in filtered] == ["Bob"]


def test_xlsx_export(client, login_as, org):
    login_as(org["boss"])
    response = client.get("/manager/export.xlsx")
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(workbook["Matrix"].iter_rows(values_only=True))
    assert rows[0][0] == "person" and "completed_at_utc" in rows[0]
    assert {r[0] for r in rows[1:]} == {"Ann Álvarez", "Bob"}
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    assert summary[0] == ("Scope", "All my teams")


def test_learners_and_managers_without_teams_get_nothing(client, login_as, org, make_user):
    login_as(org["ann"])
    assert client.get("/manager/").status_code == 403
    assert client.get("/manager/export.csv").status_code == 403


def test_manager_without_teams_is_refused(app, org, make_user):
    lonely = make_user(Role.MANAGER)
    client = app.test_client()
    client.post("/login", data={"email": lonely.email, "password": factories.PASSWORD})
    assert client.get("/manager/").status_code == 403


def test_create_assignment_for_a_person_and_double_submit(client, login_as, org):
    login_as(org["boss"])
    form = {
        "item": f"course:{org['course'].id}",
        "target_type": "person",
        "person_email": "bob@example.org",
        "due_on": "2027-01-31",
    }
    assert client.post("/manager/assignments", data=form).status_code == 302
    assert client.post("/manager/assignments", data=form).status_code == 302
    count = db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.user_id == org["bob"].id))
    assert count == 1
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "assignment.created"))
        >= 1
    )


def test_manager_cannot_assign_outside_their_teams(client, login_as, org):
    login_as(org["boss"])
    outside_person = {
        "item": f"course:{org['course'].id}",
        "target_type": "person",
        "person_email": "zed@example.org",
        "due_on": "2027-01-31",
    }
    response = client.post("/manager/assignments", data=outside_person)
    assert response.status_code == 400 and "person in your teams" in response.get_data(as_text=True)
    outside_team = {
        "item": f"course:{org['course'].id}",
        "target_type": "team",
        "team": str(org["other"].id),
        "due_on": "2027-01-31",
    }
    assert client.post("/manager/assignments", data=outside_team).status_code == 400
    job_role = {
        "item": f"course:{org['course'].id}",
        "target_type": "job_role",
        "job_role": "Analyst",
        "due_on": "2027-01-31",
    }
    assert client.post("/manager/assignments", data=job_role).status_code == 400
    missing_date = {"item": f"course:{org['course'].id}", "target_type": "team", "team": str(org["team"].id)}
    response = client.post("/manager/assignments", data=missing_date)
    assert response.status_code == 400 and "Enter a due date" in response.get_data(as_text=True)


def test_other_manager_cannot_delete_or_see_the_assignment(app, org):
    assignment = db.session.scalar(select(Assignment))
    client = app.test_client()
    client.post("/login", data={"email": org["other_boss"].email, "password": factories.PASSWORD})
    assert client.post(f"/manager/assignments/{assignment.id}/delete").status_code == 404
    assert client.delete(f"/api/v1/assignments/{assignment.id}").status_code == 404
    assert "Alpha" not in client.get("/manager/assignments").get_data(as_text=True)


def test_api_teams_matrix_and_assignments(client, login_as, org):
    login_as(org["boss"])
    teams = client.get("/api/v1/teams").get_json()["teams"]
    assert [t["name"] for t in teams] == ["Alpha"] and teams[0]["members"] == 2
    data = client.get(f"/api/v1/teams/{org['team'].id}/matrix").get_json()
    statuses = {p["name"]: p["cells"][0]["status"] for p in data["people"]}
    assert statuses == {"Ann Álvarez": "completed", "Bob": "overdue"}
    for status, names in (("overdue", ["Bob"]), ("completed", ["Ann Álvarez"])):
        for course in ("", f"&course={org['course'].id}"):  # over all courses, and in one course's column
            filtered = client.get(f"/api/v1/teams/{org['team'].id}/matrix?status={status}{course}").get_json()
            assert [p["name"] for p in filtered["people"]] == names
    assert client.get(f"/api/v1/teams/{org['other'].id}/matrix").status_code == 404
    created = client.post(
        "/api/v1/assignments",
        json={"course": org["course"].slug, "user_email": "bob@example.org", "due_on": "2027-02-01"},
    )
    assert created.status_code == 201
    again = client.post(
        "/api/v1/assignments",
        json={"course": org["course"].slug, "user_email": "bob@example.org", "due_on": "2027-03-01"},
    )
    assert again.status_code == 200 and again.get_json()["due_on"] == "2027-03-01"
    bad = client.post(
        "/api/v1/assignments",
        json={"course": org["course"].slug, "user_email": "zed@example.org", "due_on": "2027-02-01"},
    )
    assert bad.status_code == 422
    listed = client.get("/api/v1/assignments").get_json()["assignments"]
    assert len(listed) == 2
    assert client.delete(f"/api/v1/assignments/{created.get_json()['id']}").status_code == 204


def test_learner_gets_403_from_manager_api(client, login_as, org):
    login_as(org["ann"])
    assert client.get("/api/v1/teams").status_code == 403
    assert client.get("/api/v1/assignments").status_code == 403
