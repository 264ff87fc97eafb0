"""Coverage: the aggregate build agrees with a brute-force, person-by-person computation on random
organisations, and its number of queries does not depend on the number of people."""

import contextlib
import random
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from tests import factories
from tests.coverage_checks import assert_same_coverage
from tracker.enums import CoverageStatus, Role, SystemStatus
from tracker.extensions import db
from tracker.models import (
    AISystem,
    Certificate,
    Completion,
    CourseProgress,
    LearningPathCourse,
    PolicyAcknowledgement,
    Team,
    TrainingRequirement,
    User,
    utcnow,
)
from tracker.services import FieldError, accounts
from tracker.services.content import loader
from tracker.services.programme import coverage, coverage_table, inventory, policies, requirements

ROLES = ("Analyst", "Engineer", "Recruiter", None)


def _brute_force(now) -> dict[tuple[int, int], CoverageStatus]:
    """(person, system id or 0) -> status, computed the slow, obvious way with ORM objects."""
    result = {}
    reqs = list(db.session.scalars(select(TrainingRequirement)))
    for person in db.session.scalars(select(User).where(User.active.is_(True))):
        used = set()
        for system in db.session.scalars(select(AISystem)):
            if system.status == SystemStatus.RETIRED:
                continue
            team_ids = {link.team_id for link in system.teams}
            team, chain = person.team, []
            while team is not None and team.id not in chain:
                chain.append(team.id)
                team = team.parent
            if team_ids & set(chain) or person.job_role in {link.job_role for link in system.job_roles}:
                used.add(system.id)
        columns = {system_id: [] for system_id in used}
        role_only = []
        for req in reqs:
            if req.job_role is not None and req.job_role != person.job_role:
                continue
            if req.system_id is None:
                role_only.append(req)
            elif req.system_id in columns:
                columns[req.system_id].append(req)
        if role_only:
            columns[0] = role_only
        for key, applicable in columns.items():
            result[(person.id, key)] = _status(person, applicable, now)
    return result


def _course_state(person, course_id, now) -> str:
    certs = db.session.execute(
        select(Certificate, Completion.cycle)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(
            Certificate.user_id == person.id, Certificate.course_id == course_id, Certificate.superseded_at.is_(None)
        )
        .order_by(Completion.cycle.desc())
    ).first()
    progress = db.session.scalar(
        select(CourseProgress).where(CourseProgress.user_id == person.id, CourseProgress.course_id == course_id)
    )
    cert = certs[0] if certs else None
    if cert is not None and cert.revoked_at is None and cert.expires_at is not None:
        if cert.expires_at <= now:
            return "missing"
        if cert.expires_at - now <= timedelta(days=30):
            return "expiring"
    if progress is not None and progress.completed_at is not None and (cert is None or cert.revoked_at is None):
        return "met"
    return "missing"


def _status(person, applicable, now) -> CoverageStatus:
    if not applicable:
        return CoverageStatus.NO_REQUIREMENT
    states = []
    for req in applicable:
        if req.policy_id is not None:
            current = policies.current_version(req.policy)
            done = db.session.scalar(
                select(PolicyAcknowledgement.id).where(
                    PolicyAcknowledgement.user_id == person.id, PolicyAcknowledgement.version_id == current.id
                )
            )
            states.append("met" if done else "missing")
        else:
            course_ids = (
                [req.course_id]
                if req.course_id
                else list(
                    db.session.scalars(
                        select(LearningPathCourse.course_id).where(LearningPathCourse.path_id == req.path_id)
                    )
                )
            )
            states += [_course_state(person, course_id, now) for course_id in course_ids]
    if "missing" in states:
        return CoverageStatus.MISSING
    if "expiring" in states:
        return CoverageStatus.EXPIRING
    return CoverageStatus.COVERED


def _random_organisation(rng: random.Random, make_user):
    courses = [factories.make_course(modules=1, lessons=1, pool=3, per_attempt=2) for _ in range(3)]
    loader.apply_paths(
        [
            {
                "slug": f"path-{rng.random()}".replace(".", ""),
                "title": "Path",
                "description": "",
                "courses": [courses[0].slug, courses[1].slug],
            }
        ]
    )
    path_id = db.session.scalar(select(LearningPathCourse.path_id))
    teams_made: list[Team] = []
    for i in range(6):
        parent = rng.choice(teams_made) if teams_made and rng.random() < 0.6 else None
        teams_made.append(factories.make_team(f"T{i}-{rng.random():.6f}", parent=parent))
    people = [
        make_user(team=rng.choice([*teams_made, None]), job_role=rng.choice(ROLES), active=rng.random() > 0.1)
        for _ in range(24)
    ]
    systems = []
    for i in range(4):
        systems.append(
            inventory.create_system(
                None,
                inventory.SystemInput(
                    f"System {i} {rng.random():.6f}",
                    team_ids=sorted({t.id for t in rng.sample(teams_made, rng.randint(0, 2))}),
                    job_roles=list(rng.sample(ROLES[:3], rng.randint(0, 1))),
                    status=rng.choice(
                        [SystemStatus.APPROVED.value, SystemStatus.PILOT.value, SystemStatus.RETIRED.value]
                    ),
                ),
            )
        )
    policy = policies.create_policy(None, f"p-{rng.randint(0, 10**9)}", "Policy", policies.VersionInput("one"))
    v1 = policies.current_version(policy)
    items = [f"course:{c.id}" for c in courses] + [f"path:{path_id}", f"policy:{policy.id}"]
    for _ in range(7):
        system = rng.choice([*systems, None])
        role = rng.choice(ROLES[:3]) if system is None or rng.random() < 0.3 else None
        with contextlib.suppress(FieldError):  # a random duplicate: refused before anything is written
            requirements.create_requirement(
                None, requirements.RequirementInput(rng.choice(items), system.id if system else None, role)
            )
    for person in people:
        if person.active and rng.random() < 0.4:
            policies.acknowledge(person, v1)
    v2 = policies.publish_version(None, policy, policies.VersionInput("two"))
    for person in people:
        if person.active and rng.random() < 0.3:
            policies.acknowledge(person, v2)
    now = utcnow()
    for person in people:
        for course in courses:
            if rng.random() < 0.35:
                factories.complete_course(person, course)
    certs = list(db.session.scalars(select(Certificate)))
    for cert in certs:  # some expired, some expiring, some revoked
        roll = rng.random()
        if roll < 0.2:
            db.session.execute(
                update(Certificate).where(Certificate.id == cert.id).values(expires_at=now - timedelta(days=3))
            )
        elif roll < 0.4:
            db.session.execute(
                update(Certificate).where(Certificate.id == cert.id).values(expires_at=now + timedelta(days=10))
            )
        elif roll < 0.5:
            db.session.execute(
                update(Certificate).where(Certificate.id == cert.id).values(revoked_at=now, revoked_reason="test")
            )
    db.session.commit()
    return now


@pytest.mark.parametrize("seed", [1, 3, 4, 6, 7])
def test_coverage_matches_a_brute_force_computation(app, make_user, seed):
    now = _random_organisation(random.Random(seed), make_user)
    expected = _brute_force(now)
    assert len(set(expected.values())) >= 3, expected  # the random organisation shows several states
    result = coverage.build(None, coverage.Filters(), now, paged=False)
    got = {(row.id, key): cell.status for row in result.rows for key, cell in row.cells.items()}
    if not result.has_role_column:
        expected = {k: v for k, v in expected.items() if k[1] != 0}
    assert got == expected
    # per-system counts agree too
    for system in result.systems:
        counts = {s: sum(1 for (p, k), v in expected.items() if k == system.id and v == s) for s in CoverageStatus}
        assert {s: result.totals[system.id].by_status[s] for s in CoverageStatus} == counts
    # and "who uses X without current training"
    if result.systems:
        target = result.systems[0].id
        missing = coverage.build(
            None, coverage.Filters(system_id=target, status=CoverageStatus.MISSING), now, paged=False
        )
        assert {row.id for row in missing.rows} == {
            p for (p, k), v in expected.items() if k == target and v == CoverageStatus.MISSING
        }
    # the page read from the maintained rows says what the full computation says, under every filter
    team_id = db.session.scalar(select(Team.id).order_by(Team.id))
    system_ids = [None] + [s.id for s in result.systems]
    for system_id in system_ids:
        for status in (None, *CoverageStatus):
            for team in (None, team_id):
                filters = coverage.Filters(system_id=system_id, team_id=team, status=status, per_page=100)
                assert_same_coverage(
                    coverage.build(None, filters, now), coverage.build(None, filters, now, paged=False)
                )
    assert coverage_table.differences() == []


def _bulk_people(team, count, prefix):
    password = accounts.hash_password("x" * 12)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"{prefix}{i}@example.org",
                "display_name": f"P {prefix}{i}",
                "password_hash": password,
                "role": "learner",
                "team_id": team.id,
                "job_role": "Engineer" if i % 2 else "Analyst",
                "session_token": f"{prefix}-{i}",
                "active": True,
            }
            for i in range(count)
        ],
    )
    db.session.commit()


def test_coverage_query_count_does_not_depend_on_the_number_of_people(app, make_user, count_queries):
    team = factories.make_team("Ops")
    course = factories.make_course()
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[team.id]))
    policy = policies.create_policy(None, "aup", "AUP", policies.VersionInput("Text"))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{course.id}", system_id=system.id))
    requirements.create_requirement(None, requirements.RequirementInput(f"policy:{policy.id}", system_id=system.id))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{course.id}", job_role="Analyst"))
    db.session.commit()
    boss = make_user(Role.MANAGER)
    team.manager = boss
    db.session.commit()
    _bulk_people(team, 40, "small")
    every_filter = [
        coverage.Filters(),
        coverage.Filters(system_id=system.id),
        coverage.Filters(system_id=system.id, status=CoverageStatus.MISSING),
        coverage.Filters(status=CoverageStatus.MISSING, team_id=team.id),
        coverage.Filters(page=2, per_page=25),
    ]

    def counts() -> list[int]:
        found = []
        for filters in every_filter:
            for scope in ({team.id}, None):
                with count_queries() as counter:
                    coverage.build(scope, filters)
                found.append(counter.count)
        return found

    small = counts()
    first = coverage.build({team.id}, coverage.Filters())
    _bulk_people(team, 2000, "large")
    large = counts()
    second = coverage.build({team.id}, coverage.Filters())
    assert first.total_people == 40 and second.total_people == 2040
    assert len(second.rows) == 50 and second.totals[system.id].by_status[CoverageStatus.MISSING] == 2040
    assert small == large
    assert max(large) <= 16, large
