"""Finishing a course ends on a page with the certificate and the next step; a revoked certificate is said plainly,
with the way back: an admin reopens the course and the learner earns a new certificate."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import Attempt, Certificate, Role
from tracker.services import certification
from tracker.services.content import loader
from tracker.services.organisation import assignments


def lesson_url(course, m=0, n=0) -> str:
    module = course.modules[m]
    return f"/courses/{course.slug}/modules/{module.slug}/lessons/{module.lessons[n].slug}"


def quiz_url(course, m=0) -> str:
    return f"/courses/{course.slug}/modules/{course.modules[m].slug}/quiz"


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def pass_quiz(client, course, m: int):
    """Start and pass a module's quiz through the pages; returns the submit response."""
    started = client.post(f"{quiz_url(course, m)}/start")
    attempt_path = started.headers["Location"]
    attempt = db.session.get(Attempt, int(attempt_path.rsplit("/", 1)[1]))
    answers = {f"q-{key}": ids for key, ids in factories.answers_for(attempt).items()}
    return client.post(attempt_path, data=answers)


def take_course(client, course):
    """Read every lesson and pass every quiz through the pages; returns the last submit response."""
    for m, module in enumerate(course.modules):
        for n in range(len(module.lessons)):
            client.post(lesson_url(course, m, n) + "/read")
        last = pass_quiz(client, course, m)
    return last


# --- the completion page ------------------------------------------------------------------------------------------


def test_passing_the_last_quiz_ends_on_the_completion_page(app, client, make_user, login_as):
    course = factories.make_course("finish-me", modules=2, lessons=1)
    following = factories.make_course("after-that", modules=1, lessons=1)
    loader.apply_paths(
        [{"slug": "p", "title": "Starter path", "description": "", "courses": ["finish-me", "after-that"]}]
    )
    db.session.commit()
    learner = make_user(name="Lea Learner")
    login_as(learner)
    client.post(lesson_url(course, 0, 0) + "/read")
    module_one = pass_quiz(client, course, 0)
    assert "/attempts/" in module_one.headers["Location"]  # a module passed: its result, the course goes on
    client.post(lesson_url(course, 1, 0) + "/read")
    done = pass_quiz(client, course, 1)
    location = done.headers["Location"]
    assert urlsplit(location).path == "/courses/finish-me/complete"
    attempt_id = parse_qs(urlsplit(location).query)["attempt"][0]

    page = client.get(location).get_data(as_text=True)
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert "You have completed “Course finish-me”" in page
    assert f'href="/attempts/{attempt_id}"' in page  # the answers of the quiz just passed
    result = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert '<a class="button" href="/courses/finish-me/complete">What is next</a>' in result  # not a dead end
    assert f'href="/certificates/{cert.code}.pdf"' in page
    assert f'href="/certificates/{cert.code}/credential.json"' in page
    verify = f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{cert.code}"
    assert verify in page
    # Add to LinkedIn: the documented add-to-profile address, filled in from the certificate.
    link = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page).group(1)
    params = {key: values[0] for key, values in parse_qs(urlsplit(link.replace("&amp;", "&")).query).items()}
    assert params["startTask"] == "CERTIFICATION_NAME"
    assert params["name"] == cert.course_title and params["organizationName"] == cert.organisation_name
    assert (params["issueYear"], params["issueMonth"]) == (str(cert.issued_at.year), str(cert.issued_at.month))
    assert params["expirationYear"] == str(cert.expires_at.year)
    assert params["certUrl"] == verify and params["certId"] == cert.code
    # What is next: the following course of the learning path, with a link to start it.
    assert "Next on your learning path “Starter path”: Course after-that." in text_of(page)
    assert f'href="{lesson_url(following)}"' in page
    assert "Back to the course" not in page


def test_reading_the_last_lesson_ends_on_the_completion_page(client, make_user, login_as, course):
    login_as(make_user())
    for m, n in ((0, 0), (0, 1), (1, 0)):
        client.post(lesson_url(course, m, n) + "/read")
    for m in range(2):
        pass_quiz(client, course, m)
    last = client.post(lesson_url(course, 1, 1) + "/read")  # the one lesson left
    assert last.headers["Location"] == f"/courses/{course.slug}/complete"
    page = client.get(last.headers["Location"]).get_data(as_text=True)
    assert "Your certificate" in page and "Add to LinkedIn" in page
    assert "You have completed every course available to you." in page  # the only course: nothing else to take


def test_next_step_is_the_assigned_course_due_soonest(client, make_user, login_as, course):
    later = factories.make_course("due-later", modules=1, lessons=1)
    sooner = factories.make_course("due-sooner", modules=1, lessons=1)
    learner = make_user()
    assignments.assign(None, course=later, user=learner, due_on=date.today() + timedelta(days=30))
    assignments.assign(None, course=sooner, user=learner, due_on=date.today() + timedelta(days=3))
    factories.complete_course(learner, course)
    login_as(learner)
    page = text_of(client.get(f"/courses/{course.slug}/complete").get_data(as_text=True))
    assert "Assigned to you, due" in page and "Course due-sooner" in page


def test_an_unfinished_course_has_no_completion_page(client, make_user, login_as, course):
    login_as(make_user())
    response = client.get(f"/courses/{course.slug}/complete")
    assert response.status_code == 302 and response.headers["Location"] == f"/courses/{course.slug}"


def test_a_quiz_passed_again_after_completion_shows_its_result(client, make_user, login_as, course):
    learner = make_user()
    factories.complete_course(learner, course)
    login_as(learner)
    again = pass_quiz(client, course, 0)
    assert "/attempts/" in again.headers["Location"]


# --- the way back after a revocation ------------------------------------------------------------------------------


def test_revoked_certificate_reopened_course_and_a_new_certificate(app, client, make_user, login_as, course):
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team("Alpha", manager=boss)
    admin = make_user(Role.ADMIN, name="Ada Admin")
    learner = make_user(name="Lea Learner", team=team)
    login_as(learner)
    take_course(client, course)
    old = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))

    # An admin revokes it through the confirmation page.
    login_as(admin)
    confirm = client.get(f"/admin/certificates/{old.code}/revoke").get_data(as_text=True)
    assert "It cannot be undone" in confirm and 'name="confirmed" value="yes"' in confirm
    revoked = client.post(
        f"/admin/certificates/{old.code}/revoke",
        data={"reason": "Shared answers with a colleague", "public_reason": "Issued in error", "confirmed": "yes"},
    )
    assert revoked.status_code == 302

    # The learner is told: on the course page (not "completed" as if nothing happened) and the certificates page.
    login_as(learner)
    course_page = text_of(client.get(f"/courses/{course.slug}").get_data(as_text=True))
    assert "Your certificate for this course was revoked" in course_page
    assert "Reason given: “Issued in error”." in course_page
    assert "contact your manager or an administrator" in course_page
    assert "You have completed this course." not in course_page
    assert "Shared answers" not in course_page  # the internal reason never reaches the learner
    mine = text_of(client.get("/certificates/").get_data(as_text=True))
    assert "Revoked on" in mine and "Issued in error" in mine and "can reopen the course for you" in mine
    assert "Shared answers" not in mine
    dashboard = client.get("/").get_data(as_text=True)
    assert 'class="badge badge-complete">Completed' not in dashboard and "Revoked" in dashboard
    assert client.get(f"/courses/{course.slug}/complete").headers["Location"] == f"/courses/{course.slug}"

    # Her manager reopens the course from her training record.
    login_as(boss)
    record = client.get(f"/transcripts/{learner.id}").get_data(as_text=True)
    assert "Issued in error" in record and "Shared answers" not in record
    reopened = client.post(
        f"/transcripts/{learner.id}/courses/{course.slug}/reopen",
        data={"reason": "Retake agreed after the review", "cycle": "1", "confirmed": "yes"},
    )
    assert reopened.status_code == 302

    login_as(learner)
    course_page = text_of(client.get(f"/courses/{course.slug}").get_data(as_text=True))
    assert "The course was reopened for you on" in course_page and "Continue" in course_page
    assert "was reopened for you" in text_of(client.get("/certificates/").get_data(as_text=True))

    # She takes it again: the last quiz passed ends on the completion page with a new certificate.
    done = take_course(client, course)
    assert urlsplit(done.headers["Location"]).path == f"/courses/{course.slug}/complete"
    new = certification.current_certificate(learner.id, course.id)
    assert new.code != old.code and new.revoked_at is None and new.completion.cycle == 2
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert new.code in page and "Add to LinkedIn" in page
    course_page = text_of(client.get(f"/courses/{course.slug}").get_data(as_text=True))
    assert "You have completed this course." in course_page and "revoked" not in course_page
    mine = text_of(client.get("/certificates/").get_data(as_text=True))
    assert new.code in mine and "You have earned a new certificate for this course since" in mine
    # The old certificate stays revoked for anyone who checks it; the record keeps both.
    assert "revoked" in client.get(f"/verify/{old.code}").get_data(as_text=True).lower()
    login_as(admin)
    record = client.get(f"/transcripts/{learner.id}").get_data(as_text=True)
    assert old.code in record and new.code in record and "course.reopened" in record


def test_a_revoked_certificate_is_not_offered_for_linkedin(app, make_user, course):
    from tracker.services.certification import sharing

    learner, admin = make_user(), make_user(Role.ADMIN)
    cert = factories.complete_course(learner, course)
    assert sharing.linkedin_add_url(cert).startswith("https://www.linkedin.com/profile/add?")
    certification.revoke(cert, admin, "internal")
    assert sharing.linkedin_add_url(cert) is None
