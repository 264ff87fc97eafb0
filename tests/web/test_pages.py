"""Every page a learner uses, through the browser-facing routes (no JavaScript involved)."""

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import Attempt, LessonRead, Role
from tracker.services.content import loader
from tracker.services.organisation import assignments


def _lesson_url(course, m=0, n=0):
    module = course.modules[m]
    return f"/courses/{course.slug}/modules/{module.slug}/lessons/{module.lessons[n].slug}"


def test_anonymous_visitors_are_sent_to_sign_in(client, course):
    response = client.get(f"/courses/{course.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_dashboard_shows_courses_and_continue_link(client, make_user, login_as, course):
    user = make_user(Role.LEARNER)
    login_as(user)
    page = client.get("/").get_data(as_text=True)
    assert "You have not started a course yet" in page
    assert course.title in page
    client.post(_lesson_url(course) + "/read")
    page = client.get("/").get_data(as_text=True)
    assert "Continue where you left off" in page
    assert 'value="16"' in page  # the progress element
    assert _lesson_url(course, 0, 1) in page  # the next step is the second lesson


def test_catalogue_lists_courses_and_paths(client, make_user, login_as, app):
    course = factories.make_course("alpha")
    loader.apply_paths([{"slug": "basics", "title": "Basics path", "description": "For all.", "courses": ["alpha"]}])
    db.session.commit()
    login_as(make_user())
    page = client.get("/courses/").get_data(as_text=True)
    assert "Basics path" in page and course.title in page


def test_course_page_shows_modules_status_and_facts_date(client, make_user, login_as, course):
    login_as(make_user())
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Module 1" in page and "Module 2" in page
    assert "Not started" in page
    assert "as of 22 November 2026" in page
    assert "Start the course" in page


def test_lesson_page_has_objectives_key_points_sources_and_pager(client, make_user, login_as, course):
    login_as(make_user())
    page = client.get(_lesson_url(course, 0, 1)).get_data(as_text=True)
    for text in (
        "In this lesson you will",
        "Key points",
        "Sources",
        "<strong>bold</strong>",
        "Previous: Lesson 1.1",
        "Skip to next: Lesson 2.1 (not marked read)",  # unread: the pager does not pose as the way on
        "Mark as read and go to the quiz",
    ):
        assert text in page, text


def test_mark_as_read_goes_to_next_step_and_double_submit_is_harmless(client, make_user, login_as, course):
    user = make_user()
    login_as(user)
    first = client.post(_lesson_url(course, 0, 0) + "/read")
    assert first.headers["Location"].endswith(_lesson_url(course, 0, 1))
    client.post(_lesson_url(course, 0, 0) + "/read")
    assert db.session.scalar(select(func.count()).select_from(LessonRead)) == 1
    last = client.post(_lesson_url(course, 0, 1) + "/read")
    assert last.headers["Location"].endswith(f"/courses/{course.slug}/modules/module-1/quiz")


def test_unknown_course_module_or_lesson_is_404(client, make_user, login_as, course):
    login_as(make_user())
    assert client.get("/courses/nope").status_code == 404
    assert client.get(f"/courses/{course.slug}/modules/nope/quiz").status_code == 404
    assert client.get(f"/courses/{course.slug}/modules/module-1/lessons/nope").status_code == 404


def _start(client, course):
    response = client.post(f"/courses/{course.slug}/modules/module-1/quiz/start")
    assert response.status_code == 302
    return int(re.search(r"/attempts/(\d+)$", response.headers["Location"]).group(1))


def test_quiz_flow_with_result_and_review(client, make_user, login_as, course):
    login_as(make_user())
    overview = client.get(f"/courses/{course.slug}/modules/module-1/quiz").get_data(as_text=True)
    assert "Pass mark: 80%" in overview and "drawn from a pool of 5" in overview
    attempt_id = _start(client, course)
    assert _start(client, course) == attempt_id  # double click: same attempt
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    attempt = db.session.get(Attempt, attempt_id)
    for question in attempt.served:
        assert question["prompt"] in page
        assert question["explanation"] not in page  # no answers while open
    form = {f"q-{k}": v for k, v in factories.answers_for(attempt).items()}
    response = client.post(f"/attempts/{attempt_id}", data=form)
    assert response.status_code == 302
    result = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Passed" in result and "100%" in result
    assert all(q["explanation"] in result for q in attempt.served)
    assert client.post(f"/attempts/{attempt_id}", data={}).status_code == 302  # resubmit: harmless
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).score == 100


def test_incomplete_quiz_submission_keeps_answers(client, make_user, login_as, course):
    login_as(make_user())
    attempt_id = _start(client, course)
    attempt = db.session.get(Attempt, attempt_id)
    answers = factories.answers_for(attempt)
    skipped = attempt.served[0]["id"]
    kept_key = attempt.served[1]["id"]
    form = {f"q-{k}": v for k, v in answers.items() if k != skipped}
    response = client.post(f"/attempts/{attempt_id}", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Answer every question before submitting" in page
    kept_choice = answers[kept_key][0]
    assert re.search(rf'name="q-{re.escape(kept_key)}" value="{kept_choice}"\s+checked', page)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).is_open


def test_failed_attempt_offers_retry(client, make_user, login_as, course):
    login_as(make_user())
    attempt_id = _start(client, course)
    attempt = db.session.get(Attempt, attempt_id)
    form = {f"q-{k}": v for k, v in factories.answers_for(attempt, correct=False).items()}
    client.post(f"/attempts/{attempt_id}", data=form)
    result = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Not passed" in result and "Try again" in result
    overview = client.get(f"/courses/{course.slug}/modules/module-1/quiz").get_data(as_text=True)
    assert "Start a new attempt" in overview


def test_times_are_shown_in_the_viewers_time_zone(client, make_user, login_as, course):
    user = make_user()
    user.timezone = "Asia/Tokyo"
    db.session.commit()
    login_as(user)
    attempt_id = _start(client, course)
    attempt = db.session.get(Attempt, attempt_id)
    client.post(f"/attempts/{attempt_id}", data={f"q-{k}": v for k, v in factories.answers_for(attempt).items()})
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "JST" in page


def test_account_page_renders(client, make_user, login_as):
    login_as(make_user(name="Ana"))
    page = client.get("/account/").get_data(as_text=True)
    assert "Profile" in page and "API tokens" in page and 'value="Ana"' in page


def test_dashboard_lists_assignments_with_due_dates(client, make_user, login_as, course):
    team = factories.make_team("Readers")
    user = make_user(team=team)
    assignments.assign(None, course=course, team=team, due_on=date.today() - timedelta(days=2))
    db.session.commit()
    login_as(user)
    page = client.get("/").get_data(as_text=True)
    assert "Assigned to you" in page and "Overdue" in page and "was due" in page


def test_dashboard_asks_to_renew_an_expiring_certificate_and_marks_a_revoked_one(client, make_user, login_as, course):
    from tracker.models import utcnow
    from tracker.services.certification import lifecycle

    team = factories.make_team("Renewers")
    learner = make_user(team=team)
    assignments.assign(None, course=course, team=team, due_on=date.today() + timedelta(days=30))
    cert = factories.complete_course(learner, course)
    login_as(learner)
    page = client.get("/").get_data(as_text=True)
    assert "Time to renew" not in page and "Completed" in page

    cert.expires_at = utcnow() + timedelta(days=5)  # inside the recertification window
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f"Time to renew: {cert.course_title}" in page
    assert f'href="/courses/{course.slug}">Renew' in page

    lifecycle.revoke(cert, make_user(Role.ADMIN), reason="Issued in error")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Time to renew" not in page
    assert "Certificate revoked" in page
