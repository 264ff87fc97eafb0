"""The team matrix: statuses per cell, assignment resolution, filters, totals and constant query counts."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from tests import factories
from tracker.extensions import db
from tracker.models import CourseProgress, Role, User
from tracker.services import accounts
from tracker.services.learning import lessons
from tracker.services.organisation import assignments, teams
from tracker.services.reporting import matrix, status_table

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.mark.parametrize(
    ("percent", "completed", "due_on", "cert", "expected"),
    [
        (0, False, None, None, "not_started"),
        (40, False, None, None, "in_progress"),
        (40, False, TODAY - timedelta(days=1), None, "overdue"),
        (0, False, TODAY, None, "not_started"),  # due today is not overdue yet
        (100, True, TODAY - timedelta(days=1), (False, NOW + timedelta(days=200)), "completed"),
        (100, True, None, (False, NOW + timedelta(days=10)), "expiring"),
        (100, True, None, (False, NOW - timedelta(days=1)), "expired"),
        (100, True, None, None, "completed"),  # a course without certificates
        (100, True, TODAY - timedelta(days=3), (True, None), "overdue"),  # revoked: to be done again
    ],
)
def test_cell_status(percent, completed, due_on, cert, expected):
    assert matrix.cell_status(percent, completed, due_on, cert, TODAY, NOW) == expected


@pytest.fixture
def org(app, make_user):
    boss = make_user(Role.MANAGER, name="Boss")
    department = factories.make_team("Department", manager=boss)
    team_a = factories.make_team("Team A", parent=department)
    team_b = factories.make_team("Team B", parent=department)
    outside = factories.make_team("Outside")
    course_1 = factories.make_course("course-one")
    course_2 = factories.make_course("course-two")
    people = {
        "ann": make_user(name="Ann", team=team_a, job_role="Analyst"),
        "bob": make_user(name="Bob", team=team_a),
        "cat": make_user(name="Cat", team=team_b, job_role="Analyst"),
        "dan": make_user(name="Dan", team=outside, job_role="Analyst"),
    }
    return {
        "boss": boss,
        "department": department,
        "team_a": team_a,
        "team_b": team_b,
        "outside": outside,
        "courses": (course_1, course_2),
        **people,
    }


def test_assignments_reach_teams_below_people_and_job_roles(org):
    course_1, course_2 = org["courses"]
    assignments.assign(None, course=course_1, team=org["department"], due_on=date(2027, 1, 10))
    assignments.assign(None, course=course_1, user=org["bob"], due_on=date(2026, 12, 1))  # earlier date wins
    assignments.assign(None, course=course_2, job_role="Analyst", due_on=date(2027, 3, 1))
    db.session.commit()
    people = [assignments.Person(p.id, p.team_id, p.job_role) for p in (org["ann"], org["bob"], org["cat"], org["dan"])]
    due = assignments.due_dates(people)
    assert due[org["ann"].id] == {course_1.id: date(2027, 1, 10), course_2.id: date(2027, 3, 1)}
    assert due[org["bob"].id] == {course_1.id: date(2026, 12, 1)}
    assert due[org["cat"].id] == {course_1.id: date(2027, 1, 10), course_2.id: date(2027, 3, 1)}
    assert due[org["dan"].id] == {course_2.id: date(2027, 3, 1)}  # outside the department, but an Analyst


def test_new_team_members_get_existing_assignments(org, make_user):
    course_1, _ = org["courses"]
    assignments.assign(None, course=course_1, team=org["team_a"], due_on=date(2027, 1, 10))
    db.session.commit()
    newcomer = make_user(name="Newcomer", team=org["team_a"])
    result = matrix.build({org["team_a"].id}, matrix.Filters(), NOW)
    row = next(r for r in result.rows if r.id == newcomer.id)
    assert row.cells[course_1.id].assigned and row.cells[course_1.id].due_on == date(2027, 1, 10)


def test_same_assignment_twice_updates_the_due_date(org):
    course_1, _ = org["courses"]
    first, created = assignments.assign(None, course=course_1, team=org["team_a"], due_on=date(2027, 1, 10))
    again, created_again = assignments.assign(None, course=course_1, team=org["team_a"], due_on=date(2027, 2, 1))
    assert created and not created_again and first.id == again.id and again.due_on == date(2027, 2, 1)


def test_matrix_statuses_totals_filters_and_manager_scope(org):
    course_1, course_2 = org["courses"]
    assignments.assign(None, course=course_1, team=org["department"], due_on=TODAY - timedelta(days=5))
    factories.complete_course(org["ann"], course_1, now=NOW - timedelta(days=30))
    factories.complete_course(org["cat"], course_1, now=NOW - timedelta(days=350))  # expiring
    lesson = course_2.modules[0].lessons[0]
    lessons.read_lesson(org["bob"], lesson, now=NOW)
    db.session.commit()
    scope = teams.managed_team_ids(org["boss"])
    assert scope == {org["department"].id, org["team_a"].id, org["team_b"].id}
    result = matrix.build(scope, matrix.Filters(), NOW)
    names = [r.name for r in result.rows]
    assert names == ["Ann", "Bob", "Cat"]  # the boss has no team of their own
    cells = {r.name: r.cells for r in result.rows}
    assert cells["Ann"][course_1.id].status == "completed"
    assert cells["Bob"][course_1.id].status == "overdue"
    assert cells["Cat"][course_1.id].status == "expiring"
    assert cells["Bob"][course_2.id].status == "in_progress" and not cells["Bob"][course_2.id].assigned
    assert "Dan" not in names  # another team: not in the boss's scope
    totals = result.totals[course_1.id]
    assert totals.assigned == 3 and totals.completed == 2 and totals.by_status["overdue"] == 1
    overdue_only = matrix.build(scope, matrix.Filters(status="overdue"), NOW)
    assert [r.name for r in overdue_only.rows] == ["Bob"]
    team_b = matrix.build(scope, matrix.Filters(team_id=org["team_b"].id), NOW)
    assert [r.name for r in team_b.rows] == ["Cat"]
    by_completion = matrix.build(scope, matrix.Filters(sort="completion", course_id=course_1.id), NOW)
    assert by_completion.rows[0].name == "Bob"
    paged = matrix.build(scope, matrix.Filters(per_page=2, page=2), NOW)
    assert paged.total_people == len(names) and len(paged.rows) == len(names) - 2


def _bulk_people(team, count: int, course) -> None:
    """Insert many learners with progress directly: building thousands through the services would take minutes."""
    password = accounts.hash_password(factories.PASSWORD)
    start = db.session.query(User).count()
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bulk{start + i}@example.org",
                "display_name": f"Bulk {start + i:05d}",
                "password_hash": password,
                "role": "learner",
                "team_id": team.id,
                "session_token": f"t{start + i}",
                "timezone": "UTC",
                "active": True,
                "must_change_password": False,
                "created_at": NOW,
            }
            for i in range(count)
        ],
    )
    ids = [u.id for u in db.session.query(User.id).filter(User.team_id == team.id)]
    db.session.execute(
        insert(CourseProgress),
        [
            {
                "user_id": uid,
                "course_id": course.id,
                "percent": (uid * 7) % 100,
                "lessons_read": 1,
                "quizzes_passed": 0,
                "modules_completed": 0,
                "started_at": NOW,
                "last_activity_at": NOW,
                "cycle": 1,
            }
            for uid in ids
        ],
    )
    db.session.commit()


def test_matrix_query_count_is_the_same_for_50_and_5000_learners(org, count_queries):
    course_1, _ = org["courses"]
    assignments.assign(None, course=course_1, team=org["department"], due_on=TODAY + timedelta(days=5))
    db.session.commit()
    scope = teams.managed_team_ids(org["boss"])
    _bulk_people(org["team_a"], 50, course_1)
    status_table.sync(NOW)  # the tables as of NOW (the commit brought them up to the real clock)
    with count_queries() as small:
        first = matrix.build(scope, matrix.Filters(), NOW)
    _bulk_people(org["team_b"], 4950, course_1)
    status_table.sync(NOW)
    with count_queries() as large:
        second = matrix.build(scope, matrix.Filters(), NOW)
    assert first.total_people < 60 and second.total_people > 5000
    assert small.count == large.count
    assert large.count <= 10
    assert status_table.differences(now=NOW) == []


def test_a_commit_brings_the_tables_along_in_its_own_transaction(app):
    """What a commit itself flushes (an added person never flushed before) is in the matrix tables when the commit
    returns, not only after the next read in this session: other sessions and workers read them too. (The test's
    commits stay inside its own transaction, so the check reads through the same connection.)"""
    person = User(email="unflushed@example.org", display_name="Unflushed", password_hash="x", role=Role.LEARNER.value)
    person.session_token = accounts.new_session_token()
    db.session.add(person)
    db.session.commit()
    assert status_table.PENDING not in db.session.info
    # Plain SQL on the connection: no ORM read that would bring the tables up to date on the way.
    stored = db.session.connection().execute(
        text("SELECT count(*) FROM matrix_people WHERE user_id = :id"), {"id": person.id}
    )
    assert stored.scalar() == 1


def test_the_number_of_people_listed_follows_the_counts_kept_per_team(org, make_user):
    """Without a status filter the matrix takes how many people it lists from the per-team counts: the same as
    counting them, whoever looks and whatever the team filter, with inactive people and people without a team."""
    make_user(name="Nomad")  # no team
    leaver = make_user(name="Leaver", team=org["team_a"])
    leaver.active = False
    db.session.commit()
    department = {org["department"].id, org["team_a"].id, org["team_b"].id}
    cases = [
        (None, matrix.Filters()),
        (None, matrix.Filters(team_id=org["department"].id)),
        (None, matrix.Filters(team_id=org["outside"].id)),
        (None, matrix.Filters(course_id=org["courses"][0].id)),
        (department, matrix.Filters()),
        (department, matrix.Filters(team_id=org["team_b"].id)),
    ]
    listed = []
    for viewer_scope, filters in cases:
        result = matrix.build(viewer_scope, filters, NOW)
        counted = matrix._count(matrix._selection(viewer_scope, filters, [c.id for c in org["courses"]]).people)
        assert result.total_people == counted, (viewer_scope, filters)
        listed.append(result.total_people)
    # Everybody active (the boss, Nomad without a team; not the leaver), the department, Outside, one course's
    # view of everybody, the boss's department, Team B.
    assert listed == [6, 3, 1, 6, 3, 1]
