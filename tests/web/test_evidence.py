"""The evidence report of AI-literacy training: data, scopes, CSV, PDF, audit and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests import factories
from tests.conftest import attachment_name
from tracker.extensions import db
from tracker.models import AuditEvent, Role, utcnow
from tracker.services.certification import lifecycle
from tracker.services.content import editor
from tracker.services.organisation import assignments
from tracker.services.reporting import evidence, status_table
from tracker.services.reporting.records import EVIDENCE_CSV_HEADER

STATEMENT = (
    "This report records training provided and completed to support the organisation's AI-literacy measures "
    "under Article 4 of Regulation (EU) 2024/1689 (the AI Act). "
    "It is an internal record and not a certification of compliance."
)
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def org(app, make_user):
    """Dept (managed by Mia) > Squad; Other team apart; an admin without a team."""
    now = utcnow()
    essentials = factories.make_course("essentials", modules=1, lessons=1)
    responsible = factories.make_course("responsible-use", modules=1, lessons=1)
    prompting = factories.make_course("prompting", modules=1, lessons=1)
    manager = make_user(Role.MANAGER, email="mia@example.org", name="Mia Manager")
    dept = factories.make_team("Dept", manager=manager)
    squad = factories.make_team("Squad", parent=dept)
    other = factories.make_team("Other")
    manager.team = dept
    zoe = make_user(email="zoe@example.org", name="Zoë Ñúñez-Łukasiewicz", team=squad, job_role="Analyst")
    fyodor = make_user(email="fyodor@example.org", name="Фёдор Достоевский", team=dept, job_role="Engineer")
    pat = make_user(email="pat@example.org", name="Pat Overdue", team=dept)
    ned = make_user(email="ned@example.org", name="Ned Nothing", team=squad)
    nora = make_user(email="nora@example.org", name="Nora Elsewhere", team=other)
    make_user(email="gone@example.org", name="Gone Person", team=dept, active=False)
    admin = make_user(Role.ADMIN, email="admin@example.org", name="Ada Admin")

    valid = factories.complete_course(zoe, essentials, now=now - timedelta(days=10))
    expired = factories.complete_course(fyodor, responsible, now=now - timedelta(days=400))
    assignments.assign(None, course=prompting, user=pat, due_on=(now - timedelta(days=5)).date())
    assignments.assign(None, course=essentials, team=other, due_on=date(2099, 1, 31))
    db.session.commit()
    return {
        "now": now,
        "teams": {"dept": dept, "squad": squad, "other": other},
        "users": {
            "zoe": zoe,
            "fyodor": fyodor,
            "pat": pat,
            "ned": ned,
            "nora": nora,
            "manager": manager,
            "admin": admin,
        },
        "certs": {"valid": valid, "expired": expired},
        "courses": {"essentials": essentials, "responsible": responsible, "prompting": prompting},
    }


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert attachment_name(response).startswith("ai-literacy-evidence-")
    text = response.get_data().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == EVIDENCE_CSV_HEADER
    return list(reader)


def by_email(rows) -> dict[str, list[dict[str, str]]]:
    result: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        result.setdefault(row["email"], []).append(row)
    return result


# --- the data ----------------------------------------------------------------------------------------------------


def test_report_rows_for_the_organisation(app, org):
    report = evidence.build(evidence.organisation_scope(), "Northwind Logistics Ltd", now=org["now"])
    people = {p.email: p for p in report.people}

    assert set(people) == {
        "zoe@example.org", "fyodor@example.org", "pat@example.org", "ned@example.org", "nora@example.org",
        "mia@example.org", "admin@example.org",
    }  # fmt: skip
    assert report.inactive_excluded == 1
    assert report.scope_label == "Whole organisation"
    assert report.organisation_name == "Northwind Logistics Ltd"

    zoe = people["zoe@example.org"]
    assert (zoe.name, zoe.team, zoe.job_role, zoe.role) == ("Zoë Ñúñez-Łukasiewicz", "Squad", "Analyst", "Learner")
    [done] = zoe.completed
    cert = org["certs"]["valid"]
    assert (done.course_title, done.course_version, done.score) == ("Course essentials", 1, 100)
    assert done.certificate_code == cert.code
    assert (done.status, done.status_label) == ("valid", "Valid")
    assert done.expires_at == cert.expires_at
    assert zoe.due == ()

    fyodor = people["fyodor@example.org"]
    [old] = fyodor.completed
    assert (old.status, old.status_label) == ("expired", "Expired")
    [renewal] = fyodor.due
    assert (renewal.kind, renewal.course_title, renewal.overdue) == ("renewal", "Course responsible-use", True)
    assert renewal.due_on == org["certs"]["expired"].expires_at.date()

    pat = people["pat@example.org"]
    assert pat.completed == ()
    assert pat.due_next.kind == "assignment"
    assert pat.due_next.course_title == "Course prompting"
    assert pat.due_next.overdue is True

    assert people["ned@example.org"].completed == () and people["ned@example.org"].due == ()
    nora = people["nora@example.org"].due_next
    assert (nora.kind, nora.due_on, nora.overdue) == ("assignment", date(2099, 1, 31), False)
    assert people["admin@example.org"].team is None
    assert (report.with_completion, report.without_completion, report.with_overdue) == (2, 5, 2)


def test_expiring_certificate_is_due_for_renewal_but_not_overdue(app, org):
    zoe, now = org["users"]["zoe"], org["now"]
    factories.complete_course(zoe, org["courses"]["responsible"], now=now - timedelta(days=350))
    report = evidence.build(evidence.team_scope(org["teams"]["squad"]), "Org", now=now)
    person = next(p for p in report.people if p.email == "zoe@example.org")
    expiring = next(c for c in person.completed if c.course_title == "Course responsible-use")
    assert (expiring.status, expiring.status_label) == ("expiring", "Expiring within 30 days")
    assert person.due_next.kind == "renewal" and person.due_next.overdue is False


def test_report_queries_do_not_grow_with_people(app, make_user, count_queries):
    course = factories.make_course("counted", modules=1, lessons=1)
    team = factories.make_team("Counted team")
    assignments.assign(None, course=course, team=team, due_on=date(2030, 1, 1))
    db.session.commit()

    def add_people(n: int) -> None:
        for i in range(n):
            person = make_user(team=team, job_role="Analyst")
            if i % 2 == 0:
                factories.complete_course(person, course)

    def queries() -> int:
        db.session.expire_all()
        scope = evidence.team_scope(team)
        with count_queries() as counter:
            report = evidence.build(scope, "Org")
        assert report.people
        return counter.count

    add_people(3)
    three = queries()
    add_people(37)
    forty = queries()
    assert three == forty <= 6, (three, forty)


# --- the pages and downloads -------------------------------------------------------------------------------------


def test_admin_csv_of_the_organisation(client, login_as, org):
    login_as(org["users"]["admin"])
    rows = read_csv(client.get("/reports/evidence.csv"))
    people = by_email(rows)

    assert "gone@example.org" not in people  # deactivated accounts are left out
    [zoe] = people["zoe@example.org"]
    cert = org["certs"]["valid"]
    assert zoe["person_name"] == "Zoë Ñúñez-Łukasiewicz"
    assert (zoe["team"], zoe["job_role"], zoe["role"]) == ("Squad", "Analyst", "Learner")
    assert (zoe["course_title"], zoe["course_version"], zoe["score_percent"]) == ("Course essentials", "1", "100")
    assert zoe["certificate_code"] == cert.code
    assert (zoe["certificate_status"], zoe["certificate_status_label"]) == ("valid", "Valid")
    assert zoe["completed_at_utc"] == cert.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert zoe["certificate_expires_at_utc"] == cert.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert zoe["due_next"] == "" and zoe["open_items"] == "0"

    [fyodor] = people["fyodor@example.org"]
    assert fyodor["certificate_status_label"] == "Expired"
    assert (fyodor["due_next_kind"], fyodor["due_next_overdue"]) == ("renewal", "yes")

    [pat] = people["pat@example.org"]
    assert pat["course_title"] == "" and pat["completed_at_utc"] == ""
    assert (pat["due_next"], pat["due_next_kind"], pat["due_next_overdue"]) == ("Course prompting", "assignment", "yes")
    assert pat["due_next_date"] == (org["now"] - timedelta(days=5)).date().isoformat()

    [ned] = people["ned@example.org"]
    assert all(ned[column] == "" for column in ("course_title", "certificate_code", "due_next"))

    for row in rows:
        for column in ("completed_at_utc", "certificate_expires_at_utc", "report_generated_at_utc"):
            assert row[column] == "" or ISO_UTC.match(row[column]), (column, row[column])
        assert row["due_next_date"] == "" or date.fromisoformat(row["due_next_date"])

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.evidence_downloaded"))
    assert event.actor_id == org["users"]["admin"].id
    assert event.details["scope"] == "organisation" and event.details["format"] == "csv"
    assert event.details["people"] == len(people)


def test_manager_sees_own_team_and_sub_teams_only(client, login_as, org):
    login_as(org["users"]["manager"])
    teams = org["teams"]

    default = by_email(read_csv(client.get("/reports/evidence.csv")))
    assert set(default) == {
        "zoe@example.org", "fyodor@example.org", "pat@example.org", "ned@example.org", "mia@example.org"
    }  # fmt: skip
    squad = by_email(read_csv(client.get(f"/reports/evidence.csv?team={teams['squad'].id}")))
    assert set(squad) == {"zoe@example.org", "ned@example.org"}

    for url in ("/reports/evidence", "/reports/evidence.csv", "/reports/evidence.pdf"):
        assert client.get(f"{url}?team={teams['other'].id}").status_code == 404
        assert client.get(f"{url}?team=999999").status_code == 404
        assert client.get(f"{url}?team=abc").status_code == 404

    page = client.get(f"/reports/evidence?team={teams['dept'].id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Team Dept and its sub-teams Squad" in body
    assert "Nora Elsewhere" not in body and "Other" not in body
    assert STATEMENT.replace("'", "&#39;") in body

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.evidence_downloaded")).all()
    assert [(e.details["scope"], e.details["format"]) for e in events] == [("team", "csv"), ("team", "csv")]
    assert events[1].target_type == "team" and events[1].target_id == str(teams["squad"].id)


def test_learners_and_anonymous_are_refused(client, login_as, org):
    assert client.get("/reports/evidence").status_code == 302
    login_as(org["users"]["zoe"])
    for url in ("/reports/evidence", "/reports/evidence.csv", "/reports/evidence.pdf"):
        assert client.get(url).status_code == 403


def test_admin_page_offers_every_team_and_the_organisation(client, login_as, org):
    login_as(org["users"]["admin"])
    body = client.get("/reports/evidence").get_data(as_text=True)
    assert "Whole organisation" in body
    assert "Dept / Squad (with sub-teams)" in body and "Other (with sub-teams)" in body
    assert "Zoë Ñúñez-Łukasiewicz" in body and "Nora Elsewhere" in body
    assert "Overdue since" in body and "No completed course recorded" in body
    assert "1 deactivated account is not included." in body
    assert "compliant" not in body.lower()


def test_pdf_download(client, login_as, org):
    login_as(org["users"]["manager"])
    response = client.get(f"/reports/evidence.pdf?team={org['teams']['dept'].id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert attachment_name(response).endswith(".pdf")

    reader = PdfReader(io.BytesIO(response.data))
    pages = [page.extract_text() for page in reader.pages]
    text = " ".join(" ".join(pages).split())
    assert "Zoë Ñúñez-Łukasiewicz" in text and "Фёдор Достоевский" in text
    assert "Nora Elsewhere" not in text
    assert STATEMENT in text
    assert "compliant" not in text.lower()
    assert text.lower().count("compliance") == 1
    assert "Team Dept and its sub-teams Squad" in text
    assert "Example Organisation" in text  # ORGANISATION_NAME
    assert org["certs"]["valid"].code[:12] in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert reader.metadata.author == "Example Organisation"

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.evidence_downloaded"))
    assert (event.details["scope"], event.details["format"]) == ("team", "pdf")


def test_download_queries_do_not_grow_with_people(client, login_as, make_user, count_queries, org):
    login_as(org["users"]["admin"])
    url = f"/reports/evidence.csv?team={org['teams']['other'].id}"
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for i in range(30):
        person = make_user(team=org["teams"]["other"])
        if i % 3 == 0:
            factories.complete_course(person, org["courses"]["essentials"])
    with count_queries() as many:
        assert len(read_csv(client.get(url))) == 31  # Nora and 30 more, one course at most each
    assert few.count == many.count


def test_each_completion_shows_its_attempts_and_the_time_from_first_lesson_to_pass(client, login_as, app, make_user):
    """The evidence of learning stored with each completion: the page, the CSV and the PDF all carry it."""
    from tracker.services.learning import attempts, lessons

    course = factories.make_course("evidenced", modules=1, lessons=2)
    learner = make_user(name="Eve Evidence", email="eve@example.org")
    admin = make_user(Role.ADMIN)
    opened = utcnow() - timedelta(days=2)
    module = course.modules[0]
    for n, lesson in enumerate(module.lessons):
        lessons.read_lesson(
            learner, lesson, now=opened + timedelta(minutes=5 * n + 4), opened=opened + timedelta(minutes=5 * n)
        )
    failed = attempts.start_attempt(learner, module.quiz, now=opened + timedelta(minutes=20))
    attempts.submit_attempt(
        learner, failed, factories.answers_for(failed, correct=False), now=opened + timedelta(minutes=25)
    )
    passed = attempts.start_attempt(learner, module.quiz, now=opened + timedelta(minutes=30))
    attempts.submit_attempt(learner, passed, factories.answers_for(passed), now=opened + timedelta(hours=3))
    db.session.commit()

    login_as(admin)
    [row] = by_email(read_csv(client.get("/reports/evidence.csv")))["eve@example.org"]
    assert row["quiz_attempts"] == "2"
    assert row["first_lesson_opened_at_utc"] == opened.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["seconds_first_lesson_to_completion"] == str(3 * 3600)

    page = " ".join(client.get("/reports/evidence").get_data(as_text=True).split())
    assert "2 quiz attempts · 3 hours from first lesson to pass" in page

    pdf = PdfReader(io.BytesIO(client.get("/reports/evidence.pdf").data))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "2 quiz attempts · 3 hours from first lesson to pass" in text


# --- the page: one page of people, counts of everybody ----------------------------------------------------------


def test_page_shows_fifty_people_counts_everybody_and_a_page_past_the_end_goes_to_the_last(
    client, login_as, make_user, org
):
    team = org["teams"]["other"]
    for i in range(60):
        person = make_user(team=team, name=f"Paged {i:02d}", email=f"paged{i:02d}@example.org")
        if i % 4 == 0:
            factories.complete_course(person, org["courses"]["prompting"])
    db.session.commit()
    login_as(org["users"]["admin"])

    first = client.get(f"/reports/evidence?team={team.id}").get_data(as_text=True)
    assert first.count('class="evidence-person"') == 50  # Nora and 60 more: 50 on the first page
    assert "Paged 00" in first and "Paged 49" not in first  # the matrix's name order: Nora, then Paged 00...
    people = re.search(r"People in scope</dt><dd>(\d+)<", first)
    completed = re.search(r"With a completed course</dt><dd>(\d+)<", first)
    overdue = re.search(r"With overdue training</dt><dd>(\d+)<", first)
    assert (people.group(1), completed.group(1), overdue.group(1)) == ("61", "15", "0")
    assert "Page 1 of 2" in first and f"/reports/evidence?page=2&amp;team={team.id}" in first

    second = client.get(f"/reports/evidence?team={team.id}&page=2").get_data(as_text=True)
    assert second.count('class="evidence-person"') == 11
    assert "Paged 59" in second and "Paged 00" not in second
    assert re.search(r"People in scope</dt><dd>61<", second)

    past = client.get(f"/reports/evidence?team={team.id}&page=9")
    assert past.status_code == 302 and past.headers["Location"].endswith(f"/reports/evidence?team={team.id}&page=2")

    # The downloads stay complete, in the same order as the page.
    rows = read_csv(client.get(f"/reports/evidence.csv?team={team.id}"))
    assert len(by_email(rows)) == 61
    assert [r["person_name"] for r in rows[:2]] == ["Nora Elsewhere", "Paged 00"]


def test_headline_counts_follow_the_report_rules(app, org, make_user):
    """The counts of the page (kept with the matrix) agree with the complete report's per-person rules, for a mix
    of people where the report's rules and the matrix's statuses differ, in every kind of scope, and later on when
    due dates have passed and certificates expired by themselves."""
    now = org["now"]
    admin, dept, squad, other = (
        org["users"]["admin"],
        org["teams"]["dept"],
        org["teams"]["squad"],
        org["teams"]["other"],
    )
    pat, zoe, fyodor = org["users"]["pat"], org["users"]["zoe"], org["users"]["fyodor"]
    essentials, responsible, prompting = (org["courses"][name] for name in ("essentials", "responsible", "prompting"))
    # Pat completes another course: still overdue on the assigned one.
    factories.complete_course(pat, essentials, now=now - timedelta(days=3))
    # Zoë's assigned course is past due but she completed it long ago: nothing due for it (an expired renewal
    # is due instead, counted once).
    factories.complete_course(zoe, prompting, now=now - timedelta(days=500))
    assignments.assign(None, course=prompting, user=zoe, due_on=(now - timedelta(days=2)).date())
    # Fyodor's certificate expired and he started renewing it (a new cycle): the renewal is still overdue.
    lifecycle.start_renewal(fyodor, responsible, now=now)
    # A revoked certificate of an assigned course past due: completed once, so nothing is due (the matrix: overdue).
    rita = make_user(email="rita@example.org", name="Rita Revoked", team=dept)
    lifecycle.revoke(factories.complete_course(rita, prompting, now=now - timedelta(days=400)), admin, "test")
    assignments.assign(None, course=prompting, user=rita, due_on=(now - timedelta(days=1)).date())
    # A certificate still pending has no expiry status: no renewal due (the matrix: expired).
    penny = make_user(email="penny@example.org", name="Penny Pending", team=squad)
    factories.pending(factories.complete_course(penny, responsible, now=now - timedelta(days=400)))
    # An expired certificate of a course withdrawn since: the report still lists its renewal (the matrix has no
    # cell for it); another expires in three days, and an assignment falls due in two.
    legacy = factories.make_course("legacy", modules=1, lessons=1)
    uma = make_user(email="uma@example.org", name="Uma Unpublished", team=other)
    factories.complete_course(uma, legacy, now=now - timedelta(days=400))
    soon = make_user(email="soon@example.org", name="Sol Soon", team=other)
    factories.complete_course(soon, legacy, now=now - timedelta(days=362))
    editor.set_published(admin, legacy, False)
    tia = make_user(email="tia@example.org", name="Tia Later", team=squad)
    assignments.assign(None, course=responsible, user=tia, due_on=(now + timedelta(days=2)).date())
    make_user(email="gone2@example.org", name="Gone Too", team=other, active=False)
    db.session.commit()

    scopes = (
        evidence.organisation_scope(),
        evidence.team_scope(dept),
        evidence.team_scope(other),
        evidence.managed_scope(admin, {squad.id, other.id}),  # two whole subtrees
        evidence.managed_scope(admin, {dept.id}),  # a team without the team below it: counted from the people
    )
    seen = set()
    for moment in (now, now + timedelta(days=10), now):
        for scope in scopes:
            counts = evidence.page(scope, "Org", 1, now=moment).headline
            report = evidence.build(scope, "Org", now=moment)
            expected = (len(report.people), report.with_completion, report.with_overdue, report.inactive_excluded)
            assert (counts.people, counts.with_completion, counts.with_overdue, counts.inactive_excluded) == expected
            seen.add((scope.label, moment, expected))
        assert status_table.differences(now=moment) == []
    organisation = {moment: counts for label, moment, counts in seen if label == scopes[0].label}
    # pat, zoe, fyodor, uma overdue now; ten days later tia's assignment and sol's renewal too
    assert organisation[now] == (12, 7, 4, 2)
    assert organisation[now + timedelta(days=10)] == (12, 7, 6, 2)


def test_page_queries_are_the_same_at_two_sizes(client, login_as, make_user, count_queries, org):
    team = org["teams"]["other"]
    admin, manager = org["users"]["admin"], org["users"]["manager"]

    def measured(user, url: str) -> int:
        login_as(user)
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    # The organisation, a team, the teams a manager manages (Dept and Squad), and a page further on.
    urls = ((admin, "/reports/evidence"), (admin, f"/reports/evidence?team={team.id}"), (manager, "/reports/evidence"))
    few = [measured(user, url) for user, url in urls]
    for i in range(70):
        person = make_user(team=team, job_role="Analyst" if i % 2 else None)
        if i % 3 == 0:
            factories.complete_course(person, org["courses"]["essentials"])
        overdue = make_user(team=org["teams"]["squad"])
        assignments.assign(None, course=org["courses"]["prompting"], user=overdue, due_on=date(2020, 1, 1))
    db.session.commit()
    many = [measured(user, url) for user, url in urls]
    assert few == many, (few, many)
    assert measured(admin, f"/reports/evidence?team={team.id}&page=2") == few[1]
