"""What a learner sees after an attempt follows the quiz's review policy, on the pages and in the API alike; the time
a lesson page was open is recorded with the read."""

import re
from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import Attempt, Completion, LessonRead
from tracker.services.learning import lessons


def _start(client, course, module="module-1") -> Attempt:
    response = client.post(f"/courses/{course.slug}/modules/{module}/quiz/start")
    assert response.status_code == 302
    attempt_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    return db.session.get(Attempt, attempt_id)


def _submit(client, attempt, *, correct):
    answers = factories.answers_for(attempt, correct=correct)
    data = {f"q-{key}": ids for key, ids in answers.items()}
    response = client.post(f"/attempts/{attempt.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(f"/attempts/{attempt.id}").get_data(as_text=True)


def _read_all(user, course):
    for module in course.modules:
        for lesson in module.lessons:
            lessons.read_lesson(user, lesson)
    db.session.commit()


def test_after_a_failed_attempt_the_learner_sees_which_questions_were_wrong_not_the_key(client, login_as, make_user):
    course = factories.make_course(max_attempts=3, review_after_fail="wrong_questions")
    learner = make_user()
    login_as(learner)
    attempt = _start(client, course)
    page = _submit(client, attempt, correct=False)
    assert "Not correct" in page and "Lessons to revisit" in page
    assert "correct answer" not in page and "Why:" not in page
    for question in attempt.served:
        assert question["explanation"] not in page
    assert "Try again" in page

    api = client.get(f"/api/v1/attempts/{attempt.id}").get_json()
    assert api["review"] == "wrong_questions"
    for item in api["questions"]:
        assert isinstance(item["correct"], bool)
        assert item.get("choices") is None and item.get("selected") is None and item.get("explanation") is None

    retry = _start(client, course)
    passed = _submit(client, retry, correct=True)
    assert "Why:" in passed and "correct answer" in passed
    api = client.get(f"/api/v1/attempts/{retry.id}").get_json()
    assert api["review"] == "full" and all("explanation" in item for item in api["questions"])


def test_question_keys_of_the_content_never_reach_the_page_or_the_api(client, login_as, make_user):
    """A content key such as "longest-answer-is-right" could hint at the answer: each attempt names its questions
    with random ids instead."""
    course = factories.make_course()
    login_as(make_user())
    attempt = _start(client, course)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    api = client.get(f"/api/v1/attempts/{attempt.id}").get_data(as_text=True)
    for question in attempt.served:
        assert question["key"] not in page and question["key"] not in api
        assert f'name="q-{question["id"]}"' in page


def test_with_the_score_only_policy_nothing_but_the_score_is_shown(client, login_as, make_user):
    course = factories.make_course(review_after_fail="score")
    login_as(make_user())
    attempt = _start(client, course)
    page = _submit(client, attempt, correct=False)
    assert "Not correct" not in page and "Why:" not in page
    for question in attempt.served:
        assert question["prompt"] not in page
    assert client.get(f"/api/v1/attempts/{attempt.id}").get_json()["questions"] == []


def test_after_the_last_allowed_attempt_there_is_no_try_again_but_a_full_review(client, login_as, make_user):
    course = factories.make_course(max_attempts=1, review_after_fail="wrong_questions")
    login_as(make_user())
    attempt = _start(client, course)
    page = _submit(client, attempt, correct=False)
    assert "Try again" not in page
    assert "An administrator or your manager can allow another attempt" in page
    assert "Why:" in page  # nothing left to protect: the learner may learn from the key
    refused = client.post(f"/courses/{course.slug}/modules/module-1/quiz/start", follow_redirects=True)
    assert refused.status_code == 200 and "every attempt allowed" in refused.get_data(as_text=True)


def test_the_time_a_lesson_page_was_open_is_recorded_and_a_forged_stamp_is_ignored(client, login_as, make_user):
    course = factories.make_course(modules=1, lessons=2)
    learner = make_user()
    login_as(learner)
    base = f"/courses/{course.slug}/modules/module-1/lessons"
    page = client.get(f"{base}/lesson-1").get_data(as_text=True)
    stamp = re.search(r'name="opened" value="([^"]+)"', page).group(1)
    assert client.post(f"{base}/lesson-1/read", data={"opened": stamp}).status_code == 302
    client.post(f"{base}/lesson-2/read", data={"opened": stamp})  # a stamp of another lesson
    reads = {r.lesson_id: r for r in db.session.scalars(select(LessonRead).where(LessonRead.user_id == learner.id))}
    first, second = (reads[lesson.id] for lesson in course.modules[0].lessons)
    assert first.opened_at is not None and first.opened_at <= first.read_at
    assert first.read_at - first.opened_at < timedelta(minutes=1)
    assert second.opened_at is None


def test_a_completion_keeps_the_attempts_and_when_learning_began(client, login_as, make_user):
    course = factories.make_course(modules=1, lessons=1, max_attempts=3)
    learner = make_user()
    login_as(learner)
    page = client.get(f"/courses/{course.slug}/modules/module-1/lessons/lesson-1").get_data(as_text=True)
    stamp = re.search(r'name="opened" value="([^"]+)"', page).group(1)
    client.post(f"/courses/{course.slug}/modules/module-1/lessons/lesson-1/read", data={"opened": stamp})
    _submit(client, _start(client, course), correct=False)
    _submit(client, _start(client, course), correct=True)
    completion = db.session.scalar(select(Completion).where(Completion.user_id == learner.id))
    read = db.session.scalar(select(LessonRead).where(LessonRead.user_id == learner.id))
    assert completion.attempts == 2
    assert completion.first_opened_at == read.opened_at
