"""Attempt policy: a waiting time after repeated failures, attempts allowed by an admin or manager, review levels and
choice ids that reveal nothing."""

import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tracker.enums import ReviewLevel
from tracker.extensions import db
from tracker.models import AttemptGrant, AuditEvent, utcnow
from tracker.services.learning import attempts


def _fail(user, quiz, now):
    attempt = attempts.start_attempt(user, quiz, now=now)
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt, correct=False), now=now)
    return attempt


def _pass(user, quiz, now):
    attempt = attempts.start_attempt(user, quiz, now=now)
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt), now=now)
    return attempt


def test_the_waiting_time_starts_after_the_configured_number_of_failures_in_a_row(app, make_user):
    quiz = factories.make_course(cooldown=15, cooldown_after=2).modules[0].quiz
    user = make_user()
    now = utcnow()
    _fail(user, quiz, now)
    assert attempts.quiz_status(user, quiz, now=now).can_start  # one failure: no wait yet
    _fail(user, quiz, now)
    status = attempts.quiz_status(user, quiz, now=now + timedelta(minutes=5))
    assert not status.can_start and status.available_at == now + timedelta(minutes=15)
    assert "waiting time" in status.reason
    with pytest.raises(attempts.QuizUnavailable):
        attempts.start_attempt(user, quiz, now=now + timedelta(minutes=5))
    later = now + timedelta(minutes=16)
    _pass(user, quiz, later)
    # A pass ends the run of failures: the next failure alone does not make anyone wait.
    _fail(user, quiz, later)
    assert attempts.quiz_status(user, quiz, now=later).can_start


def test_an_allowed_attempt_is_used_once_and_is_audited(app, make_user):
    course = factories.make_course(max_attempts=1)
    quiz = course.modules[0].quiz
    user, manager = make_user(), make_user(role="manager")
    now = utcnow()
    _fail(user, quiz, now)
    status = attempts.quiz_status(user, quiz, now=now)
    assert not status.can_start and status.attempts_left == 0

    attempts.grant_attempt(manager, user, quiz, "Was interrupted by a fire drill")
    db.session.commit()
    status = attempts.quiz_status(user, quiz, now=now)
    assert status.can_start and status.attempts_left == 1 and status.grants == 1

    second = _fail(user, quiz, now)
    grant = db.session.scalar(select(AttemptGrant).where(AttemptGrant.user_id == user.id))
    assert grant.used_by_attempt_id == second.id
    status = attempts.quiz_status(user, quiz, now=now)
    assert not status.can_start and status.grants == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.attempt_granted"))
    assert event.actor_id == manager.id and event.target_id == str(user.id)
    assert event.details["reason"] == "Was interrupted by a fire drill"


def test_an_allowed_attempt_also_skips_the_waiting_time(app, make_user):
    quiz = factories.make_course(cooldown=60, cooldown_after=1).modules[0].quiz
    user, admin = make_user(), make_user(role="admin")
    now = utcnow()
    _fail(user, quiz, now)
    assert not attempts.quiz_status(user, quiz, now=now).can_start
    attempts.grant_attempt(admin, user, quiz)
    status = attempts.quiz_status(user, quiz, now=now)
    assert status.can_start and status.available_at is None
    _pass(user, quiz, now)


def test_review_level_follows_the_quiz_policy(app, make_user):
    quiz = factories.make_course(max_attempts=2, review_after_fail="wrong_questions").modules[0].quiz
    user = make_user()
    now = utcnow()
    first = _fail(user, quiz, now)
    assert attempts.review_level(first, attempts.quiz_status(user, quiz, now=now)) == ReviewLevel.WRONG_QUESTIONS
    second = _fail(user, quiz, now)
    # No attempt left: the learner now sees the full review, and so does the earlier attempt.
    status = attempts.quiz_status(user, quiz, now=now)
    assert attempts.review_level(second, status) == ReviewLevel.FULL
    assert attempts.review_level(first, status) == ReviewLevel.FULL


def test_review_after_a_pass_is_the_after_pass_level(app, make_user):
    quiz = factories.make_course(review_after_fail="score").modules[0].quiz
    user = make_user()
    now = utcnow()
    failed = _fail(user, quiz, now)
    assert attempts.review_level(failed, attempts.quiz_status(user, quiz, now=now)) == ReviewLevel.SCORE
    passed = _pass(user, quiz, now)
    assert attempts.review_level(passed, attempts.quiz_status(user, quiz, now=now)) == ReviewLevel.FULL


def test_choice_ids_are_random_per_attempt_and_grading_maps_them_back(app, make_user):
    quiz = factories.make_course(pool=3, per_attempt=3).modules[0].quiz
    user = make_user()
    now = utcnow()
    first = _fail(user, quiz, now)
    second = _pass(user, quiz, now)
    assert second.score == 100 and first.score == 0
    ids_first = {q["key"]: [c["id"] for c in q["choices"]] for q in first.served}
    ids_second = {q["key"]: [c["id"] for c in q["choices"]] for q in second.served}
    for key, ids in ids_first.items():
        assert not set(ids) & set(ids_second[key])  # a new set of ids in every attempt
        for choice_id in ids:
            # Nothing in an id says which choice of the file it is, or whether it is right.
            assert not re.fullmatch(r"c\d+|true|false", choice_id)
            assert len(choice_id) >= 8


def test_a_pool_smaller_than_one_attempt_is_refused_with_a_reason(app, make_user):
    quiz = factories.make_course(pool=3, per_attempt=3).modules[0].quiz
    quiz.questions_per_attempt = 5
    db.session.flush()
    status = attempts.quiz_status(make_user(), quiz)
    assert not status.can_start and "question pool" in status.reason


def test_a_double_start_with_one_allowed_attempt_opens_one(app, make_user):
    quiz = factories.make_course(max_attempts=1).modules[0].quiz
    user, admin = make_user(), make_user(role="admin")
    now = utcnow()
    _fail(user, quiz, now)
    attempts.grant_attempt(admin, user, quiz)
    first = attempts.start_attempt(user, quiz, now=now, rng=random.Random(1))
    again = attempts.start_attempt(user, quiz, now=now, rng=random.Random(2))
    assert first.id == again.id
    assert db.session.scalar(select(AttemptGrant.used_by_attempt_id)) == first.id
