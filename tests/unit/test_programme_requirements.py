"""Training requirements turn into assignments: for newcomers, on role and team changes, and they end when a
system is retired or a person stops using it; manual assignments are never touched."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tracker.authz import can_manage_assignment
from tracker.enums import Role, SystemStatus
from tracker.extensions import db
from tracker.models import Assignment, AuditEvent, utcnow
from tracker.services import FieldError
from tracker.services.organisation import assignments, people, teams
from tracker.services.organisation.assignments import Person, due_dates
from tracker.services.programme import inventory, requirements


@pytest.fixture
def org(app, make_user):
    admin = make_user(Role.ADMIN)
    department = factories.make_team("Operations")
    desk = factories.make_team("Desk", parent=department)
    other = factories.make_team("Finance")
    course = factories.make_course()
    extra = factories.make_course()
    system = inventory.create_system(admin, inventory.SystemInput("Chat assistant", team_ids=[department.id]))
    screening = inventory.create_system(
        admin, inventory.SystemInput("CV screening", job_roles=["Recruiter"], status=SystemStatus.PILOT.value)
    )
    requirements.create_requirement(admin, requirements.RequirementInput(f"course:{course.id}", system_id=system.id))
    requirements.create_requirement(
        admin, requirements.RequirementInput(f"course:{extra.id}", system_id=screening.id, due_days=10)
    )
    db.session.commit()
    return {
        "admin": admin,
        "desk": desk,
        "other": other,
        "department": department,
        "course": course,
        "extra": extra,
        "system": system,
        "screening": screening,
    }


def _auto(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Assignment.course_id).where(Assignment.user_id == user_id, Assignment.requirement_id.is_not(None))
        )
    )


def test_a_newcomer_in_a_team_below_a_using_department_is_assigned(org):
    person, _password = people.create_person(
        people.NewPerson("new@example.org", "New Person", team_id=org["desk"].id), org["admin"]
    )
    db.session.commit()
    assert _auto(person.id) == {org["course"].id}
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == person.id))
    assert assignment.due_on == (utcnow() + timedelta(days=30)).date()
    # the learner's due dates (the matrix and the dashboard) include it
    assert due_dates([Person(person.id, person.team_id, None)])[person.id] == {org["course"].id: assignment.due_on}


def test_a_newcomer_outside_every_using_team_gets_nothing(org):
    person, _ = people.create_person(people.NewPerson("fin@example.org", "Fin", team_id=org["other"].id), org["admin"])
    db.session.commit()
    assert _auto(person.id) == set()


def test_role_and_team_changes_start_and_end_assignments(org, make_user):
    person = make_user(team=org["other"])
    requirements.sync()
    assert _auto(person.id) == set()
    changes = people.PersonChanges(person.email, person.display_name, person.role, org["other"].id, "Recruiter")
    people.update_person(person, changes, org["admin"])
    assert _auto(person.id) == {org["extra"].id}
    changes = people.PersonChanges(person.email, person.display_name, person.role, org["desk"].id, None)
    people.update_person(person, changes, org["admin"])
    assert _auto(person.id) == {org["course"].id}  # no longer a recruiter; now in a team that uses the chat


def test_moving_a_team_out_of_the_department_ends_its_assignments(org, make_user):
    person = make_user(team=org["desk"])
    requirements.sync()
    assert _auto(person.id) == {org["course"].id}
    teams.update_team(org["admin"], org["desk"], teams.TeamInput("Desk", None, None))
    assert _auto(person.id) == set()


def test_retiring_a_system_ends_its_assignments_and_keeps_manual_ones(org, make_user):
    person = make_user(team=org["desk"], job_role="Recruiter")
    manual, _ = assignments.assign(org["admin"], course=org["course"], user=person, due_on=date(2030, 1, 1))
    requirements.sync()
    assert _auto(person.id) == {org["course"].id, org["extra"].id}
    inventory.retire_system(org["admin"], org["system"])
    result = requirements.sync(org["admin"])
    assert result.ended == 1
    assert _auto(person.id) == {org["extra"].id}
    assert db.session.get(Assignment, manual.id) is not None  # the manual assignment of the same course stays
    assert due_dates([Person(person.id, person.team_id, person.job_role)])[person.id][org["course"].id] == date(
        2030, 1, 1
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "requirement.assignments_synced").order_by(AuditEvent.id.desc())
    )
    assert event.details["ended"] == 1


def test_deactivating_a_person_ends_their_assignments_and_reactivating_restores_them(org, make_user):
    person = make_user(team=org["desk"])
    requirements.sync()
    people.deactivate(person, org["admin"])
    assert _auto(person.id) == set()
    people.reactivate(person, org["admin"])
    assert _auto(person.id) == {org["course"].id}


def test_removing_a_requirement_ends_its_assignments(org, make_user):
    person = make_user(team=org["desk"])
    requirements.sync()
    requirement = next(r for r in requirements.requirements_list() if r.system_id == org["system"].id)
    assert requirements.remove_requirement(org["admin"], requirement) == 1
    assert _auto(person.id) == set()


def test_sync_is_idempotent_and_automatic_assignments_are_not_managed_by_hand(org, make_user):
    person = make_user(team=org["desk"])
    assert requirements.sync().created == 1
    again = requirements.sync()
    assert (again.created, again.ended) == (0, 0)
    automatic = db.session.scalar(select(Assignment).where(Assignment.user_id == person.id))
    assert not can_manage_assignment(org["admin"], automatic)
    assert automatic not in assignments.assignments_in_scope(None)


def test_a_role_only_requirement_and_a_system_and_role_requirement(org, make_user):
    analyst = make_user(team=org["other"], job_role="Analyst")
    desk_analyst = make_user(team=org["desk"], job_role="Analyst")
    desk_other = make_user(team=org["desk"], job_role="Clerk")
    third = factories.make_course()
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{third.id}", job_role="Analyst"))
    fourth = factories.make_course()
    requirements.create_requirement(
        None, requirements.RequirementInput(f"course:{fourth.id}", system_id=org["system"].id, job_role="Analyst")
    )
    requirements.sync()
    assert _auto(analyst.id) == {third.id}
    assert _auto(desk_analyst.id) == {org["course"].id, third.id, fourth.id}
    assert _auto(desk_other.id) == {org["course"].id}


def test_requirement_input_is_checked(org):
    with pytest.raises(FieldError) as missing_scope:
        requirements.create_requirement(None, requirements.RequirementInput(f"course:{org['course'].id}"))
    assert missing_scope.value.field == "system_id"
    with pytest.raises(FieldError) as duplicate:
        requirements.create_requirement(
            None, requirements.RequirementInput(f"course:{org['course'].id}", system_id=org["system"].id)
        )
    assert duplicate.value.field == "item"
    with pytest.raises(FieldError):
        requirements.create_requirement(None, requirements.RequirementInput("course:999999", job_role="X"))


def test_inventory_keeps_a_history_of_every_change(org):
    system = org["system"]
    data = inventory.as_input(system)
    changes = inventory.update_system(
        org["admin"], system, inventory.SystemInput(**{**data.__dict__, "risk_class": "transparency"})
    )
    assert changes == {"risk_class": {"old": "not_assessed", "new": "transparency"}}
    assert inventory.update_system(org["admin"], system, inventory.as_input(system)) == {}
    inventory.retire_system(org["admin"], system)
    actions = [c.action for c in inventory.history(system)]
    assert actions == ["retired", "updated", "created"]
    with pytest.raises(FieldError):
        inventory.create_system(None, inventory.SystemInput("chat ASSISTANT"))  # names are unique, any case
