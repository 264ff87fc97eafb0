"""Catalogue and tree changes recompute only the people they reach, and the tables still equal a fresh computation."""

from datetime import date

import pytest
from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import LearningPath, LearningPathCourse, MatrixTally, Role
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
