"""The matrix: status chips that filter it, a page past the end, and the phone cards beside the table."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from tests import factories
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import Course, Team
from tracker.services.organisation import assignments


def _org(make_user, people: int = 3):
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team("Alpha", manager=boss)
    course = factories.make_course("chip-course")
    done = make_user(name="Done Person", team=team)
    factories.complete_course(done, course)
    for n in range(people):
        make_user(name=f"Late {n}", team=team)
    assignments.assign(None, course=course, team=team, due_on=date.today() - timedelta(days=3))
    db.session.commit()
    return boss


def _chips(page: str) -> dict[str, str]:
    summary = re.search(r'<ul class="status-summary">(.*?)</ul>', page, re.S).group(1)
    return {
        status: unescape(href)
        for href, status in re.findall(r'<a href="([^"]+)"[^>]*>.*?</span> ([^<]+)</a>', summary, re.S)
    }


def test_status_chips_are_links_that_filter_the_matrix_and_keep_the_other_filters(client, login_as, make_user):
    login_as(_org(make_user))
    page = client.get("/manager/?sort=team&per_page=25&page=1").get_data(as_text=True)
    chips = _chips(page)
    assert set(chips) >= {"Overdue", "Completed", "Not started"}
    overdue = chips["Overdue"]
    assert "status=overdue" in overdue and "sort=team" in overdue and "per_page=25" in overdue
    assert "&page=" not in overdue and "?page=" not in overdue  # a new filter starts on its first page
    filtered = client.get(overdue).get_data(as_text=True)
    assert "Late 0" in filtered and "Done Person" not in filtered
    assert 'aria-current="true"' in re.search(r'<ul class="status-summary">(.*?)</ul>', filtered, re.S).group(1)
    completed = client.get(chips["Completed"]).get_data(as_text=True)
    assert "Done Person" in completed and "Late 0" not in completed


def test_a_page_past_the_end_goes_to_the_last_page(client, login_as, make_user):
    login_as(_org(make_user, people=30))
    response = client.get("/manager/?per_page=25&page=9&status=overdue")
    assert response.status_code == 302
    assert "page=2" in response.location and "status=overdue" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Nobody matches these filters" not in page and "Page 2 of 2" in page


def test_each_person_has_a_card_listing_every_course_status(client, login_as, make_user):
    login_as(_org(make_user, people=1))
    page = client.get("/manager/").get_data(as_text=True)
    cards = re.search(r'<ol class="matrix-cards"[^>]*>(.*?)</ol>', page, re.S).group(1)
    assert cards.count('<li class="matrix-card">') == 2
    assert "Done Person" in cards and "Late 0" in cards
    assert cards.count('class="matrix-card-course"') == 2  # one course, two people
    region = re.search(r'<div class="table-wrap matrix-wide" ([^>]*)>', page).group(1)
    assert 'role="region"' in region and 'tabindex="0"' in region and "aria-label=" in region


def _selected(page: str) -> dict[str, str]:
    """The option chosen in each filter of the page's GET form, by the select's name."""
    chosen = {}
    for name, options in re.findall(r'<select id="f-[^"]+" name="([^"]+)">(.*?)</select>', page, re.S):
        picked = re.search(r'<option value="([^"]*)" selected>', options)
        chosen[name] = picked.group(1) if picked else ""
    return chosen


def test_the_filters_show_what_is_applied(client, login_as, make_user):
    login_as(_org(make_user))
    team_id = db.session.scalar(select(Team.id).where(Team.name == "Alpha"))
    course_id = db.session.scalar(select(Course.id).where(Course.slug == "chip-course"))
    page = client.get(f"/manager/?team={team_id}&course={course_id}&status=overdue&sort=team&per_page=25")
    assert _selected(page.get_data(as_text=True)) == {
        "team": str(team_id),
        "course": str(course_id),
        "status": "overdue",
        "sort": "team",
        "per_page": "25",
    }
    assert _selected(client.get("/manager/").get_data(as_text=True)) == {
        "team": "",
        "course": "",
        "status": "",
        "sort": "name",
        "per_page": "50",
    }
