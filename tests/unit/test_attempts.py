import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import Attempt, Question, utcnow
from tracker.services.content import loader
from tracker.services.learning import attempts


def _quiz(course, index=0):
    return course.modules[index].quiz


def test_attempt_serves_a_snapshot_of_the_drawn_questions(app, make_user, course):
    user = make_user()
    attempt = attempts.start_attempt(user, _quiz(course), rng=random.Random(1))
    db.session.commit()
    assert len(attempt.served) == 3
    pool = {q.key for q in _quiz(course).questions}
    assert {q["key"] for q in attempt.served} <= pool
    assert len({q["key"] for q in attempt.served}) == 3
    assert all(q["explanation"] and q["choices"] for q in attempt.served)
    assert attempt.course_version == course.version
    assert attempt.pass_mark == 80


def test_order_of_questions_and_choices_is_shuffled(app, make_user):
    course = factories.make_course(pool=8, per_attempt=8)
    orders = set()
    choice_orders = set()
    for seed in range(6):
        user = make_user()
        attempt = attempts.start_attempt(user, _quiz(course), rng=random.Random(seed))
        orders.add(tuple(q["key"] for q in attempt.served))
        choice_orders.update(tuple(c["id"] for c in q["choices"]) for q in attempt.served if q["kind"] == "single")
    assert len(orders) > 1
    assert len(choice_orders) > 1


def test_open_attempt_is_returned_instead_of_a_second_one(app, make_user, course):
    user = make_user()
    first = attempts.start_attempt(user, _quiz(course))
    second = attempts.start_attempt(user, _quiz(course))
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_retake_prefers_unseen_questions(app, make_user):
    course = factories.make_course(pool=6, per_attempt=3)
    user = make_user()
    quiz = _quiz(course)
    first = attempts.start_attempt(user, quiz, rng=random.Random(3))
    attempts.submit_attempt(user, first, factories.answers_for(first, correct=False))
    second = attempts.start_attempt(user, quiz, rng=random.Random(4))
    assert not {q["key"] for q in first.served} & {q["key"] for q in second.served}


def test_submit_grades_and_double_submit_is_harmless(app, make_user, course):
    user = make_user()
    attempt = attempts.start_attempt(user, _quiz(course))
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt))
    db.session.commit()
    assert (attempt.score, attempt.passed, attempt.correct_count) == (100, True, 3)
    submitted_at = attempt.submitted_at
    again = attempts.submit_attempt(user, attempt, factories.answers_for(attempt, correct=False))
    db.session.commit()
    assert again.score == 100 and again.submitted_at == submitted_at


def test_incomplete_answers_are_refused_and_nothing_is_recorded(app, make_user, course):
    user = make_user()
    attempt = attempts.start_attempt(user, _quiz(course))
    answers = factories.answers_for(attempt)
    missing_key = attempts.public_id(attempt.served[0])
    answers[missing_key] = []
    answers[attempts.public_id(attempt.served[1])] = ["not-a-choice"]
    with pytest.raises(attempts.IncompleteAnswers) as info:
        attempts.submit_attempt(user, attempt, answers)
    assert set(info.value.missing) == {missing_key, attempts.public_id(attempt.served[1])}
    assert attempt.is_open and attempt.score is None


def test_two_choices_on_a_single_choice_question_is_not_an_answer(app, make_user):
    course = factories.make_course(pool=5, per_attempt=5)
    user = make_user()
    attempt = attempts.start_attempt(user, _quiz(course))
    answers = factories.answers_for(attempt)
    single = next(q for q in attempt.served if q["kind"] == "single")
    answers[attempts.public_id(single)] = [c["id"] for c in single["choices"]]
    with pytest.raises(attempts.IncompleteAnswers):
        attempts.submit_attempt(user, attempt, answers)


def test_finished_attempt_keeps_what_it_served_after_content_edits(app, make_user):
    data = factories.course_data("stable")
    loader.apply_course(data)
    course = factories.load_course("stable")
    user = make_user()
    attempt = attempts.start_attempt(user, _quiz(course))
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt))
    db.session.commit()
    served_before = [dict(q) for q in attempt.served]
    for module in data["modules"]:
        for question in module["quiz"]["questions"]:
            question["prompt"] = "Rewritten " + question["prompt"]
            question["choices"][0]["text"] = "Changed choice"
    assert loader.apply_course(data).version == 2
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Attempt, attempt.id)
    assert stored.served == served_before
    assert stored.score == 100
    assert db.session.scalar(select(Question.prompt).where(Question.key == served_before[0]["key"])).startswith(
        "Rewritten"
    )


def test_max_attempts_and_cooldown(app, make_user):
    course = factories.make_course(max_attempts=2, cooldown=30)
    quiz = _quiz(course)
    user = make_user()
    now = utcnow()
    first = attempts.start_attempt(user, quiz, now=now)
    attempts.submit_attempt(user, first, factories.answers_for(first, correct=False), now=now)
    status = attempts.quiz_status(user, quiz, now=now + timedelta(minutes=10))
    assert not status.can_start and status.available_at == now + timedelta(minutes=30)
    with pytest.raises(attempts.QuizUnavailable):
        attempts.start_attempt(user, quiz, now=now + timedelta(minutes=10))
    later = now + timedelta(minutes=31)
    second = attempts.start_attempt(user, quiz, now=later)
    attempts.submit_attempt(user, second, factories.answers_for(second, correct=False), now=later)
    status = attempts.quiz_status(user, quiz, now=later + timedelta(days=1))
    assert status.attempts_left == 0 and not status.can_start
    assert "every attempt" in status.reason
