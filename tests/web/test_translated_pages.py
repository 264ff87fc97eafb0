"""Every role's pages in German and French carry no English interface text (scanned against the catalogue)."""

from __future__ import annotations

import html
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests import factories
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import Attempt
from tracker.services.learning import attempts, lessons
from tracker.services.organisation import assignments

TRANSLATIONS = Path(__file__).resolve().parents[2] / "tracker" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_A-Z0-9]+\)[sd]|%%|<[^>]+>|&[a-z]+;")
# Words that are the same in English and the other language, or names and codes that are not translated.
SHARED = {"Quiz", "Team", "Status", "Version", "Person", "Organisation", "Modules", "Module", "Code", "Admin"}


@cache
def english_fragments(language: str) -> frozenset[str]:
    """Pieces of English interface text, at least two words long, whose translation is different: if one shows
    on a page in `language`, something was not translated."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    translations = " ".join(" ".join(m.string) if isinstance(m.string, tuple) else m.string for m in catalogue if m.id)
    fragments = set()
    for message in catalogue:
        if not message.id:
            continue
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in PLACEHOLDER.split(msgid):
                piece = piece.strip(" .,:;()·–—!?\"'“”")
                if len(piece) >= 12 and " " in piece and piece not in translations and piece not in SHARED:
                    fragments.add(piece)
    return frozenset(fragments)


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<option[^>]*lang=[^>]*>[^<]*</option>", " ", page)  # the language menu names each language
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(text.split())


@pytest.fixture
def world(app, make_user):
    course = factories.make_course()
    team = factories.make_team("Blue team")
    manager = make_user(Role.MANAGER, email="boss@example.org")
    team.manager = manager
    learner = make_user(Role.LEARNER, email="learner@example.org", team=team, job_role="Analyst")
    admin = make_user(Role.ADMIN, email="admin@example.org")
    other = factories.make_course()
    assignments.assign(manager, course=other, team=team, due_on=date(2020, 1, 1))  # overdue
    cert = factories.complete_course(learner, course)
    lessons.read_lesson(learner, other.modules[0].lessons[0])
    attempt = attempts.start_attempt(learner, other.modules[0].quiz)
    attempts.submit_attempt(learner, attempt, factories.answers_for(attempt, correct=False))
    db.session.commit()
    return {"course": course, "other": other, "learner": learner, "manager": manager, "admin": admin, "cert": cert}


def pages(world) -> dict[str, list[str]]:
    course, other = world["course"], world["other"]
    module = course.modules[0]
    attempt_id = db.session.scalar(select(Attempt.id).where(Attempt.quiz_id == other.modules[0].quiz.id))
    code = world["cert"].code
    return {
        "learner": [
            "/",
            "/courses/",
            f"/courses/{course.slug}",
            f"/courses/{course.slug}/modules/{module.slug}/lessons/{module.lessons[0].slug}",
            f"/courses/{other.slug}/modules/{module.slug}/quiz",
            f"/attempts/{attempt_id}",
            "/certificates/",
            "/account/",
        ],
        "manager": [
            "/manager/",
            "/manager/assignments",
            "/certificates/team",
            "/reports/evidence",
        ],
        "admin": [
            "/admin/",
            "/admin/people/",
            f"/admin/people/{world['learner'].id}",
            "/admin/people/new",
            "/admin/people/import",
            "/admin/teams/",
            "/admin/content/",
            f"/admin/content/{course.slug}/edit",
            "/admin/certificates?show=all",
            f"/admin/certificates/{code}",
            "/admin/audit/",
        ],
        "anonymous": ["/login", "/verify/", f"/verify/{code}", "/no-such-page"],
    }


@pytest.mark.parametrize("language", ["de", "fr"])
def test_pages_of_every_role_show_no_english_interface_text(client, world, login_as, language):
    fragments = english_fragments(language)
    found: dict[str, list[str]] = {}
    for role, urls in pages(world).items():
        if role == "anonymous":
            headers = {"Accept-Language": language}
        else:
            user = world[role]
            user.locale = language
            db.session.commit()
            login_as(user)
            headers = {}
        for url in urls:
            response = client.get(url, headers=headers)
            assert response.status_code in (200, 404), (role, url, response.status_code)
            page = response.get_data(as_text=True)
            assert f'<html lang="{language}">' in page, (role, url)
            text = visible_text(page)
            leftovers = sorted(fragment for fragment in fragments if fragment in text)
            if leftovers:
                found[f"{role} {url}"] = leftovers
        if role != "anonymous":
            client.post("/logout")
    assert found == {}
