"""Works-council privacy settings: scores hidden from managers, totals only for small teams, pseudonymised
exports, and the retention schedule that removes attempt details but keeps completions."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tracker.enums import ManagerVisibility, Role
from tracker.extensions import db
from tracker.models import Attempt, AuditEvent, Completion, utcnow
from tracker.services.programme import privacy
from tracker.services.reporting import matrix, matrix_export


@pytest.fixture
def team(app, make_user):
    boss = make_user(Role.MANAGER)
    team = factories.make_team("Small team", manager=boss)
    course = factories.make_course()
    people = [make_user(team=team, name=f"Person {i}") for i in range(3)]
    factories.complete_course(people[0], course)
    return {"team": team, "people": people, "course": course}


def _scores(result):
    return [cell.score for row in result.rows for cell in row.cells.values() if cell.score is not None]


def test_managers_see_status_only_when_the_setting_says_so(team):
    scope = {team["team"].id}
    assert _scores(matrix.build(scope, matrix.Filters()))
    privacy.save(None, privacy.Settings(manager_visibility=ManagerVisibility.STATUS_ONLY))
    result = matrix.build(scope, matrix.Filters())
    assert not _scores(result) and not result.scores_shown
    assert {c.status for row in result.rows for c in row.cells.values()} >= {"completed"}
    assert _scores(matrix.build(None, matrix.Filters()))  # admins still see scores
    assert all(row[9] is None for row in matrix_export.rows(matrix.all_rows(scope, matrix.Filters())))


def test_small_team_views_show_totals_only(team):
    scope = {team["team"].id}
    privacy.save(None, privacy.Settings(aggregate_min_people=5))
    result = matrix.build(scope, matrix.Filters())
    assert result.aggregate_only and result.rows == [] and result.total_people == 3
    assert sum(result.status_counts.values()) > 0  # the totals are still there
    assert not matrix.build(None, matrix.Filters()).aggregate_only
    privacy.save(None, privacy.Settings(aggregate_min_people=3))
    assert not matrix.build(scope, matrix.Filters()).aggregate_only


def test_exports_are_pseudonymised_when_asked(team):
    privacy.save(None, privacy.Settings(pseudonymise_exports=True))
    lines = list(matrix_export.rows(matrix.all_rows({team["team"].id}, matrix.Filters())))
    assert all(line[0].startswith("P-") and line[1] == "" for line in lines)
    names = {line[0] for line in lines}
    assert len(names) == 3
    assert privacy.pseudonym(team["people"][0].id) == privacy.pseudonym(team["people"][0].id)


def test_retention_removes_attempt_details_and_keeps_completions(team):
    person, course = team["people"][0], team["course"]
    assert privacy.apply_retention().anonymised == 0  # off by default
    privacy.save(None, privacy.Settings(attempt_retention_months=6))
    now = utcnow()
    assert privacy.apply_retention(now=now).anonymised == 0  # nothing old enough
    later = now + timedelta(days=200)
    assert privacy.pending_retention(later) == 2
    result = privacy.apply_retention(now=later)
    assert result.anonymised == 2
    for attempt in db.session.scalars(select(Attempt).where(Attempt.user_id == person.id)):
        db.session.refresh(attempt)
        assert attempt.served == [] and attempt.answers is None and attempt.results is None
        assert attempt.score is not None and attempt.passed is True and attempt.details_removed_at is not None
    assert db.session.scalar(
        select(Completion).where(Completion.user_id == person.id, Completion.course_id == course.id)
    )
    assert privacy.apply_retention(now=later).anonymised == 0  # running again changes nothing
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "privacy.attempt_details_removed"))


def test_retention_cli(app, runner, team):
    assert "No retention period" in runner.invoke(args=["apply-retention"]).output
    output = runner.invoke(args=["apply-retention", "--months", "1"]).output
    assert "Removed the details of 0 attempts" in output
