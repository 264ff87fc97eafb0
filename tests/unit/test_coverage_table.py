"""The maintained coverage rows follow every change they depend on, and still equal a fresh computation."""

from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tracker.enums import CoverageStatus
from tracker.extensions import db
from tracker.models import Certificate, CoverageCell, CoveragePerson, LearningPath, utcnow
from tracker.services.content import loader
from tracker.services.programme import coverage, coverage_table, inventory, policies, requirements
from tracker.services.reporting import status_table


def _cells() -> dict[tuple[int, int], str]:
    return {(c.user_id, c.column_id): c.status for c in db.session.scalars(select(CoverageCell))}


def _consistent() -> dict[tuple[int, int], str]:
    """Commit, check the stored rows against a fresh computation and return them."""
    db.session.commit()
    assert status_table.differences() == []
    assert coverage_table.differences() == []
    return _cells()


def test_coverage_rows_follow_every_change(app, make_user):
    department = factories.make_team("Department")
    ops = factories.make_team("Ops", parent=department)
    sales = factories.make_team("Sales")
    course, other_course = factories.make_course("cov-one"), factories.make_course("cov-two")
    loader.apply_paths([{"slug": "cov-path", "title": "Path", "description": "", "courses": ["cov-two"]}])
    db.session.commit()
    path_id = db.session.scalar(select(LearningPath.id).where(LearningPath.slug == "cov-path"))
    ana = make_user(name="Ana", team=ops, job_role="Analyst")
    bo = make_user(name="Bo", team=sales, job_role="Engineer")
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[department.id]))
    policy = policies.create_policy(None, "aup", "AUP", policies.VersionInput("one"))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{course.id}", system_id=system.id))
    requirements.create_requirement(None, requirements.RequirementInput(f"policy:{policy.id}", job_role="Analyst"))
    cells = _consistent()
    assert cells == {(ana.id, system.id): "missing", (ana.id, 0): "missing"}

    factories.complete_course(ana, course)  # progress and a certificate
    assert _consistent()[(ana.id, system.id)] == "covered"

    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == ana.id))
    certificate.expires_at = utcnow() + timedelta(days=10)  # in the renewal window
    assert _consistent()[(ana.id, system.id)] == "expiring"

    policies.acknowledge(ana, policies.current_version(policy))
    assert _consistent()[(ana.id, 0)] == "covered"
    assert db.session.get(CoveragePerson, ana.id).status == CoverageStatus.EXPIRING.value

    sales.parent = department  # a team moved under one that uses the system
    assert _consistent()[(bo.id, system.id)] == "missing"

    bo.team = None  # a person moved out
    assert (bo.id, system.id) not in _consistent()
    bo.team = ops
    assert _consistent()[(bo.id, system.id)] == "missing"

    added = requirements.create_requirement(None, requirements.RequirementInput(f"path:{path_id}", system_id=system.id))
    assert _consistent()[(ana.id, system.id)] == "missing"
    factories.complete_course(ana, other_course)
    assert _consistent()[(ana.id, system.id)] == "expiring"
    requirements.remove_requirement(None, added)
    assert _consistent()[(ana.id, system.id)] == "expiring"

    inventory.update_system(
        None, system, inventory.SystemInput("Chat", team_ids=[sales.id], job_roles=["Engineer"])
    )  # usage changed: Ops no longer uses it, Engineers do
    cells = _consistent()
    assert (ana.id, system.id) not in cells and cells[(bo.id, system.id)] == "missing"

    policies.publish_version(None, policy, policies.VersionInput("two"))  # everyone is asked again
    assert _consistent()[(ana.id, 0)] == "missing"

    ana.job_role = "Engineer"  # no more Analyst requirement; uses the system as an Engineer
    cells = _consistent()
    assert (ana.id, 0) not in cells and cells[(ana.id, system.id)] == "expiring"

    ana.active = False
    assert not any(user_id == ana.id for user_id, _ in _consistent())

    inventory.retire_system(None, system)
    assert _consistent() == {}


def test_a_damaged_row_is_reported_and_rebuilt(app, make_user, runner):
    team = factories.make_team("Ops")
    course = factories.make_course()
    person = make_user(team=team)
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[team.id]))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{course.id}", system_id=system.id))
    db.session.commit()
    cell = db.session.get(CoverageCell, (person.id, system.id))
    cell.status = CoverageStatus.COVERED.value
    db.session.commit()
    assert coverage_table.differences() == [
        f"coverage cell ({person.id}, {system.id}): stored ('covered', 'course:{course.id}', ''), "
        f"expected ('missing', 'course:{course.id}', '')"
    ]
    checked = runner.invoke(args=["matrix-status", "check"])
    assert checked.exit_code == 1 and f"coverage cell ({person.id}, {system.id})" in checked.output
    assert runner.invoke(args=["matrix-status", "rebuild"]).exit_code == 0
    checked = runner.invoke(args=["matrix-status", "check"])
    assert checked.exit_code == 0, checked.output
    assert coverage_table.differences() == []
    page = coverage.build(None, coverage.Filters())
    assert [(row.id, row.cells[system.id].missing) for row in page.rows] == [(person.id, (course.title,))]
