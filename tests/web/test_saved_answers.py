"""An open attempt keeps the answers chosen so far when the learner leaves, and shows them again on return."""

from __future__ import annotations

import re

from tests import factories
from tracker.extensions import db
from tracker.models import Attempt


def _start(client, course) -> Attempt:
    response = client.post(f"/courses/{course.slug}/modules/module-1/quiz/start")
    assert response.status_code == 302
    return db.session.get(Attempt, int(response.location.rstrip("/").rsplit("/", 1)[1]))


def _first_choice(question: dict) -> str:
    return question["choices"][0]["id"]


def _stored(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def test_save_and_leave_keeps_the_answers_ungraded_and_they_are_chosen_again_on_return(client, login_as, make_user):
    course = factories.make_course()
    login_as(make_user())
    attempt = _start(client, course)
    first, second = attempt.served[0], attempt.served[1]
    response = client.post(
        f"/attempts/{attempt.id}/answers",
        data={f"q-{first['id']}": _first_choice(first), f"q-{second['id']}": "not-a-choice"},
    )
    assert response.status_code == 302 and response.location.endswith(f"/courses/{course.slug}")
    assert "Your answers are saved" in client.get(response.location).get_data(as_text=True)
    stored = _stored(attempt.id)
    assert stored.is_open and stored.score is None and stored.results is None
    assert stored.answers == {first["key"]: [_first_choice(first)]}  # by the content key; invalid choices dropped
    # Coming back: the same questions, the saved answer already chosen.
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert re.search(rf'value="{_first_choice(first)}"\s+checked', page)
    assert page.count("checked") == 1
    # Starting the quiz again leads back to the same open attempt.
    again = client.post(f"/courses/{course.slug}/modules/module-1/quiz/start")
    assert again.location.endswith(f"/attempts/{attempt.id}")


def test_the_page_saves_in_the_background_and_never_after_the_submit(client, login_as, make_user):
    course = factories.make_course()
    login_as(make_user())
    attempt = _start(client, course)
    first = attempt.served[0]
    background = {"X-Requested-With": "fetch"}
    data = {f"q-{first['id']}": _first_choice(first)}
    assert client.post(f"/attempts/{attempt.id}/answers", data=data, headers=background).status_code == 204
    assert _stored(attempt.id).answers == {first["key"]: [_first_choice(first)]}
    answers = factories.answers_for(attempt, correct=True)
    assert client.post(f"/attempts/{attempt.id}", data={f"q-{k}": v for k, v in answers.items()}).status_code == 302
    graded = _stored(attempt.id).answers
    assert client.post(f"/attempts/{attempt.id}/answers", data={}, headers=background).status_code in (404, 409)
    assert _stored(attempt.id).answers == graded


def test_a_submit_with_questions_missing_saves_what_was_answered(client, login_as, make_user):
    course = factories.make_course()
    login_as(make_user())
    attempt = _start(client, course)
    first = attempt.served[0]
    response = client.post(f"/attempts/{attempt.id}", data={f"q-{first['id']}": _first_choice(first)})
    assert response.status_code == 400
    assert _stored(attempt.id).answers == {first["key"]: [_first_choice(first)]}


def test_nobody_else_saves_answers_on_an_attempt(client, login_as, make_user):
    course = factories.make_course()
    login_as(make_user())
    attempt = _start(client, course)
    login_as(make_user())
    assert client.post(f"/attempts/{attempt.id}/answers", data={}).status_code == 404
    assert _stored(attempt.id).answers is None
