"""The CSV import of people: reading, every kind of bad row, manager rules, limits, applying, repeating."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import AuditEvent, Role, Team, User
from tracker.services import DomainError
from tracker.services.organisation.people import csv_rows
from tracker.services.organisation.people.imports import apply_import, confirm, plan_import, preview, sign_file

SECRET = "test-secret-key-that-is-long-enough-0123456789"
HEADER = "email,name,team,job_role,manager"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.org")


def csv(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def snapshot() -> tuple:
    """Everything an import could change, to compare before and after."""
    db.session.expire_all()
    users = db.session.execute(
        select(User.email, User.display_name, User.role, User.team_id, User.job_role).order_by(User.email)
    ).all()
    teams = [(t.name, [m.id for m in t.managers]) for t in db.session.scalars(select(Team).order_by(Team.name))]
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return [tuple(u) for u in users], teams, events


def errors_by_line(plan) -> dict[int, list[str]]:
    return {row.line: row.errors for row in plan.bad_rows}


def run(text: str, actor: User):
    plan = plan_import(text, "people.csv")
    assert plan.ok, (plan.file_errors, errors_by_line(plan))
    result = apply_import(plan, actor)
    db.session.commit()
    return result


def by_email(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


# --- a good file --------------------------------------------------------------------------------------------------


def test_good_file_creates_people_teams_and_managers(app, admin):
    existing = factories.make_user(email="old@example.org", name="Old Name", job_role="Clerk")
    text = csv(
        "ann@example.org,Ann Archer,Sales,Rep,boss@example.org",
        "BOSS@Example.org , Bea Boss ,Sales,Head of sales,",
        "old@example.org,New Name,Legal,,",
        "cy@example.org,Cy,,,",
    )
    plan = plan_import(text)
    assert plan.ok
    assert [(r.line, r.action) for r in plan.rows] == [(2, "create"), (3, "create"), (4, "update"), (5, "create")]
    assert plan.rows[2].changes == ["name", "team"]  # an empty job role cell leaves the job role alone
    assert plan.new_teams == ["Legal", "Sales"]
    assert plan.manager_changes == [("Sales", "boss@example.org")]
    assert plan.promotions == ["boss@example.org"]

    result = apply_import(plan, admin)
    db.session.commit()
    assert (result.created, result.updated, result.changed, result.teams_created) == (3, 1, 1, 2)
    assert (result.managers_set, result.promoted) == (1, 1)

    ann, boss, old = by_email("ann@example.org"), by_email("boss@example.org"), by_email("old@example.org")
    assert (ann.display_name, ann.team.name, ann.job_role, ann.role) == ("Ann Archer", "Sales", "Rep", "learner")
    assert ann.must_change_password is True and ann.active is True
    assert boss.display_name == "Bea Boss" and boss.role == "manager"
    assert ann.team.managers == [boss]
    assert (old.id, old.display_name, old.team.name, old.job_role) == (existing.id, "New Name", "Legal", "Clerk")
    assert by_email("cy@example.org").team_id is None

    imported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.imported")).all()
    assert len(imported) == 1 and imported[0].actor_id == admin.id
    assert imported[0].details["created"] == 3 and imported[0].details["rows"] == 4
    promoted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert promoted.target_id == str(boss.id)
    assert (promoted.details["old"], promoted.details["new"]) == ("learner", "manager")


def test_imported_people_cannot_sign_in_until_a_reset(app, admin, client):
    run(csv("ann@example.org,Ann,,,"), admin)
    ann = by_email("ann@example.org")
    for guess in ("", ann.password_hash, "!", "password"):
        assert client.post("/login", data={"email": ann.email, "password": guess}).status_code == 200


def test_double_confirm_creates_nothing_twice(app, admin):
    text = csv("ann@example.org,Ann,Sales,Rep,ann@example.org", "bob@example.org,Bob,Sales,,ann@example.org")
    token = sign_file(text, "people.csv", SECRET)
    _, first = confirm(token, SECRET, admin)
    db.session.commit()
    assert (first.created, first.teams_created, first.managers_set, first.promoted) == (2, 1, 1, 1)
    before = snapshot()

    plan, second = confirm(token, SECRET, admin)
    db.session.commit()
    assert (second.created, second.updated, second.changed) == (0, 2, 0)
    assert (second.teams_created, second.managers_set, second.promoted) == (0, 0, 0)
    assert "0 created, 2 updated (0 changed)" in second.summary()
    users, teams, events = snapshot()
    assert (users, teams) == before[:2]
    assert events == before[2] + 1  # only the second people.imported entry


def test_a_changed_confirmation_is_refused(app, admin):
    token = sign_file(csv("ann@example.org,Ann,,,"), "people.csv", SECRET)
    other = sign_file(csv("eve@example.org,Eve,,,", header="email,name,team,job_role,manager"), "x.csv", "other-key")
    before = snapshot()
    for bad in (token[:-2] + "xx", other, "", "not a token"):
        with pytest.raises(DomainError, match="upload the file again"):
            confirm(bad, SECRET, admin)
    assert snapshot() == before


def test_signed_payload_is_compressed(app):
    text = csv(*(f"person{n}@example.org,Person {n},Team {n % 10},Analyst," for n in range(1000)))
    assert len(sign_file(text, "people.csv", SECRET)) < len(text) / 2


# --- reading: encoding, header, blank lines -----------------------------------------------------------------------


def test_byte_order_mark_and_crlf_are_accepted(app):
    raw = "\ufeffEmail,Name\r\nann@example.org,Ann\r\n".encode()
    plan = preview(raw, "people.csv")
    assert plan.ok and plan.rows[0].email == "ann@example.org"


def test_non_utf8_is_refused(app):
    with pytest.raises(DomainError, match="not UTF-8"):
        preview("email,name\nzoë@example.org,Zoë\n".encode("latin-1"))


@pytest.mark.parametrize(
    "header",
    [
        "email,name,team,job_role,manager",
        "EMAIL,Name,TEAM,Job Role,Manager",
        " manager , job-role ,team,name,email",
        "name,email",
    ],
)
def test_header_variants(app, header):
    columns = [c.strip().lower().replace(" ", "_").replace("-", "_") for c in header.split(",")]
    values = {"email": "ann@example.org", "name": "Ann", "team": "Sales", "job_role": "Rep", "manager": ""}
    plan = plan_import(csv(",".join(values[c] for c in columns), header=header))
    assert plan.ok, (plan.file_errors, errors_by_line(plan))
    row = plan.rows[0]
    assert (row.email, row.name) == ("ann@example.org", "Ann")
    assert row.team == ("Sales" if "team" in columns else None)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("email,name,department", "Unknown columns in the header: department"),
        ("email,team", "The header has no name column"),
        ("ann@example.org,Ann", "The header has no email or name column"),
        ("email,name,Email", "more than once in the header: email"),
        ("email,name,", "a column without a name"),
    ],
)
def test_wrong_header_is_refused(app, header, message):
    plan = plan_import(csv("a@example.org,A,B", header=header))
    assert not plan.ok
    assert any(message in error for error in plan.file_errors), plan.file_errors
    assert plan.rows == []


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff", "email,name\n", "email,name\n\n ,  \n"])
def test_empty_file_is_refused(app, text):
    plan = plan_import(text)
    assert not plan.ok and plan.file_errors
    assert plan.file_errors[0] in ("The file is empty.", "The file has a header but no people.")


def test_blank_lines_are_skipped_and_line_numbers_are_the_file_s(app):
    plan = plan_import('email,name\n\nann@example.org,Ann\n"bob@example.org","Bob\nSecond line"\n\nnot-an-email,Cy\n')
    assert [row.line for row in plan.rows] == [3, 4, 7]
    # A quoted cell may span lines (numbers stay the file's), but a name is one line: that row is reported.
    assert errors_by_line(plan).keys() == {4, 7}


# --- bad rows -----------------------------------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_and_nothing_changes(app, admin):
    factories.make_user(email="boss@example.org")
    factories.make_user(email="gone@example.org", active=False)
    factories.make_team("Legal", manager=factories.make_user(email="lawyer@example.org"))
    text = csv(
        ",No Email,,,",  # 2
        "not-an-email,Bad Email,,,",  # 3
        "dup@example.org,Dup One,,,",  # 4
        "no-name@example.org,,,,",  # 5
        f"long@example.org,{'n' * 121},,,",  # 6
        f"team@example.org,Team,{'t' * 121},,",  # 7
        "ghost-boss@example.org,Ghost,Sales,,nobody@example.org",  # 8
        "DUP@example.org,Dup Two,,,",  # 9
        "legal@example.org,Lee,Legal,,boss@example.org",  # 10
        "wrong@example.org,Wrong,a,b,c,d",  # 11
        "badboss@example.org,Bad Boss,Ops,,not an email",  # 12
        "noteam@example.org,No Team,,,boss@example.org",  # 13
        "left@example.org,Left,Support,,gone@example.org",  # 14
        f"job@example.org,Job,,{'j' * 121},",  # 15
        "fine@example.org,Fine,,,",  # 16
    )
    before = snapshot()
    plan = plan_import(text)
    assert not plan.ok
    errors = {line: " ".join(messages) for line, messages in errors_by_line(plan).items()}
    expected = {
        2: "The email is missing.",
        3: "“not-an-email” is not a valid email address",
        4: "The email dup@example.org appears more than once in the file (lines 4 and 9).",
        5: "The name is missing.",
        6: "The name is longer than 120 characters.",
        7: "The team name is longer than 120 characters.",
        8: "The manager nobody@example.org is neither an existing person nor a row in this file.",
        9: "The email dup@example.org appears more than once in the file (lines 4 and 9).",
        10: "The team Legal already has the manager lawyer@example.org, not boss@example.org.",
        11: "This line has 6 values; the header has 5.",
        12: "The manager “not an email” is not a valid email address",
        13: "A manager is given but no team",
        14: "The manager gone@example.org is deactivated.",
        15: "The job role is longer than 120 characters.",
    }
    assert errors.keys() == expected.keys()
    for line, message in expected.items():
        assert message in errors[line], (line, errors[line])
    assert plan.rows[-1].action == "create"  # good rows still say what would happen

    with pytest.raises(DomainError, match="Nothing was imported"):
        apply_import(plan, admin)
    db.session.rollback()
    assert snapshot() == before


def test_a_row_can_have_several_reasons(app):
    plan = plan_import(csv(f"not-an-email,,{'t' * 121},,"))
    [row] = plan.bad_rows
    assert len(row.errors) == 3


def test_duplicates_are_found_after_normalising(app):
    plan = plan_import(csv("ann@example.org,Ann,,,", " ANN@EXAMPLE.ORG ,Ann again,,,", "bob@example.org,Bob,,,"))
    assert errors_by_line(plan).keys() == {2, 3}
    assert "(lines 2 and 3)" in errors_by_line(plan)[2][0]


def test_a_confirmation_that_became_bad_imports_nothing(app, admin):
    token = sign_file(csv("ann@example.org,Ann,Sales,,boss@example.org", "boss@example.org,Boss,,,"), "f.csv", SECRET)
    factories.make_team("Sales", manager=factories.make_user(email="other@example.org"))
    before = snapshot()
    plan, result = confirm(token, SECRET, admin)
    assert result is None and plan.bad_rows
    assert snapshot() == before


# --- managers -----------------------------------------------------------------------------------------------------


def test_one_person_may_manage_two_teams(app, admin):
    run(
        csv(
            "boss@example.org,Boss,Board,,",
            "ann@example.org,Ann,Sales,,boss@example.org",
            "bob@example.org,Bob,Support,,boss@example.org",
        ),
        admin,
    )
    boss = by_email("boss@example.org")
    managed = sorted(t.name for t in db.session.scalars(select(Team)) if boss in t.managers)
    assert managed == ["Sales", "Support"]
    assert boss.role == "manager"
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.role_changed"))
        == 1
    )


def test_a_team_given_two_managers_in_the_file_is_refused(app):
    plan = plan_import(
        csv(
            "a@example.org,A,Sales,,a@example.org",
            "b@example.org,B,sales,,b@example.org",  # the same team, whatever the case
            "c@example.org,C,Sales,,",
        )
    )
    assert errors_by_line(plan).keys() == {2, 3}
    assert "more than one manager" in errors_by_line(plan)[2][0]


def test_the_same_manager_as_the_team_has_is_fine_and_admins_keep_their_role(app, admin):
    factories.make_team("Sales", manager=admin)
    plan = plan_import(csv("ann@example.org,Ann,SALES,,admin@example.org"))
    assert plan.ok
    assert plan.rows[0].team == "Sales"  # the existing spelling wins
    assert plan.manager_changes == [] and plan.promotions == [] and plan.new_teams == []
    run(csv("ann@example.org,Ann,SALES,,admin@example.org"), admin)
    assert by_email("admin@example.org").role == "admin"
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1


def test_a_team_without_a_manager_gets_one(app, admin):
    team = factories.make_team("Sales")
    manager = factories.make_user(Role.MANAGER, email="m@example.org")
    result = run(csv("ann@example.org,Ann,Sales,,m@example.org"), admin)
    assert (result.managers_set, result.promoted) == (1, 0)
    db.session.expire_all()
    assert db.session.get(Team, team.id).managers == [manager]


# --- size ---------------------------------------------------------------------------------------------------------


def five_thousand(extra: int = 0) -> str:
    return csv(*(f"person{n}@example.org,Person {n},Team {n % 30},Analyst," for n in range(5000 + extra)))


@pytest.mark.slow
def test_five_thousand_rows_preview_with_two_queries_and_import(app, admin, count_queries):
    text = five_thousand()
    with count_queries() as counter:
        plan = plan_import(text)
    assert plan.ok and len(plan.rows) == 5000
    assert counter.count == 2, counter.statements
    apply_import(plan, admin)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email.like("person%"))) == 5000


def test_queries_do_not_grow_with_rows(app, count_queries):
    for n in range(50):
        factories.make_user(email=f"person{n}@example.org")
    with count_queries() as few:
        plan_import(csv("person1@example.org,P,Sales,,person2@example.org"))
    with count_queries() as many:
        plan_import(csv(*(f"person{n}@example.org,P,Team {n},,person1@example.org" for n in range(50))))
    assert few.count == many.count == 2


def test_more_than_five_thousand_rows_are_refused(app):
    plan = plan_import(five_thousand(extra=1))
    assert not plan.ok
    assert plan.file_errors == ["The file has more than 5,000 rows; import at most 5,000 at a time."]


def test_limits_are_the_documented_ones():
    assert csv_rows.MAX_ROWS == 5000
    assert csv_rows.COLUMNS == ("email", "name", "team", "job_role", "manager", "language")
