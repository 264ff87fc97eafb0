"""The evidence report page renders each person once per record, language and time zone
(`tracker/report_fragments.py`): every shown value, the viewer's language and zone change what is served, and one
viewer's people never appear on another's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests import factories
from tests.conftest import sign_in_client
from tracker.extensions import db
from tracker.models import Role, utcnow
from tracker.services.certification import lifecycle
from tracker.services.organisation import assignments


def person_of(page: str, name: str) -> str:
    bodies = re.findall(r'<tbody class="evidence-person">.*?</tbody>', page, re.S)
    return next(body for body in bodies if f">{name}<" in body)


def names_on(page: str) -> set[str]:
    return set(re.findall(r'class="evidence-name">([^<]+)<', page))


def test_a_person_follows_name_certificate_due_items_and_language(client, login_as, make_user):
    course = factories.make_course("fragment-course", modules=1, lessons=1)
    other = factories.make_course("fragment-other", modules=1, lessons=1)
    admin = make_user(Role.ADMIN)
    learner = make_user(name="Rena Record")
    certificate = factories.complete_course(learner, course)
    login_as(admin)

    body = person_of(client.get("/reports/evidence").get_data(as_text=True), "Rena Record")
    assert "badge-cert-valid" in body and "Nothing due" in body and "1 quiz attempt" in body

    learner.display_name = "Rena Renamed"
    db.session.commit()
    page = client.get("/reports/evidence").get_data(as_text=True)
    assert "Rena Renamed" in names_on(page) and "Rena Record" not in page

    lifecycle.revoke(certificate, admin, "Issued in error")
    db.session.commit()
    body = person_of(client.get("/reports/evidence").get_data(as_text=True), "Rena Renamed")
    assert "badge-cert-revoked" in body and "badge-cert-valid" not in body

    today = utcnow().date()
    assignments.assign(
        None, course=other, user=learner, due_on=today - timedelta(days=1), today=today - timedelta(days=3)
    )
    db.session.commit()
    body = person_of(client.get("/reports/evidence").get_data(as_text=True), "Rena Renamed")
    assert "Overdue since" in body and "Nothing due" not in body

    client.post("/language", data={"language": "de", "next": "/"})
    german = person_of(client.get("/reports/evidence").get_data(as_text=True), "Rena Renamed")
    assert "Überfällig seit" in german and "Overdue since" not in german


def test_dates_follow_the_viewers_time_zone(app, make_user):
    course = factories.make_course("zone-course", modules=1, lessons=1)
    learner = make_user(name="Zed Zone")
    # 23:30 UTC on 2 March is already 3 March in Auckland.
    factories.complete_course(learner, course, now=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    in_utc = make_user(Role.ADMIN)
    in_auckland = make_user(Role.ADMIN)
    in_auckland.timezone = "Pacific/Auckland"
    db.session.commit()

    utc_body = person_of(
        sign_in_client(app.test_client(), in_utc).get("/reports/evidence").get_data(as_text=True), "Zed Zone"
    )
    nz_page = sign_in_client(app.test_client(), in_auckland).get("/reports/evidence").get_data(as_text=True)
    nz_body = person_of(nz_page, "Zed Zone")
    assert "2 Mar 2026" in utc_body and "3 Mar 2026" not in utc_body
    assert "3 Mar 2026" in nz_body and "2 Mar 2026" not in nz_body


def test_two_managers_see_their_own_people_only(app, make_user):
    first_boss, second_boss = make_user(Role.MANAGER), make_user(Role.MANAGER)
    first = factories.make_team("First", manager=first_boss)
    second = factories.make_team("Second", manager=second_boss)
    course = factories.make_course("two-viewers", modules=1, lessons=1)
    alice = make_user(name="Alice First", team=first)
    bob = make_user(name="Bob Second", team=second)
    for person in (alice, bob):
        factories.complete_course(person, course)
    admin = make_user(Role.ADMIN)
    # The admin's page first: both people's fragments are kept.
    assert {"Alice First", "Bob Second"} <= names_on(
        sign_in_client(app.test_client(), admin).get("/reports/evidence").get_data(as_text=True)
    )
    one = sign_in_client(app.test_client(), first_boss).get("/reports/evidence").get_data(as_text=True)
    two = sign_in_client(app.test_client(), second_boss).get("/reports/evidence").get_data(as_text=True)
    assert "Alice First" in names_on(one) and "Bob Second" not in one
    assert "Bob Second" in names_on(two) and "Alice First" not in two
