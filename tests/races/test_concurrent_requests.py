"""Exactly once under concurrency: real requests fired at once at a live server on PostgreSQL.

Each race is repeated ROUNDS times on fresh rows; a round's outcome is checked through the test's own connection,
every violation of every round is collected, and the test fails listing them. At the end `flask check-invariants`
runs on the data the requests left (before the tables are wiped).

Races checked (each is the server's job: a row lock or a conditional update, see the services):
- two tabs: the last lesson marked read while the last quiz is passed: one completion, one certificate;
- an admin revokes a certificate while another reissues it: never a valid revision of a revoked certificate;
- two admins reissue the same certificate: exactly one current revision;
- twenty "Start quiz" at once (pages and API): one open attempt;
- one attempt submitted twice at once with different answers: graded once;
- two starts past the attempt limit with one attempt granted: one attempt, the grant used once.
"""

from __future__ import annotations

import html
from functools import partial

import pytest
from sqlalchemy import func, select

from tracker.enums import Role
from tracker.extensions import db
from tracker.models import Attempt, AttemptGrant, Certificate, Completion, CourseProgress
from tracker.services import invariants
from tracker.services.learning import attempts, lessons

from .. import factories
from .conftest import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]

ROUNDS = 20
STARTS_AT_ONCE = 20


def _fresh() -> None:
    """Forget what the test's session holds: the next reads see what the server committed."""
    db.session.commit()
    db.session.expire_all()


def _assert_no_violations(app, violations: list[str], rounds: int) -> None:
    assert not violations, f"{len(violations)} violation(s) in {rounds} rounds:\n" + "\n".join(violations)
    found = invariants.violations()
    assert not found, "\n".join(map(str, found))
    result = app.test_cli_runner().invoke(args=["check-invariants"])
    assert result.exit_code == 0, result.output


def _form_answers(attempt, *, correct: bool = True) -> dict[str, list[str]]:
    return {f"q-{key}": ids for key, ids in factories.answers_for(attempt, correct=correct).items()}


def test_last_lesson_and_last_quiz_in_two_tabs_complete_the_course_once(app, live_server):
    course = factories.make_course(modules=1, lessons=2, pool=3, per_attempt=3)
    module = course.modules[0]
    first, last = module.lessons
    read_last = f"/courses/{course.slug}/modules/{module.slug}/lessons/{last.slug}/read"
    violations: list[str] = []
    for round_ in range(ROUNDS):
        learner = factories.make_user()
        lessons.read_lesson(learner, first)
        attempt = attempts.start_attempt(learner, module.quiz)
        db.session.commit()
        submit, answers, learner_id = f"/attempts/{attempt.id}", _form_answers(attempt), learner.id
        lesson_tab = live_server.signed_in(learner)
        quiz_tab = lesson_tab.tab()
        calls = [partial(lesson_tab.post, read_last), partial(quiz_tab.post, submit, answers)]
        responses = at_once(calls if round_ % 2 else calls[::-1])

        _fresh()
        if sorted(r.status for r in responses) != [302, 302]:
            violations.append(f"round {round_}: statuses {[r.status for r in responses]}")
        row = db.session.scalar(
            select(CourseProgress).where(CourseProgress.user_id == learner_id, CourseProgress.course_id == course.id)
        )
        completions = db.session.scalar(select(func.count(Completion.id)).where(Completion.user_id == learner_id))
        current = db.session.scalar(
            select(func.count(Certificate.id)).where(
                Certificate.user_id == learner_id, Certificate.superseded_at.is_(None)
            )
        )
        if row is None or row.completed_at is None or row.percent != 100:
            violations.append(f"round {round_}: course not completed ({row and row.percent} %)")
        if completions != 1 or current != 1:
            violations.append(f"round {round_}: {completions} completion(s), {current} current certificate(s)")
    _assert_no_violations(app, violations, ROUNDS)


@pytest.fixture
def certificate_course(app):
    """The smallest course, so that each round's certificate is quick to earn."""
    return factories.make_course(modules=1, lessons=1, pool=3, per_attempt=3)


def _admins(live_server):
    return [live_server.signed_in(factories.make_user(Role.ADMIN)) for _ in range(2)]


def _certificates_of(completion_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.completion_id == completion_id).order_by(Certificate.revision)
        )
    )


def _said(response, message: str) -> bool:
    return message in html.unescape(response.text)


def test_revoke_and_reissue_at_once_never_leave_a_valid_revision_of_a_revoked_certificate(
    app, live_server, certificate_course
):
    first_admin, second_admin = _admins(live_server)
    violations: list[str] = []
    wins = {"revoke": 0, "reissue": 0}
    for round_ in range(ROUNDS):
        cert = factories.complete_course(factories.make_user(), certificate_course)
        code, completion_id = cert.code, cert.completion_id
        db.session.commit()
        revoke = partial(
            first_admin.post, f"/admin/certificates/{code}/revoke", {"reason": "Race test", "confirmed": "yes"}
        )
        reissue = partial(
            second_admin.post, f"/admin/certificates/{code}/reissue", {"reason": "Race test", "confirmed": "yes"}
        )
        if round_ % 2:
            revoked, reissued = at_once([revoke, reissue])
        else:
            reissued, revoked = at_once([reissue, revoke])

        _fresh()
        statuses = (revoked.status, reissued.status)
        certs = _certificates_of(completion_id)
        original = certs[0]
        if statuses == (302, 400):
            wins["revoke"] += 1
            if not _said(reissued, "A revoked certificate cannot be reissued."):
                violations.append(f"round {round_}: the refused reissue does not say why")
            if original.revoked_at is None or len(certs) != 1:
                violations.append(f"round {round_}: revoke won, but {len(certs)} revision(s), not revoked")
        elif statuses == (400, 302):
            wins["reissue"] += 1
            if not _said(revoked, "This certificate was superseded; revoke the current version instead."):
                violations.append(f"round {round_}: the refused revoke does not say why")
            if len(certs) != 2 or original.revoked_at is not None or certs[1].revoked_at is not None:
                violations.append(f"round {round_}: reissue won, but {len(certs)} revision(s), or one revoked")
        else:
            violations.append(f"round {round_}: revoke answered {statuses[0]}, reissue {statuses[1]}")
        if original.revoked_at is not None and len(certs) > 1:
            violations.append(f"round {round_}: a new revision of revoked certificate {code} exists")
    _assert_no_violations(app, violations, ROUNDS)
    print(f"revoke won {wins['revoke']} rounds, reissue {wins['reissue']}")


def test_two_reissues_at_once_leave_exactly_one_current_revision(app, live_server, certificate_course):
    first_admin, second_admin = _admins(live_server)
    violations: list[str] = []
    for round_ in range(ROUNDS):
        cert = factories.complete_course(factories.make_user(), certificate_course)
        code, completion_id = cert.code, cert.completion_id
        db.session.commit()
        responses = at_once(
            [
                partial(
                    first_admin.post, f"/admin/certificates/{code}/reissue", {"reason": "First", "confirmed": "yes"}
                ),
                partial(
                    second_admin.post, f"/admin/certificates/{code}/reissue", {"reason": "Second", "confirmed": "yes"}
                ),
            ]
        )

        _fresh()
        statuses = sorted(r.status for r in responses)
        if statuses != [302, 400]:
            violations.append(f"round {round_}: statuses {statuses}")
        refused = [r for r in responses if r.status == 400]
        if refused and not _said(refused[0], "This certificate was already superseded by a newer version."):
            violations.append(f"round {round_}: the refused reissue does not say why")
        certs = _certificates_of(completion_id)
        current = [c for c in certs if c.superseded_at is None]
        if len(certs) != 2 or len(current) != 1 or current[0].revision != 2:
            violations.append(
                f"round {round_}: revisions {[c.revision for c in certs]}, current {[c.revision for c in current]}"
            )
    _assert_no_violations(app, violations, ROUNDS)


def _start_calls(tabs, course, module):
    """Alternately the page's Start button and the API's start call, one per tab."""
    page = f"/courses/{course.slug}/modules/{module.slug}/quiz/start"
    api = f"/api/v1/courses/{course.slug}/modules/{module.slug}/attempts"
    return [partial(tab.post, page) if i % 2 == 0 else partial(tab.post_json, api, {}) for i, tab in enumerate(tabs)]


def _attempt_id(response) -> int | None:
    """The attempt a start answered with: the page redirects to it, the API returns it (201)."""
    if response.status == 302 and response.location.startswith("/attempts/"):
        return int(response.location.rsplit("/", 1)[1])
    if response.status == 201:
        return response.json()["id"]
    return None


def test_twenty_starts_at_once_open_one_attempt(app, live_server):
    course = factories.make_course(modules=1, lessons=1, pool=5, per_attempt=3)
    module = course.modules[0]
    violations: list[str] = []
    for round_ in range(ROUNDS):
        learner = factories.make_user()
        learner_id = learner.id
        first_tab = live_server.signed_in(learner)
        tabs = [first_tab] + [first_tab.tab() for _ in range(STARTS_AT_ONCE - 1)]
        responses = at_once(_start_calls(tabs, course, module))

        _fresh()
        answered = {_attempt_id(r) for r in responses}
        rows = list(db.session.scalars(select(Attempt).where(Attempt.user_id == learner_id)))
        if None in answered or len(answered) != 1:
            violations.append(f"round {round_}: answers {sorted(r.status for r in responses)}, attempts {answered}")
        if len(rows) != 1 or not rows[0].is_open or {rows[0].id} != answered:
            violations.append(f"round {round_}: {len(rows)} attempt(s) stored, answered {answered}")
    _assert_no_violations(app, violations, ROUNDS)


def test_one_attempt_submitted_twice_at_once_is_graded_once(app, live_server):
    """Two API submits of one attempt, one right and one wrong: the second finds it closed, and both answer with
    the one grading stored (a second grading would overwrite the first and each would report its own)."""
    course = factories.make_course(modules=1, lessons=1, pool=5, per_attempt=3)
    module = course.modules[0]
    violations: list[str] = []
    for round_ in range(ROUNDS):
        learner = factories.make_user()
        attempt = attempts.start_attempt(learner, module.quiz)
        db.session.commit()
        path, attempt_id = f"/api/v1/attempts/{attempt.id}/submit", attempt.id
        right = {"answers": factories.answers_for(attempt)}
        wrong = {"answers": factories.answers_for(attempt, correct=False)}
        first_tab = live_server.signed_in(learner)
        second_tab = first_tab.tab()
        responses = at_once([partial(first_tab.post_json, path, right), partial(second_tab.post_json, path, wrong)])

        _fresh()
        stored = db.session.get(Attempt, attempt_id)
        if [r.status for r in responses] != [200, 200]:
            violations.append(f"round {round_}: statuses {[r.status for r in responses]}")
            continue
        reported = [(r.json()["passed"], r.json()["correct"]) for r in responses]
        if reported != [(stored.passed, stored.correct_count)] * 2 or attempts.public_answers(stored) not in (
            right["answers"],
            wrong["answers"],
        ):
            violations.append(f"round {round_}: reported {reported}, stored {(stored.passed, stored.correct_count)}")
    _assert_no_violations(app, violations, ROUNDS)


def test_two_starts_past_the_limit_with_one_grant_open_one_attempt(app, live_server):
    course = factories.make_course(modules=1, lessons=1, pool=5, per_attempt=3, max_attempts=1)
    module = course.modules[0]
    admin = factories.make_user(Role.ADMIN)
    violations: list[str] = []
    for round_ in range(ROUNDS):
        learner = factories.make_user()
        failed = attempts.start_attempt(learner, module.quiz)
        attempts.submit_attempt(learner, failed, factories.answers_for(failed, correct=False))
        attempts.grant_attempt(admin, learner, module.quiz, "Race test")
        db.session.commit()
        learner_id, failed_id = learner.id, failed.id
        first_tab = live_server.signed_in(learner)
        responses = at_once(_start_calls([first_tab, first_tab.tab()], course, module)[:: 1 if round_ % 2 else -1])

        _fresh()
        if any(r.status >= 500 for r in responses):
            violations.append(f"round {round_}: statuses {[r.status for r in responses]}")
        rows = list(db.session.scalars(select(Attempt).where(Attempt.user_id == learner_id, Attempt.id != failed_id)))
        grants = list(db.session.scalars(select(AttemptGrant).where(AttemptGrant.user_id == learner_id)))
        answered = {_attempt_id(r) for r in responses} - {None}
        if len(rows) != 1 or len(grants) != 1 or grants[0].used_by_attempt_id != rows[0].id:
            violations.append(
                f"round {round_}: {len(rows)} new attempt(s), grant used by {[g.used_by_attempt_id for g in grants]}"
            )
        elif answered != {rows[0].id}:
            violations.append(f"round {round_}: the starts answered attempts {answered}, stored {rows[0].id}")
    _assert_no_violations(app, violations, ROUNDS)
