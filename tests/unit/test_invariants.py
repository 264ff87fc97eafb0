"""`flask check-invariants`: silent on data the services made (every certificate state, renewals, the demo
organisations), and each invariant broken on purpose is reported with a non-zero exit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from tests import factories
from tracker.demo import organisation
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import Attempt, Certificate, CourseProgress
from tracker.services import certification, invariants
from tracker.services.learning import attempts, lessons
from tracker.services.programme import inventory, requirements


def _check(runner):
    db.session.commit()
    return runner.invoke(args=["check-invariants"])


def _assert_clean(runner):
    result = _check(runner)
    assert result.exit_code == 0, result.output
    assert "No violations" in result.output


def _assert_reported(runner, check: str, detail: str) -> None:
    result = _check(runner)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(f"{check}: ")]
    assert len(lines) == 1 and detail in lines[0], result.output
    assert "1 violation(s) found." in result.output


def test_every_state_the_services_make_satisfies_the_invariants(app, runner, course):
    admin = factories.make_user(Role.ADMIN)
    _assert_clean(runner)  # an empty database
    revoked = factories.complete_course(factories.make_user(), course)
    certification.revoke(revoked, admin, "Issued in error")
    reissued = factories.complete_course(factories.make_user(), course)
    newer = certification.reissue(reissued, admin, "Name changed")
    certification.revoke(newer, admin, "Left before the audit")
    renewing = factories.make_user()
    start = datetime.now(UTC) - timedelta(days=350)
    factories.complete_course(renewing, course, now=start)
    certification.start_renewal(renewing, course, now=start + timedelta(days=340))
    factories.complete_course(factories.make_user(name="山田 太郎"), course)  # pending: no printable name
    factories.without_files(factories.complete_course(factories.make_user(), course))  # files made on first use
    certification.ensure_files(factories.without_files(factories.complete_course(factories.make_user(), course)))
    in_progress = factories.make_user()
    lessons.read_lesson(in_progress, course.modules[0].lessons[0])
    attempts.start_attempt(in_progress, course.modules[0].quiz)
    _assert_clean(runner)


def test_the_demo_organisations_satisfy_the_invariants(app, runner):
    for slug in ("demo-a", "demo-b", "demo-c"):
        factories.make_course(slug)
    assert organisation.load_demo() is True
    assert runner.invoke(args=["demo-data", "--learners", "30", "--courses", "3"]).exit_code == 0
    _assert_clean(runner)


def test_a_completion_without_a_current_certificate_is_reported(app, runner, course):
    cert = factories.complete_course(factories.make_user(), course)
    cert.superseded_at = datetime.now(UTC)  # superseded by nothing
    _assert_reported(runner, "completion without a current certificate", f"completion {cert.completion_id} ")


def test_a_certificate_with_two_current_revisions_is_reported(app, runner, course):
    cert = factories.complete_course(factories.make_user(), course)
    certification.reissue(cert, factories.make_user(Role.ADMIN), "Name changed")
    cert.superseded_at = None  # the old revision current again, beside the new one
    _assert_reported(runner, "certificate with two current revisions", f"completion {cert.completion_id} has 2")


def test_a_revoked_certificate_with_a_newer_revision_is_reported(app, runner, course):
    cert = factories.complete_course(factories.make_user(), course)
    new = certification.reissue(cert, factories.make_user(Role.ADMIN), "Name changed")
    cert.revoked_at, cert.revoked_reason = datetime.now(UTC), "Revoked while being reissued"
    _assert_reported(runner, "revoked certificate with a newer revision", f"{cert.code} is revoked")
    assert new.revoked_at is None


@pytest.mark.parametrize(
    ("cleared", "detail"),
    [
        ({"pdf": None}, "has a PDF hash, a credential without a PDF"),
        ({"credential": None}, "has a PDF, a PDF hash without a credential"),
        ({"pdf_sha256": None}, "has a PDF, a credential without a PDF hash"),
        ({"pending_reason": "Cannot print"}, "is pending and has a PDF, a PDF hash, a credential"),
    ],
)
def test_a_certificate_with_part_of_its_files_is_reported(app, runner, course, cleared, detail):
    cert = factories.complete_course(factories.make_user(), course)
    db.session.execute(update(Certificate).where(Certificate.id == cert.id).values(**cleared))
    _assert_reported(runner, "certificate files", f"certificate {cert.code} {detail}")


@pytest.mark.parametrize("finished", ["percent", "completed_at"])
def test_a_finished_course_without_a_completion_is_reported(app, runner, course, finished):
    learner = factories.make_user()
    lessons.read_lesson(learner, course.modules[0].lessons[0])
    values = {"percent": 100} if finished == "percent" else {"completed_at": datetime.now(UTC)}
    db.session.execute(update(CourseProgress).where(CourseProgress.user_id == learner.id).values(**values))
    _assert_reported(runner, "finished course without a completion", f"person {learner.id} is at ")


def test_two_open_attempts_at_one_quiz_are_reported(app, runner, course):
    learner = factories.make_user()
    quiz = course.modules[0].quiz
    first = attempts.start_attempt(learner, quiz)
    # The database refuses a second open attempt; lift that guard inside this test's transaction (rolled back).
    db.session.execute(text("DROP INDEX uq_attempts_one_open"))
    second = Attempt(
        user_id=learner.id,
        quiz_id=quiz.id,
        number=2,
        course_version=first.course_version,
        pass_mark=first.pass_mark,
        served=first.served,
    )
    db.session.add(second)
    _assert_reported(runner, "two open attempts", f"person {learner.id} has 2 open attempts at quiz {quiz.id}")


def test_every_violation_is_listed(app, runner, course):
    first = factories.complete_course(factories.make_user(), course)
    second = factories.complete_course(factories.make_user(), course)
    first.superseded_at = datetime.now(UTC)
    second.superseded_at = datetime.now(UTC)
    db.session.commit()
    assert [v.check for v in invariants.violations()] == ["completion without a current certificate"] * 2
    result = runner.invoke(args=["check-invariants"])
    assert result.exit_code == 1 and "2 violation(s) found." in result.output
    assert db.session.scalar(select(Certificate.id).where(Certificate.superseded_at.is_(None))) is None


def test_matrix_tables_out_of_step_are_reported(app, runner, make_user):
    person = make_user(name="Matrix Person")
    db.session.commit()
    _assert_clean(runner)
    # Behind the back of the tables' upkeep (a plain SQL statement is not noted), as a restored backup could be.
    db.session.execute(
        text("UPDATE matrix_people SET name_key = 'someone else' WHERE user_id = :id"), {"id": person.id}
    )
    _assert_reported(runner, "matrix tables", f"person {person.id}: summary differs")


def test_coverage_rows_out_of_step_are_reported(app, runner, make_user):
    team = factories.make_team("Ops")
    course = factories.make_course()
    person = make_user(name="Coverage Person", team=team)
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[team.id]))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{course.id}", system_id=system.id))
    db.session.commit()
    _assert_clean(runner)
    db.session.execute(text("UPDATE coverage_cells SET status = 'covered' WHERE user_id = :id"), {"id": person.id})
    _assert_reported(
        runner,
        "matrix tables",
        f"coverage cell ({person.id}, {system.id}): stored ('covered', 'course:{course.id}', ''), "
        f"expected ('missing', 'course:{course.id}', '')",
    )
