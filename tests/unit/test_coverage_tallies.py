"""The coverage page's counts are sums of maintained counts per team (`CoverageTally`): they follow every change the
coverage rows follow, equal the full computation under every filter and viewer, and a damaged count is found."""

from datetime import timedelta
from itertools import product

from sqlalchemy import select, update

from tests import factories
from tests.coverage_checks import assert_same_coverage
from tracker.enums import CoverageStatus, Role
from tracker.extensions import db
from tracker.models import Certificate, CoverageTally, utcnow
from tracker.models.matrix import ORGANISATION, PERSON
from tracker.services.organisation import teams
from tracker.services.programme import coverage, coverage_table, inventory, policies, requirements
from tracker.services.reporting import status_table


class Organisation:
    """Two trees of teams (Department > Ops > Spare, Sales > Support), people in them, one without a team and one
    without a job role, two AI systems (one used by a department, one by a job role) and a job role's own
    requirement."""

    def __init__(self, make_user) -> None:
        self.admin = make_user(Role.ADMIN, name="Admin")
        self.dept = factories.make_team("Department")
        self.ops = factories.make_team("Ops", parent=self.dept)
        self.spare = factories.make_team("Spare", parent=self.ops)
        self.sales = factories.make_team("Sales")
        self.support = factories.make_team("Support", parent=self.sales)
        self.one, self.two = factories.make_course("tally-one"), factories.make_course("tally-two")
        self.ana = make_user(name="Ana", team=self.ops, job_role="Analyst")
        self.bo = make_user(name="Bo", team=self.sales, job_role="Engineer")
        self.cy = make_user(name="Cy", team=self.support, job_role="Developer")
        self.dee = make_user(name="Dee", team=self.dept)
        self.eve = make_user(name="Eve", job_role="Analyst")
        self.fay = make_user(name="Fay", team=self.ops, job_role="Developer")
        self.gus = make_user(name="Gus", team=self.spare, job_role="Engineer")
        self.chat = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[self.dept.id]))
        self.coder = inventory.create_system(None, inventory.SystemInput("Coder", job_roles=["Developer"]))
        self.policy = policies.create_policy(None, "aup", "AUP", policies.VersionInput("Rules."))
        for item, system, role in (
            (f"course:{self.one.id}", self.chat.id, None),
            (f"policy:{self.policy.id}", self.chat.id, "Analyst"),
            (f"course:{self.two.id}", self.coder.id, None),
            (f"course:{self.two.id}", None, "Analyst"),
        ):
            requirements.create_requirement(None, requirements.RequirementInput(item, system_id=system, job_role=role))
        db.session.commit()
        factories.complete_course(self.fay, self.one)

    def viewers(self) -> list[set[int] | None]:
        """An admin, a manager of a whole tree, of a team, and teams that are not whole subtrees (counted from the
        rows instead)."""
        return [None, teams.descendant_ids_of(self.dept.id), {self.ops.id}, {self.dept.id, self.sales.id}]

    def check(self, *, every_filter: bool = False) -> None:
        """Commit; the stored rows and counts equal a fresh computation, and the page the full build, for each
        viewer and filter (every combination, or a few)."""
        db.session.commit()
        assert status_table.differences() == []
        now = utcnow()
        systems = [None, *(s.id for s in coverage.build(None, coverage.Filters(), now).systems)]
        statuses = [None, *CoverageStatus] if every_filter else [None, CoverageStatus.MISSING]
        team_filters = [None, *teams.descendant_ids_of(self.dept.id), self.sales.id] if every_filter else [None]
        systems = [*systems, 10**6] if every_filter else systems[:2]  # and a system nobody uses
        for scope, system_id, status, team_id in product(self.viewers(), systems, statuses, team_filters):
            filters = coverage.Filters(system_id=system_id, team_id=team_id, status=status, per_page=100)
            assert_same_coverage(coverage.build(scope, filters, now), coverage.build(scope, filters, now, paged=False))


def test_the_counts_follow_every_change_and_equal_the_full_computation(app, make_user):
    org = Organisation(make_user)
    org.check(every_filter=True)

    factories.complete_course(org.ana, org.one)  # lessons read, quizzes passed, a certificate
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == org.fay.id))
    certificate.expires_at = utcnow() + timedelta(days=10)  # in the renewal window
    org.check()

    policies.acknowledge(org.ana, policies.current_version(org.policy))
    org.check()

    org.bo.team, org.bo.job_role = org.ops, "Developer"  # another team and job role
    org.check()

    org.sales.parent = org.dept  # a team moved under another: Sales and Support now use Chat
    org.check(every_filter=True)

    org.gus.team = None
    org.check()
    teams.delete_team(org.admin, org.spare)
    org.check()

    inventory.create_system(None, inventory.SystemInput("Search", team_ids=[org.support.id]))
    org.check()
    inventory.retire_system(None, org.coder)
    org.check()

    requirements.create_requirement(None, requirements.RequirementInput(f"course:{org.two.id}", system_id=org.chat.id))
    org.check(every_filter=True)


def test_a_damaged_count_is_found_read_and_rebuilt(app, make_user, runner):
    org = Organisation(make_user)
    db.session.commit()
    missing = coverage.build(None, coverage.Filters()).totals[org.chat.id].by_status[CoverageStatus.MISSING]
    db.session.execute(
        update(CoverageTally)
        .where(
            CoverageTally.scope_id == ORGANISATION,
            CoverageTally.column_id == org.chat.id,
            CoverageTally.job_role == "Analyst",  # Ana, who misses everything
            CoverageTally.status == CoverageStatus.MISSING.value,
        )
        .values(people=CoverageTally.people + 5),
        execution_options={"matrix_status_noted": True},
    )
    db.session.commit()
    # The page reads the counts: the damage shows there (the downloads compute afresh).
    assert coverage.build(None, coverage.Filters()).totals[org.chat.id].by_status[CoverageStatus.MISSING] == missing + 5
    found = coverage_table.differences()
    assert len(found) == 1 and found[0].startswith(f"coverage count ({ORGANISATION}, {org.chat.id}, 'Analyst', ")
    checked = runner.invoke(args=["matrix-status", "check"])
    assert checked.exit_code == 1 and "coverage count (0, " in checked.output
    assert runner.invoke(args=["matrix-status", "rebuild"]).exit_code == 0
    assert coverage_table.differences() == []
    assert coverage.build(None, coverage.Filters()).totals[org.chat.id].by_status[CoverageStatus.MISSING] == missing
    people = db.session.scalar(
        select(CoverageTally.people).where(
            CoverageTally.scope_id == org.dept.id, CoverageTally.column_id == PERSON, CoverageTally.job_role == ""
        )
    )
    assert people == 1  # Dee, who has no job role, counted once in her department by her worst status


def test_the_counts_of_a_team_include_the_teams_below_it(app, make_user):
    org = Organisation(make_user)
    db.session.commit()
    page = coverage.build(None, coverage.Filters(team_id=org.dept.id))
    assert page.total_people == 4  # Ana, Dee, Fay (Ops), Gus (Spare)
    assert page.totals[org.chat.id].people == 4 and page.totals[org.coder.id].people == 1
    assert {t.key: t.people for t in page.roles} == {"Analyst": 1, "Developer": 1, "Engineer": 1, "": 1}
    everyone = coverage.build(None, coverage.Filters())
    assert everyone.total_people == 6  # and Cy (Coder) and Eve (no team: her job role's own requirement)
    assert everyone.totals[coverage.ROLE_COLUMN].people == 2
