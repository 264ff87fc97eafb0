"""A learner's own due dates (one person: the teams above theirs are read with the assignments) are the ones the
team-wide computation gives them, through the same assignment."""

from datetime import date

from tests import factories
from tracker.extensions import db
from tracker.models import Role
from tracker.services.organisation import assignments


def test_one_person_gets_what_the_group_computation_gives(app, make_user):
    boss = make_user(Role.MANAGER, name="Boss")
    top = factories.make_team("Top", manager=boss)
    department = factories.make_team("Department", parent=top)
    team = factories.make_team("Team", parent=department)
    other = factories.make_team("Other")
    courses = [factories.make_course(f"due-course-{n}") for n in range(4)]
    ann = make_user(name="Ann", team=team, job_role="Analyst")
    bob = make_user(name="Bob", team=other)
    loner = make_user(name="Loner")
    # Equal dates through several routes: the same assignment must win for one person as for a group.
    assignments.assign(None, course=courses[0], team=top, due_on=date(2027, 1, 10))
    assignments.assign(None, course=courses[0], team=team, due_on=date(2027, 1, 10))
    assignments.assign(None, course=courses[1], team=department, due_on=date(2027, 2, 1))
    assignments.assign(None, course=courses[1], user=ann, due_on=date(2027, 3, 1))
    assignments.assign(None, course=courses[2], job_role="Analyst", due_on=date(2027, 4, 1))
    assignments.assign(None, course=courses[3], team=other, due_on=date(2027, 5, 1))
    db.session.commit()
    people = [assignments.Person(p.id, p.team_id, p.job_role) for p in (ann, bob, loner)]
    group = assignments.due_items(people)
    for person in people:
        assert assignments.due_items([person], one_person=True) == {person.id: group[person.id]}
        assert assignments.due_dates_of(person) == {c: item.due_on for c, item in group[person.id].items()}
    assert set(group[ann.id]) == {courses[0].id, courses[1].id, courses[2].id}
    assert group[ann.id][courses[1].id].due_on == date(2027, 2, 1)  # through the department, the earlier date
    assert group[loner.id] == {}


def test_the_chains_of_some_teams_are_those_of_the_whole_tree(app):
    top = factories.make_team("Chain top")
    middle = factories.make_team("Chain middle", parent=top)
    bottom = factories.make_team("Chain bottom", parent=middle)
    apart = factories.make_team("Chain apart")
    every = assignments.team_ancestry()
    some = assignments.team_ancestry({bottom.id, apart.id})
    assert some == {bottom.id: [bottom.id, middle.id, top.id], apart.id: [apart.id]}
    assert all(every[team_id] == chain for team_id, chain in some.items())
