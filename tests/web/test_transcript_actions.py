"""Actions on a training record: allow another quiz attempt and reopen a course, each behind a confirmation page
that works without JavaScript; done once however often (or however concurrently) the form is submitted."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import (
    Attempt,
    AttemptGrant,
    AuditEvent,
    Certificate,
    Completion,
    CourseProgress,
    Quiz,
    Role,
    User,
)
from tracker.services import DomainError
from tracker.services.learning import attempts, lessons, reopening, structure

CONFIRMED = {"confirmed": "yes"}


@pytest.fixture
def org(app, make_user):
    """Ann (in Boss's team Alpha) has used both attempts at module 1's quiz and failed; Cid completed the course."""
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team("Alpha", manager=boss)
    other_boss = make_user(Role.MANAGER, name="Other Boss")
    factories.make_team("Beta", manager=other_boss)
    admin = make_user(Role.ADMIN, name="Ada Admin")
    course = factories.make_course("retake-course", modules=2, lessons=1, max_attempts=2)
    ann = make_user(name="Ann", team=team)
    cid = make_user(name="Cid", team=team)
    quiz = course.modules[0].quiz
    for _ in range(2):
        attempt = attempts.start_attempt(ann, quiz)
        attempts.submit_attempt(ann, attempt, factories.answers_for(attempt, correct=False))
    cert = factories.complete_course(cid, course)
    return {"boss": boss, "other_boss": other_boss, "admin": admin, "team": team, "course": course, "ann": ann,
            "cid": cid, "quiz": quiz, "cert": cert}  # fmt: skip


def grants(user) -> int:
    return db.session.scalar(select(func.count(AttemptGrant.id)).where(AttemptGrant.user_id == user.id)) or 0


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def allow_url(org) -> str:
    return f"/transcripts/{org['ann'].id}/quizzes/{org['quiz'].id}/allow-attempt"


def reopen_url(org, who="cid") -> str:
    return f"/transcripts/{org[who].id}/courses/{org['course'].slug}/reopen"


# --- allow another attempt ----------------------------------------------------------------------------------------


def test_allow_attempt_confirmation_page_says_what_happens_and_posts_the_real_form(client, login_as, org):
    login_as(org["boss"])
    record = client.get(f"/transcripts/{org['ann'].id}").get_data(as_text=True)
    assert f'href="{allow_url(org)}"' in record and "2 of 2 attempts used in this cycle." in record
    page = client.get(allow_url(org)).get_data(as_text=True)
    assert "Allow Ann another attempt?" in page
    assert "2 of 2 attempts used in this cycle." in page
    assert "may start one more attempt at this quiz, past the attempt limit" in page
    assert f'<form method="post" action="{allow_url(org)}"' in page
    assert 'name="confirmed" value="yes"' in page and 'name="csrf_token"' in page
    assert grants(org["ann"]) == 0  # looking changes nothing


def test_an_unconfirmed_post_only_shows_the_page(client, login_as, org):
    login_as(org["boss"])
    response = client.post(allow_url(org), data={"reason": "Stale page"})
    assert response.status_code == 200 and "Allow Ann another attempt?" in response.get_data(as_text=True)
    assert grants(org["ann"]) == 0


def test_allowing_an_attempt_lets_the_learner_try_again_and_is_audited(app, client, login_as, org):
    quiz_page = f"/courses/{org['course'].slug}/modules/{org['quiz'].module.slug}/quiz"
    login_as(org["ann"])
    assert "used every attempt" in client.get(quiz_page).get_data(as_text=True)

    login_as(org["boss"])
    response = client.post(allow_url(org), data={**CONFIRMED, "reason": "Was ill on the day"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/transcripts/{org['ann'].id}#course-{org['course'].slug}")
    assert grants(org["ann"]) == 1
    [event] = events("quiz.attempt_granted")
    assert event.actor_id == org["boss"].id and event.target_id == str(org["ann"].id)
    assert event.details["reason"] == "Was ill on the day"
    record = client.get(f"/transcripts/{org['ann'].id}").get_data(as_text=True)
    assert "Another attempt was allowed on" in record and "by Boss and is not used yet" in record

    login_as(org["ann"])
    start = client.post(f"{quiz_page}/start")
    assert start.status_code == 302 and "/attempts/" in start.headers["Location"]
    assert db.session.scalar(select(AttemptGrant.used_by_attempt_id)) is not None


def test_double_submit_allows_one_attempt(client, login_as, org):
    login_as(org["boss"])
    first = client.post(allow_url(org), data=CONFIRMED)
    second = client.post(allow_url(org), data=CONFIRMED)
    assert first.status_code == second.status_code == 302
    assert grants(org["ann"]) == 1 and len(events("quiz.attempt_granted")) == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Another attempt was already allowed and is not used yet" in page


def test_the_database_keeps_one_unused_grant_per_learner_and_quiz(app, org):
    from sqlalchemy.exc import IntegrityError

    db.session.add(AttemptGrant(user_id=org["ann"].id, quiz_id=org["quiz"].id, reason="one"))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(AttemptGrant(user_id=org["ann"].id, quiz_id=org["quiz"].id, reason="two"))


def test_managers_act_only_on_their_people_and_nobody_on_themselves(client, login_as, org, make_user):
    login_as(org["other_boss"])
    assert client.get(allow_url(org)).status_code == 404
    assert client.post(allow_url(org), data=CONFIRMED).status_code == 404
    assert client.post(reopen_url(org), data={**CONFIRMED, "reason": "x", "cycle": "1"}).status_code == 404
    login_as(org["ann"])
    assert client.post(allow_url(org), data=CONFIRMED).status_code == 403
    assert grants(org["ann"]) == 0

    # A manager in their own team sees their record but cannot allow themselves attempts or reopen their courses.
    org["boss"].team = org["team"]
    db.session.commit()
    quiz = org["quiz"]
    for _ in range(2):
        attempt = attempts.start_attempt(org["boss"], quiz)
        attempts.submit_attempt(org["boss"], attempt, factories.answers_for(attempt, correct=False))
    db.session.commit()
    login_as(org["boss"])
    own = f"/transcripts/{org['boss'].id}"
    assert client.get(own).status_code == 200
    assert "Allow another attempt" not in client.get(own).get_data(as_text=True)
    response = client.post(f"{own}/quizzes/{quiz.id}/allow-attempt", data=CONFIRMED)
    assert response.status_code == 400 and "cannot allow yourself" in response.get_data(as_text=True)
    assert grants(org["boss"]) == 0


# --- reopen a course ----------------------------------------------------------------------------------------------


def test_reopen_confirmation_page_says_what_happens(client, login_as, org):
    login_as(org["admin"])
    record = client.get(f"/transcripts/{org['cid'].id}").get_data(as_text=True)
    assert f'href="{reopen_url(org)}"' in record
    page = client.get(reopen_url(org)).get_data(as_text=True)
    assert "Reopen “Course retake-course” for Cid?" in page
    assert "A new cycle (2) of the course starts now for Cid" in page
    assert f"Certificate {org['cert'].code} (Valid) is not changed" in page
    assert 'name="cycle" value="1"' in page and 'name="confirmed" value="yes"' in page


def test_reopening_starts_a_new_cycle_and_keeps_the_history(client, login_as, org):
    cid, course = org["cid"], org["course"]
    before = {
        "attempts": db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == cid.id)),
        "completions": db.session.scalar(select(func.count(Completion.id)).where(Completion.user_id == cid.id)),
        "certificates": db.session.scalar(select(func.count(Certificate.id)).where(Certificate.user_id == cid.id)),
    }
    login_as(org["admin"])
    missing = client.post(reopen_url(org), data={**CONFIRMED, "reason": "  ", "cycle": "1"})
    assert missing.status_code == 400 and "This field is required" in missing.get_data(as_text=True)
    response = client.post(reopen_url(org), data={**CONFIRMED, "reason": "Asked to retake", "cycle": "1"})
    assert response.status_code == 302
    row = db.session.scalar(select(CourseProgress).where(CourseProgress.user_id == cid.id))
    db.session.refresh(row)
    assert row.cycle == 2 and row.completed_at is None and row.cycle_started_at is not None
    assert row.percent == 50  # lessons stay read; both quizzes are to pass again
    after = {
        "attempts": db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == cid.id)),
        "completions": db.session.scalar(select(func.count(Completion.id)).where(Completion.user_id == cid.id)),
        "certificates": db.session.scalar(select(func.count(Certificate.id)).where(Certificate.user_id == cid.id)),
    }
    assert after == before
    db.session.refresh(org["cert"])
    assert org["cert"].revoked_at is None  # reopening revokes nothing
    [event] = events("course.reopened")
    assert event.actor_id == org["admin"].id and event.target_id == str(cid.id)
    assert event.details == {
        "course": course.slug, "cycle": 2, "reason": "Asked to retake", "previous_certificate": org["cert"].code,
    }  # fmt: skip
    quiz_page = client.get(f"/transcripts/{cid.id}").get_data(as_text=True)
    assert "0 of 2 attempts used in this cycle." in quiz_page


def test_double_submit_reopens_once(client, login_as, org):
    login_as(org["admin"])
    form = {**CONFIRMED, "reason": "Asked to retake", "cycle": "1"}
    first = client.post(reopen_url(org), data=form)
    second = client.post(reopen_url(org), data=form)
    assert first.status_code == second.status_code == 302
    row = db.session.scalar(select(CourseProgress).where(CourseProgress.user_id == org["cid"].id))
    db.session.refresh(row)
    assert row.cycle == 2 and len(events("course.reopened")) == 1
    assert "already reopened" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_nothing_to_reopen_is_said_plainly(client, login_as, org, make_user):
    never = make_user(name="Never Started", team=org["team"])
    login_as(org["admin"])
    url = f"/transcripts/{never.id}/courses/{org['course'].slug}/reopen"
    assert "has not started this course" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={**CONFIRMED, "reason": "x", "cycle": "1"})
    assert response.status_code == 400 and "has not started this course" in response.get_data(as_text=True)


# --- races: two requests at the same moment -----------------------------------------------------------------------


def _at_once(app, work, n: int = 2) -> list:
    """Run `work(app)` in n threads released together, each with its own app context and database session."""
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def run(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = work()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.real_commits  # each thread has its own connection and must see the other's commit
def test_concurrent_grants_make_one(app, make_user):
    boss = make_user(Role.MANAGER)
    learner = make_user(team=factories.make_team("Race", manager=boss))
    quiz_id = factories.make_course(max_attempts=1).modules[0].quiz.id
    ids = (boss.id, learner.id)

    def grant():
        actor, person = (db.session.get(User, i) for i in ids)
        _grant, created = attempts.grant_attempt(actor, person, db.session.get(Quiz, quiz_id), "race")
        return created

    outcomes = _at_once(app, grant)
    assert sorted(outcomes) == [False, True], outcomes
    assert db.session.scalar(select(func.count(AttemptGrant.id))) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "quiz.attempt_granted")) == 1


@pytest.mark.real_commits
def test_concurrent_reopens_make_one(app, make_user):
    admin = make_user(Role.ADMIN)
    learner = make_user()
    course = factories.make_course(modules=1, lessons=1)
    factories.complete_course(learner, course)
    ids, course_id = (admin.id, learner.id), course.id

    def reopen():
        actor, person = (db.session.get(User, i) for i in ids)
        view = structure.view(db.session.get(type(course), course_id), "en")
        return reopening.reopen_course(actor, person, view, "race", cycle=1).cycle

    outcomes = _at_once(app, reopen)
    assert sum(1 for o in outcomes if o == 2) == 1, outcomes
    assert sum(1 for o in outcomes if isinstance(o, reopening.AlreadyReopened)) == 1, outcomes
    assert db.session.scalar(select(CourseProgress.cycle)) == 2
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "course.reopened")) == 1


def test_a_course_without_a_quiz_is_not_reopened(app, make_user, course):
    """The course format gives every module a quiz; should one ever have none, a new cycle would be complete at once
    with lessons read long ago, so the service refuses."""
    admin, learner = make_user(Role.ADMIN), make_user()
    lessons.read_lesson(learner, course.modules[0].lessons[0])
    db.session.commit()
    view = structure.view(course, "en")
    without_quizzes = replace(view, modules=tuple(replace(module, quiz=None) for module in view.modules))
    with pytest.raises(DomainError, match="no quiz"):
        reopening.reopen_course(admin, learner, without_quizzes, "why", cycle=1)
