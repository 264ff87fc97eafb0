"""Exports and ZIPs made by jobs (progress page, download for who asked only), bulk actions on the people list,
one-click unsubscribe, reminder choices, and the past-date warning of the assignment form."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from tests import factories
from tracker.enums import NotificationKind
from tracker.extensions import db
from tracker.models import Assignment, Job, MailMessage, NotificationOptOut, Role, User
from tracker.services import mail


def _job_id(response) -> int:
    assert response.status_code == 302, response.data[:300]
    return int(re.search(r"/jobs/(\d+)", response.headers["Location"]).group(1))


def test_xlsx_export_runs_as_a_job_and_only_its_requester_downloads_it(app, client, login_as, make_user, run_jobs):
    course = factories.make_course()
    manager = make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    make_user(team=team, name="Zoe Export")
    login_as(manager)
    assert b"manager/exports" in client.get("/manager/").data
    job_id = _job_id(client.post("/manager/exports?format=xlsx", data={}))
    waiting = client.get(f"/jobs/{job_id}")
    assert waiting.status_code == 200 and b"<progress" in waiting.data and b'http-equiv="refresh"' in waiting.data
    assert client.get(f"/jobs/{job_id}/download").status_code == 404  # not ready yet
    run_jobs()
    ready = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "refresh" not in ready and f"/jobs/{job_id}/download" in ready
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "private, no-store"
    sheet = load_workbook(io.BytesIO(download.data), read_only=True)["Matrix"]
    values = list(sheet.iter_rows(values_only=True))
    assert any("Zoe Export" in row for row in values) and any(course.title in row for row in values)

    other = make_user(Role.MANAGER)
    factories.make_team(manager=other)
    client.post("/logout", data={})
    login_as(other)
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/download").status_code == 404
    # A manager who lost the team loses the file too.
    client.post("/logout", data={})
    team.manager = None
    db.session.commit()
    login_as(manager)
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_certificate_zip_as_a_job(app, client, login_as, make_user, run_jobs):
    course = factories.make_course()
    manager = make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    cert = factories.complete_course(make_user(team=team), course)
    login_as(manager)
    job_id = _job_id(client.post("/certificates/team.zip/prepare", data={}))
    run_jobs()
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/jobs/{job_id}/download").data))
    assert any(cert.code in name for name in archive.namelist())
    assert db.session.get(Job, job_id).summary == "1 certificates"


def test_bulk_invite_deactivate_and_assign(app, client, login_as, make_user, run_jobs):
    course = factories.make_course()
    admin = make_user(Role.ADMIN)
    people = [make_user() for _ in range(3)]
    ids = [str(p.id) for p in people]
    login_as(admin)
    assert client.post("/admin/people/bulk", data={"action": "invite", "user_ids": ids}).status_code == 302
    run_jobs()
    sent = db.session.scalars(select(MailMessage.to_address).where(MailMessage.kind == "invitation")).all()
    assert sorted(sent) == sorted(p.email for p in people)
    client.post(
        "/admin/people/bulk", data={"action": "assign", "user_ids": ids[:2], "course": str(course.id), "due_days": "14"}
    )
    rows = db.session.scalars(select(Assignment).where(Assignment.course_id == course.id)).all()
    assert {(a.user_id, a.due_rule, a.due_days) for a in rows} == {(p.id, "after_assigned", 14) for p in people[:2]}
    client.post("/admin/people/bulk", data={"action": "deactivate", "user_ids": [*ids, str(admin.id)]})
    db.session.expire_all()
    assert [db.session.get(User, p.id).active for p in people] == [False, False, False]
    assert db.session.get(User, admin.id).active  # never oneself


def test_one_click_unsubscribe_and_preferences(app, client, login_as, make_user):
    person = make_user()
    url = mail.unsubscribe_url(person, NotificationKind.DUE_SOON)
    path = url.split("localhost", 1)[-1] if "localhost" in url else "/" + url.split("/", 3)[3]
    assert client.get(path).status_code == 200
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # no CSRF token: RFC 8058
    assert (
        db.session.scalar(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == person.id)) == "due_soon"
    )
    assert client.post(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 410
    login_as(person)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'value="due_soon"' in page and 'value="overdue"' not in page  # overdue is mandatory by default
    client.post("/account/notifications", data={"wanted": ["due_soon", "certificate_expiring"]})
    assert mail.opt_outs_of(person) >= {"assignment_created", "certificate_issued"}
    assert "due_soon" not in mail.opt_outs_of(person)


def test_assignment_form_warns_about_a_past_date_and_takes_relative_rules(app, client, login_as, make_user):
    course = factories.make_course()
    manager = make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    login_as(manager)
    past = (date.today() - timedelta(days=3)).isoformat()
    form = {
        "item": f"course:{course.id}",
        "target_type": "team",
        "team": str(team.id),
        "due_rule": "fixed",
        "due_on": past,
    }
    warned = client.post("/manager/assignments", data=form)
    assert warned.status_code == 400 and b"in the past" in warned.data
    assert db.session.scalar(select(Assignment).where(Assignment.course_id == course.id)) is None
    assert client.post("/manager/assignments", data={**form, "confirm_past": "y"}).status_code == 302
    relative = {**form, "due_rule": "after_joining", "due_days": "30", "due_on": ""}
    assert client.post("/manager/assignments", data=relative).status_code == 302
    assignment = db.session.scalar(select(Assignment).where(Assignment.course_id == course.id))
    assert (assignment.due_rule, assignment.due_days) == ("after_joining", 30)
    assert b"Within 30 days of joining the team" in client.get("/manager/assignments").data
