"""A person's training record (transcript): who may open it, what it shows, its CSV, and its fixed query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import attachment_name
from tracker.extensions import db
from tracker.models import Role, utcnow
from tracker.services import certification
from tracker.services.learning import attempts, lessons
from tracker.services.organisation import assignments
from tracker.services.reporting import transcript

ROOT = Path(__file__).resolve().parents[2]


def record_url(person) -> str:
    return f"/transcripts/{person.id}"


@pytest.fixture
def org(app, make_user):
    """Alpha (managed by Boss) holds Ann; Beta (Other Boss) holds Zed. Ann completed the course after a failed
    attempt, with the time on each lesson recorded; her certificate was then revoked."""
    boss = make_user(Role.MANAGER, name="Boss")
    other_boss = make_user(Role.MANAGER, name="Other Boss")
    admin = make_user(Role.ADMIN, name="Ada Admin")
    alpha = factories.make_team("Alpha", manager=boss)
    beta = factories.make_team("Beta", manager=other_boss)
    course = factories.make_course("record-course", modules=2, lessons=2, max_attempts=3)
    later = factories.make_course("record-later", modules=1, lessons=1)
    ann = make_user(name="Ann Álvarez", email="ann@example.org", team=alpha, job_role="Analyst")
    zed = make_user(name="Zed", email="zed@example.org", team=beta)
    start = utcnow() - timedelta(days=3)
    for m, module in enumerate(course.modules):
        for n, lesson in enumerate(module.lessons):
            opened = start + timedelta(hours=m, minutes=10 * n)
            lessons.read_lesson(ann, lesson, now=opened + timedelta(minutes=4), opened=opened)
        if m == 0:  # one failed attempt first
            failed = attempts.start_attempt(ann, module.quiz, now=start + timedelta(hours=m, minutes=30))
            attempts.submit_attempt(ann, failed, factories.answers_for(failed, correct=False))
        attempt = attempts.start_attempt(ann, module.quiz, now=start + timedelta(hours=m, minutes=40))
        passed_at = start + timedelta(hours=m, minutes=45)
        attempts.submit_attempt(ann, attempt, factories.answers_for(attempt), now=passed_at)
    assignments.assign(None, course=later, user=ann, due_on=date.today() - timedelta(days=1))
    db.session.commit()
    cert = certification.current_certificate(ann.id, course.id)
    certification.revoke(cert, admin, "Shared answers with a colleague", public_reason="Issued in error")
    db.session.commit()
    return {
        "boss": boss, "other_boss": other_boss, "admin": admin, "alpha": alpha, "course": course, "later": later,
        "ann": ann, "zed": zed, "cert": cert, "start": start,
    }  # fmt: skip


# --- who may open it ----------------------------------------------------------------------------------------------


def test_admins_open_anyone_and_managers_only_their_people(client, login_as, org, make_user):
    login_as(org["admin"])
    assert client.get(record_url(org["ann"])).status_code == 200
    assert client.get(record_url(org["zed"])).status_code == 200
    assert client.get("/transcripts/999999").status_code == 404
    login_as(org["boss"])
    assert client.get(record_url(org["ann"])).status_code == 200
    assert client.get(record_url(org["zed"])).status_code == 404  # outside Boss's teams: not revealed
    assert client.get(f"{record_url(org['zed'])}.csv").status_code == 404
    login_as(org["ann"])
    assert client.get(record_url(org["ann"])).status_code == 403  # learners have their own pages
    login_as(make_user(Role.MANAGER, name="Teamless"))
    assert client.get(record_url(org["ann"])).status_code == 403


def test_reached_from_the_admin_person_page_and_the_matrix(client, login_as, org):
    login_as(org["admin"])
    assert f'href="{record_url(org["ann"])}"' in client.get(f"/admin/people/{org['ann'].id}").get_data(as_text=True)
    login_as(org["boss"])
    matrix = client.get("/manager/").get_data(as_text=True)
    assert f'<a href="{record_url(org["ann"])}">Ann Álvarez</a>' in matrix


# --- what it shows ------------------------------------------------------------------------------------------------


def test_the_record_shows_courses_attempts_evidence_lessons_certificates_and_events(client, login_as, org):
    login_as(org["admin"])
    page = client.get(record_url(org["ann"])).get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Training record: Ann Álvarez" in text and "Alpha · Analyst" in text
    # Courses with progress and the assignment with its due date (overdue).
    assert "Course record-course" in text and "Course record-later" in text and "Overdue" in text
    # Every attempt: the failed and the passed one of module 1, with score, result and language.
    assert text.count("Not passed") == 1 and text.count("Passed") >= 2
    assert "2 of 3 attempts used in this cycle." in text and "English" in text
    # Evidence of the completion: three attempts, and the time from the first lesson to the pass.
    completion = re.search(r"Completions and evidence of learning(.*?)Lessons read", text).group(1)
    assert " 3 " in completion and "2 hours" in completion
    # Time on each lesson page (4 minutes each).
    assert text.count("4 minutes") == 4
    # Certificates: revoked, with the public reason and (for admins) the internal one.
    assert org["cert"].code in text and "Revoked" in text and "Issued in error" in text
    assert "Shared answers with a colleague" in text
    # Audit events about her certificate.
    assert "certificate.revoked" in text and "certificate.issued" in text


def test_managers_see_no_internal_reasons_or_event_details(client, login_as, org):
    login_as(org["boss"])
    page = client.get(record_url(org["ann"])).get_data(as_text=True)
    assert "Issued in error" in page and "certificate.revoked" in page
    assert "Shared answers with a colleague" not in page
    assert "Details stay with the administrators." in page


def test_the_record_prints_without_navigation(client, login_as, org):
    login_as(org["boss"])
    page = client.get(record_url(org["ann"])).get_data(as_text=True)
    assert 'href="/static/css/print.css"' in page
    stylesheet = (ROOT / "static/css/print.css").read_text()
    printed_away = re.search(r"@media print \{\s*([^{]+)\{ display: none !important; \}", stylesheet).group(1)
    for selector in (".site-header", ".site-footer", ".breadcrumb", ".no-print", "form"):
        assert selector in printed_away
    assert 'class="actions no-print"' in page


def test_csv_holds_the_same_records(client, login_as, org):
    login_as(org["admin"])
    response = client.get(f"{record_url(org['ann'])}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert attachment_name(response).startswith(f"transcript-{org['ann'].id}-")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    kinds = [row["record"] for row in rows]
    assert kinds.count("course") == 2 and kinds.count("attempt") == 3 and kinds.count("lesson") == 4
    assert kinds.count("completion") == 1 and kinds.count("certificate") == 1 and "event" in kinds
    [completion] = [row for row in rows if row["record"] == "completion"]
    assert completion["attempts"] == "3" and int(completion["seconds"]) == 105 * 60
    assert {row["seconds"] for row in rows if row["record"] == "lesson"} == {"240"}
    [cert] = [row for row in rows if row["record"] == "certificate"]
    assert cert["status"] == "revoked" and "Issued in error" in cert["detail"]
    [later] = [row for row in rows if row["record"] == "course" and row["course_slug"] == "record-later"]
    assert later["due_on"] and later["detail"] == "overdue" and later["status"] == "not_started"


def test_manager_csv_leaves_the_internal_reason_out(client, login_as, org):
    login_as(org["boss"])
    body = client.get(f"{record_url(org['ann'])}.csv").get_data().decode("utf-8-sig")
    assert "Issued in error" in body and "Shared answers" not in body


def test_queries_do_not_grow_with_courses_or_attempts(app, client, login_as, make_user, count_queries):
    admin = make_user(Role.ADMIN)
    person = make_user(team=factories.make_team("Counted"))
    login_as(admin)

    def take(n_courses: int) -> None:
        for _ in range(n_courses):
            course = factories.make_course(modules=2, lessons=2)
            for module in course.modules:
                for lesson in module.lessons:
                    lessons.read_lesson(person, lesson)
                failed = attempts.start_attempt(person, module.quiz)
                attempts.submit_attempt(person, failed, factories.answers_for(failed, correct=False))
                passed = attempts.start_attempt(person, module.quiz)
                attempts.submit_attempt(person, passed, factories.answers_for(passed))
        db.session.commit()

    def queries() -> int:
        client.get(record_url(person))  # warm up: course content is cached per version
        with count_queries() as counter:
            response = client.get(record_url(person))
        assert response.status_code == 200
        return counter.count

    take(1)
    one = queries()
    take(9)
    ten = queries()
    print(f"transcript page: {one} queries with 1 course, {ten} with 10 courses")
    assert one == ten <= 13, (one, ten)


def test_service_reads_each_kind_of_record_once(app, org, count_queries):
    transcript.build(org["ann"], "en", internal=True)  # warm up: course content is cached per version
    with count_queries() as counter:
        record = transcript.build(org["ann"], "en", internal=True)
    assert [c.slug for c in record.courses] == ["record-course", "record-later"]
    # progress, completions, certificates, attempts, grants, lessons read, assignments with the teams above the
    # person's (due dates, one statement), courses, audit events, the team's name
    assert counter.count == 10, counter.statements
