"""Cached page fragments (the header, the footer, course cards) follow every value they show: the same app serves a
changed name, role, language, progress, due date or certificate at once, and never one person's fragment (or CSRF
token) to another."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import Role, utcnow
from tracker.services.certification import lifecycle
from tracker.services.learning import lessons
from tracker.services.organisation import assignments

from ..factories import complete_course, make_course


def card_of(html: str, title: str) -> str:
    cards = re.findall(r'<article class="course-card">.*?</article>', html, re.S)
    return next(card for card in cards if f">{title}</a></h3>" in card)


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


def test_the_header_follows_the_name_role_and_language(client, login_as, make_user):
    user = make_user(name="Ada Example")
    login_as(user)
    page = client.get("/").get_data(as_text=True)
    assert "Ada Example" in page and "Team progress" not in page
    user.display_name = "Ada Renamed"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Ada Renamed" in page and "Ada Example" not in page
    user.role = Role.MANAGER.value
    db.session.commit()
    assert "Team progress" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"language": "de", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert "Mein Lernbereich" in page
    assert "My learning" not in page


def test_the_current_page_is_marked_per_page(client, login_as, make_user):
    login_as(make_user())
    dashboard = client.get("/").get_data(as_text=True)
    catalogue = client.get("/courses/").get_data(as_text=True)
    assert re.search(r'href="/"\s+aria-current="page"', dashboard)
    assert re.search(r'href="/courses/"\s+aria-current="page"', catalogue)
    assert not re.search(r'href="/"\s+aria-current="page"', catalogue)


def test_two_people_get_their_own_name_and_sign_out_token(app, make_user):
    first, second = make_user(name="First Person"), make_user(name="Second Person")
    from ..conftest import sign_in_client

    one = sign_in_client(app.test_client(), first).get("/").get_data(as_text=True)
    two = sign_in_client(app.test_client(), second).get("/").get_data(as_text=True)
    assert "First Person" in one and "Second Person" not in one
    assert "Second Person" in two and "First Person" not in two
    assert csrf_tokens(one) and csrf_tokens(two) and not csrf_tokens(one) & csrf_tokens(two)


def test_a_card_follows_progress_due_date_and_certificate(client, login_as, make_user):
    course = make_course(modules=1, lessons=2)
    learner = make_user()
    login_as(learner)
    card = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "0 of 1 modules complete" in card and "Start" in card and "Due" not in card

    lessons.read_lesson(learner, course.modules[0].lessons[1])  # the second lesson first: the next step stays
    db.session.commit()
    card = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "Continue" in card and "lesson-1" in card and 'value="33"' in card

    lessons.read_lesson(learner, course.modules[0].lessons[0])
    db.session.commit()
    card = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "Continue" in card and 'value="66"' in card and "/quiz" in card

    today = utcnow().date()
    assignments.assign(
        None, course=course, user=learner, due_on=today - timedelta(days=1), today=today - timedelta(days=3)
    )
    db.session.commit()
    card = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "Overdue" in card

    certificate = complete_course(learner, course)
    card = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "Completed" in card and "Overdue" not in card and "badge-cert-valid" in card

    lifecycle.revoke(certificate, make_user(Role.ADMIN), "Issued in error")
    db.session.commit()
    card = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "badge-cert-revoked" in card and "badge-complete" not in card


def test_a_card_follows_the_language(client, login_as, make_user):
    course = make_course(modules=1, lessons=1)
    login_as(make_user())
    assert "Start<span" in card_of(client.get("/").get_data(as_text=True), course.title)
    client.post("/language", data={"language": "de", "next": "/"})
    german = card_of(client.get("/").get_data(as_text=True), course.title)
    assert "Starten<span" in german


def test_matrix_cells_follow_language_and_values(client, login_as, make_user):
    from tests import factories
    from tracker.enums import Role as Roles
    from tracker.services.organisation import assignments as assigning

    boss = make_user(Roles.MANAGER, name="Boss")
    team = factories.make_team("Cells", manager=boss)
    course = make_course("cell-course", modules=1, lessons=2)
    learner = make_user(name="Cell Person", team=team)
    make_user(name="Other Person", team=team)
    login_as(boss)

    def cell_of(page: str) -> str:
        return re.search(r'<th scope="row" class="person">.*?Cell Person.*?</th>\s*(<td.*?</td>)', page, re.S).group(1)

    page = client.get("/manager/").get_data(as_text=True)
    assert "not assigned" in cell_of(page) and "Not started" in cell_of(page)
    lessons.read_lesson(learner, course.modules[0].lessons[0])
    db.session.commit()
    assert "33%" in cell_of(client.get("/manager/").get_data(as_text=True))
    today = utcnow().date()
    assigning.assign(None, course=course, team=team, due_on=today + timedelta(days=30))
    db.session.commit()
    cell = cell_of(client.get("/manager/").get_data(as_text=True))
    assert "not assigned" not in cell and "due " in cell
    client.post("/language", data={"language": "de", "next": "/"})
    german = cell_of(client.get("/manager/").get_data(as_text=True))
    assert "fällig" in german and "due " not in german
    # The same cell of the other person, unassigned in English before, is assigned in German now.
    assert "nicht zugewiesen" not in german


def test_the_course_page_follows_progress_and_a_new_version(client, login_as, make_user):
    from tracker.services.content import loader

    from ..factories import course_data

    data = course_data(modules=1, lessons=2)
    loader.apply_course(data)
    db.session.commit()
    course = load_course_by_slug(data["slug"])
    learner = make_user()
    login_as(learner)
    url = f"/courses/{course.slug}"
    assert client.get(url).get_data(as_text=True).count('class="tick"') == 0
    lessons.read_lesson(learner, course.modules[0].lessons[0])
    db.session.commit()
    assert client.get(url).get_data(as_text=True).count('class="tick"') == 1

    data["title"] = "A course renamed"
    data["modules"][0]["lessons"][0]["title"] = "A lesson renamed"
    loader.apply_course(data)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "<h1>A course renamed</h1>" in page and ">A lesson renamed</a>" in page
    assert page.count('class="tick"') == 1  # the same progress, shown in the new version's fragment


def test_the_lesson_page_follows_whether_it_is_read(client, login_as, make_user):
    course = make_course(modules=1, lessons=2)
    module, lesson = course.modules[0], course.modules[0].lessons[0]
    learner = make_user()
    login_as(learner)
    url = f"/courses/{course.slug}/modules/{module.slug}/lessons/{lesson.slug}"
    page = client.get(url).get_data(as_text=True)
    assert "badge-complete" not in page and "Skip to next" in page
    lessons.read_lesson(learner, lesson)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "badge-complete" in page and "Skip to next" not in page
    # Somebody else has not read it: their page is the unread one.
    login_as(make_user())
    assert "badge-complete" not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_the_sign_out_and_language_forms_carry_this_sessions_token(client, login_as, make_user):
    login_as(make_user())
    page = client.get("/").get_data(as_text=True)
    sign_out = re.search(r'<form method="post" action="/logout".*?</form>', page, re.S).group(0)
    language = re.search(r'<form method="post" action="/language".*?</form>', page, re.S).group(0)
    (token,) = csrf_tokens(sign_out)
    assert csrf_tokens(language) == {token}
    client.post("/logout", data={"csrf_token": "forged"})  # the token is checked: still signed in
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302  # signed out: sent to sign in


def load_course_by_slug(slug: str):
    from ..factories import load_course

    return load_course(slug)


def test_matrix_rows_follow_the_person_the_totals_and_the_time_zone(app, make_user):
    from datetime import UTC, datetime

    from tests import factories
    from tracker.enums import Role as Roles

    from ..conftest import sign_in_client

    course = make_course("row-course", modules=1, lessons=1)
    boss = make_user(Roles.MANAGER)
    team = factories.make_team("Rows", manager=boss)
    learner = make_user(name="Row Person", team=team, job_role="Analyst")
    # 23:30 UTC on 2 March is already 3 March in Auckland.
    factories.complete_course(learner, course, now=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))

    def row_and_card(page: str, name: str) -> tuple[str, str]:
        row = re.search(rf'<tr>\s*<th scope="row" class="person"><a [^>]*>{name}</a>.*?</tr>', page, re.S).group(0)
        card = re.search(rf'<li class="matrix-card">\s*<h3[^>]*><a [^>]*>{name}</a>.*?</ul>', page, re.S).group(0)
        return row, card

    client = sign_in_client(app.test_client(), boss)
    row, card = row_and_card(client.get("/manager/").get_data(as_text=True), "Row Person")
    assert "Analyst" in row and "Analyst" in card and "2 Mar 2026" in row and "2 Mar 2026" in card
    learner.display_name, learner.job_role = "Row Renamed", "Engineer"
    db.session.commit()
    page = client.get("/manager/").get_data(as_text=True)
    row, card = row_and_card(page, "Row Renamed")
    assert "Row Person" not in page and "Engineer" in row and "Engineer" in card and "Analyst" not in page

    assert 'class="person-total">0/0<' in row
    assignments.assign(None, course=course, team=team, due_on=utcnow().date() + timedelta(days=30))
    db.session.commit()
    row, card = row_and_card(client.get("/manager/").get_data(as_text=True), "Row Renamed")
    assert 'class="person-total">1/1<' in row and "Done: 1/1" in card

    boss.timezone = "Pacific/Auckland"
    db.session.commit()
    row, card = row_and_card(client.get("/manager/").get_data(as_text=True), "Row Renamed")
    assert "3 Mar 2026" in row and "3 Mar 2026" in card and "2 Mar 2026" not in row + card


def test_two_managers_get_their_own_matrix_rows(app, make_user):
    from tests import factories
    from tracker.enums import Role as Roles

    from ..conftest import sign_in_client

    make_course("rows-of-two", modules=1, lessons=1)
    first_boss, second_boss = make_user(Roles.MANAGER), make_user(Roles.MANAGER)
    make_user(name="Anna First", team=factories.make_team("First rows", manager=first_boss))
    make_user(name="Bert Second", team=factories.make_team("Second rows", manager=second_boss))
    everyone = sign_in_client(app.test_client(), make_user(Roles.ADMIN)).get("/manager/").get_data(as_text=True)
    assert "Anna First" in everyone and "Bert Second" in everyone  # both rows kept
    one = sign_in_client(app.test_client(), first_boss).get("/manager/").get_data(as_text=True)
    two = sign_in_client(app.test_client(), second_boss).get("/manager/").get_data(as_text=True)
    assert "Anna First" in one and "Bert Second" not in one
    assert "Bert Second" in two and "Anna First" not in two
