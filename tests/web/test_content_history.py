"""Version history: every published version kept whole (file with comments, content, translations), listed with
who, when, fingerprint and what changed; any two compared; an old one restored as a new, checked publish."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import delete, func, select

from tests.web.test_admin_content import _audit, _course, _payload, _textarea
from tests.web.test_content_editor import COMMENTED, SLUG
from tracker.extensions import db
from tracker.models import CourseVersion, Question, Role
from tracker.services.content import loader, translations
from tracker.services.content.export import course_for_export

GERMAN = {
    "translation_of": SLUG,
    "language": "de",
    "title": "Ein kommentierter Kurs",
    "summary": "Wozu ein Kommentar dient.",
    "audience": "Alle",
    "modules": [
        {
            "slug": "basics",
            "title": "Die Grundlagen",
            "lessons": [
                {
                    "slug": slug,
                    "title": f"[de] {slug}",
                    "objectives": ["[de] Ziel."],
                    "body": "[de] Text.",
                    "key_points": ["[de] Punkt."],
                }
                for slug in ("first", "second")
            ],
            "quiz": {
                "questions": [
                    {
                        "id": "cc-one",
                        "prompt": "[de] Welche?",
                        "choices": [{"text": "Diese."}, {"text": "Jene."}],
                        "explanation": "[de] Weil.",
                    },
                    {"id": "cc-two", "prompt": "[de] Stimmt es?", "explanation": "[de] Ja."},
                    {
                        "id": "cc-three",
                        "prompt": "[de] Welche?",
                        "choices": [{"text": "A"}, {"text": "B"}, {"text": "C"}],
                        "explanation": "[de] A und B.",
                    },
                ]
            },
        }
    ],
}


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin", email="ada@example.org")


@pytest.fixture
def translated(app):
    """The commented course with its German translation, loaded from files as `flask seed` does."""
    data = loader.check_course_text(COMMENTED, f"{SLUG}.yaml")
    german, problems = translations.validate_translation(data, GERMAN)
    assert not problems
    loader.apply_course({**data, "translations": {"de": german}}, source_text=COMMENTED)
    db.session.commit()
    return _course(SLUG)


def _publish_text(client, text: str, base: str | None = None):
    page = client.post("/admin/content/preview", data={"text": text, "source": "x.yaml", "base": base or ""})
    assert page.status_code == 200, page.get_data(as_text=True)[-2000:]
    return client.post("/admin/content/publish", data={"payload": _payload(page.get_data(as_text=True))})


def _german_prompt(key: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Question.translations).where(Question.key == key)).get("de", {}).get("prompt")


def test_every_version_is_listed_with_who_when_fingerprint_and_what_changed(client, login_as, admin, translated):
    login_as(admin)
    v2 = COMMENTED.replace("pass_mark: 80 ", "pass_mark: 70 ").replace("title: Second lesson", "title: Lesson two")
    assert _publish_text(client, v2).status_code == 302
    page = html.unescape(client.get(f"/admin/content/{SLUG}/versions").get_data(as_text=True))
    rows = re.findall(r"<tr>\s*<td>v(\d+)(.*?)</tr>", page, re.S)
    assert [number for number, _ in rows] == ["2", "1"]
    newest, first = rows[0][1], rows[1][1]
    assert "current" in newest and "Ada Admin" in newest
    assert "Lessons: 1 edited" in newest and "Quiz settings of basics" in newest
    assert _course(SLUG).content_hash[:12] in newest
    assert "loaded from files" in first and "first recorded version" in first
    assert "Restore this version" in first and "Restore this version" not in newest
    # Each version's file as published, comments included.
    download = client.get(f"/admin/content/{SLUG}/versions/1.yaml")
    assert download.get_data(as_text=True) == COMMENTED


def test_compare_two_versions_field_by_field_and_line_by_line(client, login_as, admin, translated):
    login_as(admin)
    assert _publish_text(client, COMMENTED.replace("pass_mark: 80 ", "pass_mark: 70 ")).status_code == 302
    v3 = COMMENTED.replace("pass_mark: 80 ", "pass_mark: 70 ").replace("audience: All staff", "audience: Everyone")
    assert _publish_text(client, v3).status_code == 302
    page = client.get(f"/admin/content/{SLUG}/versions/compare?from=1&to=3").get_data(as_text=True)
    assert "Version 1 → version 3" in page
    assert "Pass mark: <del>80%</del> → <ins>70%</ins>" in page
    assert "Audience: <del>All staff</del> → <ins>Everyone</ins>" in page
    assert '<span class="diff-removed">-audience: All staff</span>' in page
    assert '<span class="diff-added">+audience: Everyone</span>' in page
    assert '<span class="diff-added">+      pass_mark: 70              # agreed with HR</span>' in page
    # By default: the current version against the one before.
    page = client.get(f"/admin/content/{SLUG}/versions/compare").get_data(as_text=True)
    assert "Version 2 → version 3" in page and "Pass mark" not in page
    assert client.get(f"/admin/content/{SLUG}/versions/compare?from=9&to=3").status_code == 404
    assert client.get(f"/admin/content/{SLUG}/versions/compare?from=x").status_code == 200  # defaults, not a 500


def test_restore_publishes_the_old_content_and_its_translations_as_a_new_version(client, login_as, admin, translated):
    login_as(admin)
    v1_hash = translated.content_hash
    assert _german_prompt("cc-two") == "[de] Stimmt es?"
    # Version 2 drops a question (its German goes with it) and renames a lesson.
    without = re.sub(r"        - id: cc-two\n(?:          .*\n)+", "", COMMENTED).replace(
        "title: First lesson", "title: The first lesson"
    )
    assert _publish_text(client, without).status_code == 302
    assert db.session.scalar(select(Question.retired).where(Question.key == "cc-two")) is True

    preview = client.get(f"/admin/content/{SLUG}/versions/1/restore")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "You are restoring <strong>version 1</strong>" in page
    assert "Title: <del>The first lesson</del> → <ins>First lesson</ins>" in page
    assert re.search(r"Question added:\s*<code>cc-two</code>", page)
    assert "Translation changed: Deutsch." in page
    assert client.post("/admin/content/publish", data={"payload": _payload(page)}).status_code == 302

    course = _course(SLUG)
    assert course.version == 3 and course.content_hash == v1_hash
    assert db.session.scalar(select(Question.retired).where(Question.key == "cc-two")) is False
    assert _german_prompt("cc-two") == "[de] Stimmt es?"  # the translation of version 1 is back
    assert _audit("content.published")[-1].details == {
        "slug": SLUG,
        "version": 3,
        "status": "updated",
        "restored_from": 1,
    }
    stored = db.session.scalar(select(CourseVersion).where(CourseVersion.version == 3))
    assert (stored.restored_from, stored.source_text) == (1, COMMENTED)
    listing = client.get(f"/admin/content/{SLUG}/versions").get_data(as_text=True)
    assert "Restored from version 1" in listing
    assert _textarea(client.get(f"/admin/content/{SLUG}/edit").get_data(as_text=True)) == COMMENTED


def test_a_restore_goes_through_the_version_check(client, login_as, admin, make_user, translated):
    login_as(admin)
    assert _publish_text(client, COMMENTED.replace("audience: All staff", "audience: Two")).status_code == 302
    restore = _payload(client.get(f"/admin/content/{SLUG}/versions/1/restore").get_data(as_text=True))
    assert _publish_text(client, COMMENTED.replace("audience: All staff", "audience: Three")).status_code == 302
    refused = client.post("/admin/content/publish", data={"payload": restore})
    assert refused.status_code == 409
    assert "Someone else published version 3" in refused.get_data(as_text=True)
    assert _course(SLUG).version == 3


def test_a_course_published_before_versions_were_kept_gets_its_history_on_the_next_publish(
    client, login_as, admin, course
):
    # As after the upgrade: the course exists, its versions were never recorded.
    db.session.execute(delete(CourseVersion))
    db.session.commit()
    login_as(admin)
    listing = client.get(f"/admin/content/{course.slug}/versions").get_data(as_text=True)
    assert "the history starts with the next publish" in listing
    text = _textarea(client.get(f"/admin/content/{course.slug}/edit").get_data(as_text=True))
    assert _publish_text(client, text.replace("A course for tests.", "A better summary.")).status_code == 302
    versions = db.session.execute(
        select(CourseVersion.version, CourseVersion.published_by_id).order_by(CourseVersion.version)
    ).all()
    assert versions == [(1, None), (2, admin.id)]
    page = client.get(f"/admin/content/{course.slug}/versions/compare").get_data(as_text=True)
    assert "Summary: <del>A course for tests.</del> → <ins>A better summary.</ins>" in page


def test_loading_files_records_each_version_once_with_its_comments(app, tmp_path):
    (tmp_path / f"{SLUG}.yaml").write_text(COMMENTED, encoding="utf-8")
    loader.load_directory(tmp_path)
    loader.load_directory(tmp_path)  # unchanged: no new version
    db.session.commit()
    rows = db.session.execute(select(CourseVersion.version, CourseVersion.source_text)).all()
    assert rows == [(1, COMMENTED)]
    (tmp_path / f"{SLUG}.yaml").write_text(COMMENTED.replace("All staff", "Everyone"), encoding="utf-8")
    loader.load_directory(tmp_path)
    db.session.commit()
    assert db.session.scalar(select(func.count(CourseVersion.id))) == 2
    stored = db.session.scalar(select(CourseVersion).where(CourseVersion.version == 2))
    assert stored.summary == {"course_fields": ["audience"]}
    # The stored content is exactly what the course's fingerprint covers.
    from tracker.services.content.schema import fingerprint

    assert fingerprint(stored.content) == stored.content_hash == course_for_export(SLUG).content_hash
