"""The learner's language: chosen by preference, organisation default or browser; courses in it with a fallback."""

from __future__ import annotations

import copy
import io

import yaml
from pypdf import PdfReader
from sqlalchemy import select

from tests import factories
from tests.unit.test_content_loader import GOOD_COURSE
from tests.unit.test_content_translations import source, translation_of
from tracker.extensions import db
from tracker.models import Attempt, Certificate, Completion
from tracker.services.content import loader


def main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def html_lang(response) -> str:
    return response.get_data(as_text=True).split('<html lang="', 1)[1].split('"', 1)[0]


def test_visitors_get_their_browsers_language_or_the_one_they_pick(client):
    assert html_lang(client.get("/login")) == "en"
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})) == "fr"
    assert html_lang(client.get("/login", headers={"Accept-Language": "ja"})) == "en"  # not offered: the default
    picked = client.post("/language", data={"language": "de", "next": "/verify/"})
    assert picked.status_code == 302 and picked.headers["Location"].endswith("/verify/")
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr"})) == "de"  # the pick wins


def test_a_person_s_preference_wins_and_the_organisation_default_applies_otherwise(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    assert html_lang(client.get("/", headers={"Accept-Language": "fr"})) == "en"  # signed in: not the browser
    app.config["DEFAULT_LANGUAGE"] = "fr"
    try:
        assert html_lang(client.get("/")) == "fr"
        client.post("/account/profile", data={"display_name": user.display_name, "timezone": "UTC", "language": "de"})
        assert html_lang(client.get("/")) == "de"
        client.post("/language", data={"language": "en"})
        assert html_lang(client.get("/")) == "en"
    finally:
        app.config["DEFAULT_LANGUAGE"] = "en"
    assert (
        client.post("/account/profile", data={"display_name": "x", "timezone": "UTC", "language": "xx"}).status_code
        == 400
    )


def _load_translated_course(tmp_path, translation=None) -> None:
    (tmp_path / "loader-test-course.yaml").write_text(GOOD_COURSE)
    data = translation or translation_of(source())
    (tmp_path / "loader-test-course.de.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    loader.load_directory(tmp_path)
    db.session.commit()


def test_a_learner_takes_a_translated_course_in_their_language_and_the_records_say_so(
    client, make_user, login_as, tmp_path
):
    _load_translated_course(tmp_path)
    learner = make_user()
    learner.locale = "de"
    db.session.commit()
    login_as(learner)

    page = client.get("/courses/loader-test-course").get_data(as_text=True)
    assert "[de] Loader test course" in page
    lesson = client.get("/courses/loader-test-course/modules/first-module/lessons/first-lesson").get_data(as_text=True)
    assert "[de] Überschrift" in lesson and "is shown in" not in lesson

    course = factories.load_course("loader-test-course")
    for module in course.modules:
        for lesson_row in module.lessons:
            client.post(f"/courses/{course.slug}/modules/{module.slug}/lessons/{lesson_row.slug}/read")
        client.post(f"/courses/{course.slug}/modules/{module.slug}/quiz/start")
        attempt = db.session.scalars(select(Attempt).where(Attempt.quiz_id == module.quiz.id)).one()
        assert attempt.language == "de"
        assert all(q["prompt"].startswith("[de]") for q in attempt.served)
        answers = factories.answers_for(attempt)
        client.post(f"/attempts/{attempt.id}", data={f"q-{k}": v for k, v in answers.items()})

    completion = db.session.scalars(select(Completion)).one()
    cert = db.session.scalars(select(Certificate)).one()
    assert completion.language == cert.language == "de"
    assert cert.course_title == "[de] Loader test course"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(cert.pdf)).pages)
    assert "[de] Loader test course" in text


def test_what_is_not_translated_is_shown_in_the_course_language_with_a_note(client, make_user, login_as, tmp_path):
    partial = translation_of(source())
    partial["modules"][0]["lessons"].pop()  # second-lesson has no German text
    (tmp_path / "loader-test-course.yaml").write_text(GOOD_COURSE)
    loader.apply_course({**source(), "translations": {"de": _partial(partial)}})
    db.session.commit()
    learner = make_user()
    learner.locale = "de"
    db.session.commit()
    login_as(learner)
    course_page = client.get("/courses/loader-test-course").get_data(as_text=True)
    assert "[de] Loader test course" in course_page
    untranslated = client.get("/courses/loader-test-course/modules/first-module/lessons/second-lesson")
    body = untranslated.get_data(as_text=True)
    assert 'lang="en"' in main(body)  # marked as English for screen readers
    translated = client.get("/courses/loader-test-course/modules/first-module/lessons/first-lesson")
    assert 'lang="en"' not in main(translated.get_data(as_text=True))


def _partial(data):
    from tracker.services.content.translations import validate_translation

    translation, problems = validate_translation(source(), copy.deepcopy(data), complete=False)
    assert problems == []
    return translation


def _pdf_text(data: bytes) -> str:
    """The text of a PDF in lower case with single spaces (labels are printed in capitals, lines wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).lower().split())


def test_certificates_and_the_evidence_report_are_printed_in_each_language(client, make_user, login_as, course):
    words = {
        "en": ("Certificate of completion", "Date of award", "not a legal certification"),
        "de": ("Teilnahmezertifikat", "Ausgestellt am", "keine rechtlich anerkannte Zertifizierung"),
        "fr": ("Certificat de réussite", "Date de délivrance", "certification au sens juridique"),
    }
    admin = make_user("admin")
    for language, expected in words.items():
        learner = make_user()
        learner.locale = language
        db.session.commit()
        cert = factories.complete_course(learner, course)
        assert cert.language == language
        text = _pdf_text(cert.pdf)
        assert all(word.lower() in text for word in expected), (language, text[:300])
        admin.locale = language
        db.session.commit()
        login_as(admin)
        report = _pdf_text(client.get("/reports/evidence.pdf").data)
        title = {"en": "AI-literacy training record", "de": "Nachweis der Schulungen", "fr": "Relevé de formation"}
        assert title[language].lower() in report


def test_values_put_into_translated_strings_are_escaped_in_every_language(client, make_user, login_as, app):
    learner = make_user(name="<b>Ada</b> & co")
    learner.locale = "de"
    db.session.commit()
    login_as(learner)
    page = client.get("/").get_data(as_text=True)
    # "Welcome, %(name)s" in German, with the name escaped once (not twice, not raw).
    assert "Willkommen, &lt;b&gt;Ada&lt;/b&gt; &amp; co" in page
    assert "<b>Ada</b>" not in page and "&amp;lt;b" not in page
    assert 'lang="de"' in page
