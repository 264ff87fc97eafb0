"""Catalogue and tree changes recompute only the people they reach, and the tables still equal a fresh computation."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.enums import DueRule
from tracker.extensions import db
from tracker.models import (
    Certificate,
    LearningPath,
    LearningPathCourse,
    MatrixCell,
    MatrixPerson,
    MatrixTally,
    Role,
    User,
)
from tracker.services.certification import lifecycle
from tracker.services.content import editor
from tracker.services.organisation import assignments, teams
from tracker.services.reporting import status_table

DUE = date(2030, 1, 10)


def recomputed() -> int:
    return db.session.info.get(status_table.RECOMPUTED)


@pytest.fixture
def org(app, make_user):
    admin = make_user(Role.ADMIN, name="Admin")
    department = factories.make_team("Department")
    small = factories.make_team("Small", parent=department)
    large = factories.make_team("Large", parent=department)
    other = factories.make_team("Other")
    course_1 = factories.make_course("course-one")
    course_2 = factories.make_course("course-two")
    trio = [make_user(name=f"Small {i}", team=small) for i in range(3)]
    crowd = [make_user(name=f"Large {i}", team=large) for i in range(12)]
    outsiders = [make_user(name=f"Other {i}", team=other) for i in range(4)]
    assert status_table.differences() == []
    return {
        "admin": admin,
        "department": department,
        "small": small,
        "large": large,
        "other": other,
        "courses": (course_1, course_2),
        "trio": trio,
        "crowd": crowd,
        "outsiders": outsiders,
    }


def test_publishing_and_withdrawing_a_course_recomputes_only_its_people(org):
    course_1, course_2 = org["courses"]
    assignments.assign(None, course=course_2, team=org["small"], due_on=DUE)
    factories.complete_course(org["outsiders"][0], course_1)
    db.session.commit()
    editor.set_published(org["admin"], course_2, False)
    db.session.commit()
    assert recomputed() == 3  # the three people of the team it is assigned to, not everyone
    assert status_table.differences() == []
    editor.set_published(org["admin"], course_2, True)
    db.session.commit()
    assert recomputed() == 3
    assert status_table.differences() == []
    editor.set_published(org["admin"], course_1, False)  # one person completed it, nobody is assigned it
    db.session.commit()
    assert recomputed() == 1
    assert status_table.differences() == []
    editor.set_published(org["admin"], course_1, True)
    db.session.commit()
    assert recomputed() == 1
    assert status_table.differences() == []


def test_a_new_published_course_reaches_nobody_until_assigned(org):
    factories.make_course("course-three")
    assert recomputed() == 0
    assert status_table.differences() == []


def test_changing_a_learning_path_recomputes_the_people_assigned_it(org):
    course_1, course_2 = org["courses"]
    path = LearningPath(slug="path", title="Path")
    path.entries.append(LearningPathCourse(course_id=course_1.id, position=1))
    db.session.add(path)
    db.session.commit()
    assignments.assign(None, path=path, team=org["small"], due_on=DUE)
    assignments.assign(None, path=path, user=org["outsiders"][1], due_on=DUE)
    db.session.commit()
    assert status_table.differences() == []
    path.entries.append(LearningPathCourse(course_id=course_2.id, position=2))
    db.session.commit()
    assert recomputed() == 4
    assert status_table.differences() == []
    path.entries.pop(0)
    db.session.commit()
    assert recomputed() == 4
    assert status_table.differences() == []


def test_moving_a_team_recomputes_its_people_and_the_counts_of_old_and_new_ancestors(org):
    course_1, _ = org["courses"]
    assignments.assign(None, course=course_1, team=org["department"], due_on=DUE)
    assignments.assign(None, course=course_1, team=org["other"], due_on=date(2030, 2, 1))
    factories.complete_course(org["trio"][0], course_1)
    db.session.commit()
    assert status_table.differences() == []
    teams.update_team(
        org["admin"], org["small"], teams.TeamInput(name="Small", parent_id=org["other"].id, manager_id=None)
    )
    db.session.commit()
    assert recomputed() == 3
    assert status_table.differences() == []
    scopes = {row.scope_id for row in db.session.scalars(select(MatrixTally).where(MatrixTally.people > 0))}
    assert org["other"].id in scopes
    teams.update_team(org["admin"], org["small"], teams.TeamInput(name="Small", parent_id=None, manager_id=None))
    db.session.commit()
    assert recomputed() == 3
    assert status_table.differences() == []


def test_deleting_an_empty_team_recomputes_nobody(org):
    empty = factories.make_team("Empty", parent=org["department"])
    teams.delete_team(org["admin"], empty)
    db.session.commit()
    assert recomputed() == 0
    assert status_table.differences() == []


def _snapshot():

    people = {row.user_id: tuple(row) for row in db.session.execute(select(MatrixPerson.__table__))}
    cells = {(row.user_id, row.course_id): tuple(row) for row in db.session.execute(select(MatrixCell.__table__))}
    tallies = {tuple(row[:4]): row.people for row in db.session.execute(select(MatrixTally.__table__)) if row.people}
    return people, cells, tallies


def test_the_set_based_build_equals_the_computation_person_by_person(org, make_user):
    """Every rule at once: relative due dates, job roles, paths, revoked, expiring and renewed certificates,
    inactive people, names beyond ASCII; the statements' rows equal those of `compute`, `status_until` included."""

    course_1, course_2 = org["courses"]
    now = datetime.now(UTC)
    path = LearningPath(slug="path", title="Path")
    path.entries.append(LearningPathCourse(course_id=course_2.id, position=1))
    db.session.add(path)
    db.session.commit()
    assignments.assign(None, course=course_1, team=org["department"], due_on=now.date() - timedelta(days=3))
    assignments.assign(
        None, course=course_2, team=org["small"], due_rule=DueRule.AFTER_JOINING, due_days=400, due_on=None
    )
    assignments.assign(None, course=course_1, job_role="Analyst", due_rule=DueRule.AFTER_ASSIGNED, due_days=20)
    assignments.assign(None, path=path, user=org["outsiders"][0], due_on=now.date() + timedelta(days=9))
    unicode_person = make_user(name="Émile Ørsted", team=org["large"], job_role="Analyst")
    make_user(name="Gone Away", team=org["large"], active=False)
    factories.complete_course(org["trio"][0], course_1, now=now - timedelta(days=350))  # expiring
    factories.complete_course(org["trio"][1], course_1, now=now - timedelta(days=400))  # expired
    factories.complete_course(org["crowd"][0], course_1, now=now - timedelta(days=10))
    factories.complete_course(unicode_person, course_2, now=now - timedelta(days=5))
    db.session.commit()
    revoked = db.session.scalar(select(Certificate).where(Certificate.user_id == org["crowd"][0].id))
    lifecycle.revoke(revoked, org["admin"], "test")
    lifecycle.start_renewal(org["trio"][1], course_1, now=now)  # a new cycle on an expired certificate
    factories.pending(factories.complete_course(org["crowd"][1], course_2, now=now - timedelta(days=400)))  # pending
    withdrawn = factories.make_course("withdrawn", modules=1, lessons=1)
    factories.complete_course(org["outsiders"][1], withdrawn, now=now - timedelta(days=400))  # expired, not in a cell
    factories.complete_course(org["outsiders"][2], withdrawn, now=now - timedelta(days=360))  # expires in a few days
    editor.set_published(org["admin"], withdrawn, False)
    db.session.commit()
    status_table.rebuild(now=now)
    built = _snapshot()
    everyone = list(db.session.scalars(select(User.id)))
    status_table.recompute(db.session, everyone, now)  # person by person, from the stored rows' deltas

    for model in (MatrixCell, MatrixPerson):
        db.session.execute(model.__table__.delete())
    course_ids = status_table._published_ids(db.session)
    fresh = status_table.compute(db.session, None, course_ids, now)
    db.session.execute(MatrixPerson.__table__.insert(), fresh.people)
    db.session.execute(MatrixCell.__table__.insert(), fresh.cells)
    computed = _snapshot()
    assert built[0] == computed[0]
    assert built[1] == computed[1]
    assert built[2] == computed[2]
    statuses = {row[2] for row in built[1].values()}
    assert {"overdue", "expired", "expiring", "completed", "not_started"} <= statuses
    assert any(row[-1] is not None for row in built[0].values())  # some statuses change later: noted
    columns = list(MatrixPerson.__table__.c.keys())
    done, overdue = columns.index("has_completion"), columns.index("evidence_overdue")
    facts = {(bool(row[done]), bool(row[overdue])) for row in built[0].values()}
    assert facts == {(False, False), (True, False), (False, True), (True, True)}  # the evidence report's facts
    withdrawn_rows = [built[0][person.id] for person in org["outsiders"][1:3]]
    assert [bool(row[overdue]) for row in withdrawn_rows] == [True, False]
    assert withdrawn_rows[1][-1] < now + timedelta(days=10)  # the renewal of a withdrawn course falls due by itself


def test_a_change_reaching_most_people_rebuilds_in_set_based_statements(org, monkeypatch):
    monkeypatch.setattr(status_table, "SET_BASED_FROM", 10)
    _, course_2 = org["courses"]
    assignments.assign(None, course=course_2, team=org["department"], due_on=DUE)  # 15 of 20 people
    db.session.commit()
    editor.set_published(org["admin"], course_2, False)
    db.session.commit()
    everyone = db.session.scalar(select(func.count()).select_from(User))
    assert recomputed() == everyone == 20
    assert status_table.differences() == []
    editor.set_published(org["admin"], course_2, True)
    db.session.commit()
    assert recomputed() == everyone
    assert status_table.differences() == []


def _new_person(email: str) -> User:
    from tracker.services import accounts

    return User(
        email=email,
        display_name="New person",
        password_hash=factories._password_hash(),
        role=Role.LEARNER.value,
        session_token=accounts.new_session_token(),
    )


def test_a_savepoint_that_fails_keeps_the_transactions_earlier_changes_for_the_commit(org):
    """Releasing a savepoint leaves the recomputing to the commit, and a savepoint rolled back (an insert that lost a
    race) must not drop what the transaction changed before it."""
    from sqlalchemy.exc import IntegrityError

    course_1, _course_2 = org["courses"]
    mover = org["outsiders"][0]
    assignments.assign(None, course=course_1, team=org["small"], due_on=DUE)
    db.session.commit()
    with db.session.begin_nested():
        db.session.add(_new_person("first@example.org"))
    assert db.session.info.get(status_table.PENDING)  # noted, not recomputed yet: the commit does it once
    mover.team = org["small"]  # now assigned course one: their row and the counts change
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(_new_person("first@example.org"))
        db.session.flush()
    db.session.commit()
    assert status_table.differences() == []
    row = db.session.scalar(select(MatrixPerson).where(MatrixPerson.user_id == mover.id))
    assert row.team_id == org["small"].id and row.assigned == 1
