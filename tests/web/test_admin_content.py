"""Content administration: upload or edit a course file, preview it, publish versions, hide courses, download."""

from __future__ import annotations

import html
import io
import re

import pytest
import yaml
from sqlalchemy import func, select

from tests import factories
from tests.conftest import attachment_name
from tracker.extensions import db
from tracker.models import Attempt, AuditEvent, Certificate, Course, CourseProgress, LessonRead, Question, Role
from tracker.services.content.loader import check_course_text
from tracker.services.content.schema import ContentError

NEW_COURSE = """\
slug: prompt-hygiene
title: Prompt hygiene
summary: What not to paste into a chatbot.
audience: All staff
facts_checked: 2026-10-01
modules:
  - slug: basics
    title: The basics
    lessons:
      - slug: what-to-keep-out
        title: What to keep out of prompts
        objectives:
          - Recognise personal data in a prompt.
        body: |
          Keep **customer names** out of prompts.

          | Data | Allowed |
          | --- | --- |
          | Public facts | yes |
        key_points:
          - Personal data stays out.
        sources:
          - citation: "Regulation (EU) 2016/679 (GDPR), Art. 4(1)."
            url: https://eur-lex.europa.eu/eli/reg/2016/679/oj
    quiz:
      pass_mark: 100
      questions_per_attempt: 2
      max_attempts: 3
      questions:
        - id: hygiene-names
          type: single
          prompt: May you paste a customer's name into a public chatbot?
          choices:
            - text: "Yes, names are harmless."
            - text: "No: a name is personal data."
              correct: true
          explanation: A name identifies a person, so it is personal data under the GDPR.
        - id: hygiene-public
          type: true_false
          prompt: Public facts may go into a prompt.
          answer: true
          explanation: Public, non-personal facts are fine.
"""


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin", email="ada@example.org")


def _payload(page: str) -> str:
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', page)
    assert match, "no publish form on the page"
    return html.unescape(match.group(1))


def _textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no text box on the page"
    return html.unescape(match.group(1)).removeprefix("\r\n")


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _course(slug: str) -> Course | None:
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _upload(client, text: str | bytes, filename: str = "prompt-hygiene.yaml"):
    body = text.encode() if isinstance(text, str) else text
    return client.post(
        "/admin/content/preview",
        data={"file": (io.BytesIO(body), filename), "text": ""},
        content_type="multipart/form-data",
    )


def test_upload_preview_and_publish_a_new_course(client, login_as, admin, make_user):
    login_as(admin)
    preview = _upload(client, NEW_COURSE)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "A new course, <code>prompt-hygiene</code>. Publishing creates it as <strong>version 1</strong>" in page
    assert "Publish version 1" in page
    # What learners will see: rendered, sanitised Markdown (tables too), key points, sources.
    assert "Keep <strong>customer names</strong> out of prompts." in page
    assert "<td>Public facts</td>" in page
    assert "Personal data stays out." in page and "https://eur-lex.europa.eu/eli/reg/2016/679/oj" in page
    # The quiz with its settings, and the pool with the correct answers and explanations marked (admin only).
    assert "2 of 2 questions, pass mark 100%" in page
    assert "<dt>Attempts</dt><dd>3</dd>" in page
    assert (
        '<li class="choice-correct">No: a name is personal data.<span class="tag tag-correct">Correct</span></li>'
        in page
    )
    assert "<li>Yes, names are harmless.</li>" in page
    assert '<li class="choice-correct">True<span class="tag tag-correct">Correct</span></li>' in page
    assert "A name identifies a person, so it is personal data under the GDPR." in page
    assert _course("prompt-hygiene") is None  # a preview writes nothing

    published = client.post("/admin/content/publish", data={"payload": _payload(page)})
    assert published.status_code == 302 and published.headers["Location"].endswith("/admin/content/")
    course = _course("prompt-hygiene")
    assert (course.version, course.published, course.facts_checked.isoformat()) == (1, True, "2026-10-01")
    [event] = _audit("content.published")
    assert event.actor_id == admin.id and event.target_id == str(course.id)
    assert event.details == {"slug": "prompt-hygiene", "version": 1, "status": "created"}
    listing = client.get("/admin/content/").get_data(as_text=True)
    assert "“Prompt hygiene” is published as version 1." in listing
    assert re.search(r"<td>v1</td>.*?<td>1</td>\s*<td>1</td>\s*<td>2</td>", listing, re.S)  # modules, lessons, Qs

    learner = make_user(Role.LEARNER)
    client.post("/logout")
    login_as(learner)
    assert "Prompt hygiene" in client.get("/courses/").get_data(as_text=True)


@pytest.fixture
def learner_history(make_user, course):
    """A learner who finished the course (lessons read, quizzes passed, certificate) before it is edited."""
    learner = make_user(Role.LEARNER)
    cert = factories.complete_course(learner, course)
    assert cert is not None
    counts = {
        "attempts": db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == learner.id)),
        "reads": db.session.scalar(select(func.count(LessonRead.id)).where(LessonRead.user_id == learner.id)),
    }
    return {"learner": learner, "cert": cert, "counts": counts}


def _edited(text: str) -> str:
    """Rename a lesson, retire a question and add one: a typical edit of a published course."""
    data = yaml.safe_load(text)
    module = data["modules"][0]
    module["lessons"][0]["title"] = "Lesson 1.1, rewritten"
    questions = module["quiz"]["questions"]
    retired = questions.pop(0)
    questions.append({**retired, "id": "a-brand-new-question", "prompt": "A brand new question?"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_edit_publishes_version_2_and_keeps_learners_history(client, login_as, admin, course, learner_history):
    login_as(admin)
    editor = client.get(f"/admin/content/{course.slug}/edit")
    assert editor.status_code == 200
    text = _textarea(editor.get_data(as_text=True))
    # The editor starts from the current content: unchanged, it previews as "nothing changes".
    unchanged = client.post("/admin/content/preview", data={"text": text, "source": f"{course.slug}.yaml"})
    assert "identical to the published <strong>version 1</strong>" in unchanged.get_data(as_text=True)
    assert "Publish version" not in unchanged.get_data(as_text=True)

    preview = client.post("/admin/content/preview", data={"text": _edited(text), "source": "x.yaml"})
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "replaces <strong>version 1</strong>" in page and "with <strong>version 2</strong>" in page
    # What changed, field by field: the lesson's title old → new, the questions added and retired.
    assert "Lesson edited: Lesson 1.1, rewritten" in page
    assert "Title: <del>Lesson 1.1</del> → <ins>Lesson 1.1, rewritten</ins>" in page
    retired_key = f"{course.slug}-m1-q1"
    assert re.search(r"Question added:\s*<code>a-brand-new-question</code>", page)
    assert re.search(rf"Question retired:\s*<code>{retired_key}</code>", page)
    assert '<span class="badge content-unchanged">Unchanged</span>\n    Module <strong>Module 2</strong>' in page

    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302
    db.session.expire_all()
    edited = _course(course.slug)
    assert edited.version == 2
    assert db.session.scalar(select(Question.retired).where(Question.key == retired_key)) is True
    assert _audit("content.published")[-1].details == {"slug": course.slug, "version": 2, "status": "updated"}

    # History is kept: attempts, lesson reads and the certificate of version 1 are all still there.
    learner = learner_history["learner"]
    counts = learner_history["counts"]
    assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == learner.id)) == counts["attempts"]
    assert (
        db.session.scalar(select(func.count(LessonRead.id)).where(LessonRead.user_id == learner.id)) == counts["reads"]
    )
    cert = db.session.get(Certificate, learner_history["cert"].id)
    assert cert.revoked_at is None and cert.course_version == 1
    assert db.session.scalar(select(CourseProgress.id).where(CourseProgress.user_id == learner.id)) is not None
    client.post("/logout")
    login_as(learner)
    assert client.get(f"/courses/{course.slug}").status_code == 200
    assert cert.code in client.get("/certificates/").get_data(as_text=True)


def test_double_publish_does_not_bump_the_version_twice(client, login_as, admin, course):
    login_as(admin)
    text = _textarea(client.get(f"/admin/content/{course.slug}/edit").get_data(as_text=True))
    page = client.post("/admin/content/preview", data={"text": _edited(text)}).get_data(as_text=True)
    payload = _payload(page)
    assert client.post("/admin/content/publish", data={"payload": payload}).status_code == 302
    again = client.post("/admin/content/publish", data={"payload": payload}, follow_redirects=True)
    assert again.status_code == 200
    assert "Nothing changed: “Course" in again.get_data(as_text=True)
    assert _course(course.slug).version == 2
    assert len(_audit("content.published")) == 1
    [unchanged] = _audit("content.unchanged")
    assert unchanged.details == {"slug": course.slug, "version": 2, "status": "unchanged"}


def test_publishing_a_stale_preview_is_refused(client, login_as, admin, course):
    login_as(admin)
    text = _textarea(client.get(f"/admin/content/{course.slug}/edit").get_data(as_text=True))
    first = _payload(client.post("/admin/content/preview", data={"text": _edited(text)}).get_data(as_text=True))
    other = yaml.safe_load(text)
    other["summary"] = "Someone else's summary."
    second = _payload(
        client.post("/admin/content/preview", data={"text": yaml.safe_dump(other)}).get_data(as_text=True)
    )
    assert client.post("/admin/content/publish", data={"payload": second}).status_code == 302
    assert _course(course.slug).version == 2

    stale = client.post("/admin/content/publish", data={"payload": first})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert re.search(r"Someone else published version 2 at [^;]+; review their changes\.", page)
    assert "Published by Ada Admin." in page
    assert f"/admin/content/{course.slug}/versions/compare?from=1&amp;to=2" in page
    assert "replaces <strong>version 2</strong>" in page  # the preview is shown again against the new version
    assert _course(course.slug).version == 2
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302
    assert _course(course.slug).version == 3


def test_tampered_or_missing_payload_is_refused(client, login_as, admin, course):
    login_as(admin)
    page = client.post("/admin/content/preview", data={"text": NEW_COURSE}).get_data(as_text=True)
    payload = _payload(page)
    assert client.post("/admin/content/publish", data={"payload": payload[:-2] + "xx"}).status_code == 400
    assert client.post("/admin/content/publish", data={}).status_code == 400
    assert _course("prompt-hygiene") is None


def test_bad_yaml_lists_every_problem_and_keeps_the_text(client, login_as, admin):
    login_as(admin)
    broken = (
        NEW_COURSE.replace("slug: prompt-hygiene", "slug: Prompt Hygiene")
        .replace("title: Prompt hygiene\n", "")
        .replace("pass_mark: 100", "pass_mark: 200")
        .replace('            - text: "Yes, names are harmless."\n', "")
        .replace("answer: true", "answer: maybe")
    )
    with pytest.raises(ContentError) as raised:
        check_course_text(broken, "prompt-hygiene.yaml")
    expected = raised.value.problems
    assert len(expected) >= 5

    for response in (
        _upload(client, broken),
        client.post("/admin/content/preview", data={"text": broken, "source": "prompt-hygiene.yaml"}),
    ):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert f"{len(expected)} problems found. Nothing was published." in page
        for problem in expected:
            assert f"<code>{html.escape(problem)}</code>" in page, problem
        assert "prompt-hygiene.yaml: slug: use lowercase letters, digits and single hyphens" in page
        assert "prompt-hygiene.yaml: modules[0].quiz.pass_mark: must be between 1 and 100" in page
        assert _textarea(page) == broken  # uploaded or typed, the text stays in the editor to be fixed
    assert _course("prompt-hygiene") is None and _course("Prompt Hygiene") is None


def test_unreadable_input_is_explained(client, login_as, admin):
    login_as(admin)
    syntax = client.post("/admin/content/preview", data={"text": "slug: [unclosed\ntitle: x\n", "source": "a.yaml"})
    assert syntax.status_code == 400
    assert re.search(r"a\.yaml: not valid YAML \(line \d+, column \d+\)", syntax.get_data(as_text=True))

    latin1 = _upload(client, NEW_COURSE.replace("Prompt hygiene", "Prompt hygiène").encode("latin-1"))
    assert latin1.status_code == 400
    assert "prompt-hygiene.yaml: the file is not UTF-8 text" in latin1.get_data(as_text=True)

    wrong_type = _upload(client, NEW_COURSE, filename="course.txt")
    assert wrong_type.status_code == 400 and "Upload a .yaml or .yml file." in wrong_type.get_data(as_text=True)

    empty = client.post("/admin/content/preview", data={"text": "  "})
    assert empty.status_code == 400 and "Upload a course file or write the course YAML." in empty.get_data(as_text=True)


def test_unpublish_hides_the_course_from_learners_but_keeps_history(client, login_as, admin, course, make_user):
    learner = make_user(Role.LEARNER)
    cert = factories.complete_course(learner, course)
    login_as(admin)
    response = client.post(f"/admin/content/{course.slug}/visibility", data={"published": "no"})
    assert response.status_code == 302
    assert _course(course.slug).published is False
    [event] = _audit("content.unpublished")
    assert event.details == {"slug": course.slug, "version": 1}
    assert "Hidden" in client.get("/admin/content/").get_data(as_text=True)
    assert client.get(f"/courses/{course.slug}").status_code == 200  # admins still see it

    client.post("/logout")
    login_as(learner)
    assert course.title not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{course.slug}").status_code == 404
    assert cert.code in client.get("/certificates/").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == learner.id)) > 0

    client.post("/logout")
    login_as(admin)
    client.post(f"/admin/content/{course.slug}/visibility", data={"published": "yes"})
    assert _course(course.slug).published is True
    assert len(_audit("content.republished")) == 1
    # Asking for the state the course is already in changes and audits nothing.
    client.post(f"/admin/content/{course.slug}/visibility", data={"published": "yes"})
    assert len(_audit("content.republished")) == 1
    assert client.post(f"/admin/content/{course.slug}/visibility", data={"published": "maybe"}).status_code == 400

    client.post("/logout")
    login_as(learner)
    assert course.title in client.get("/courses/").get_data(as_text=True)


def test_download_the_current_course_as_yaml(client, login_as, admin):
    data = factories.course_data("download-me", modules=2, lessons=2)
    factories.make_course("download-me", modules=2, lessons=2)
    login_as(admin)
    response = client.get("/admin/content/download-me.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert attachment_name(response) == "download-me.yaml"
    assert check_course_text(response.get_data(as_text=True), "download-me.yaml") == data
    assert client.get("/admin/content/no-such-course.yaml").status_code == 404
    assert client.get("/admin/content/no-such-course/edit").status_code == 404


def test_list_shows_every_course_with_counts(client, login_as, admin, count_queries):
    factories.make_course("list-a", modules=1, lessons=3, pool=4)
    login_as(admin)
    with count_queries() as one:
        page = client.get("/admin/content/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<code>list-a</code>" in text and re.search(r"<td>1</td>\s*<td>3</td>\s*<td>4</td>", text)
    for i in range(4):
        factories.make_course(f"list-more-{i}")
    with count_queries() as five:
        assert client.get("/admin/content/").status_code == 200
    assert five.count == one.count


def test_non_admins_cannot_reach_content_pages(client, login_as, make_user, course):
    login_as(make_user(Role.MANAGER))
    assert client.get("/admin/content/").status_code == 403
    assert client.post("/admin/content/preview", data={"text": NEW_COURSE}).status_code == 403
    assert client.post(f"/admin/content/{course.slug}/visibility", data={"published": "no"}).status_code == 403
    assert _course(course.slug).published is True
