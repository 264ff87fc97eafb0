"""Team administration: the hierarchy, creating, editing, moving (without cycles) and deleting teams."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import AuditEvent, Role, Team


@pytest.fixture
def org(app, make_user):
    """Operations (department, managed by Mona) > Service desk > Night shift; Finance on its own; people in them."""
    mona = make_user(Role.MANAGER, name="Mona Manager", email="mona@example.org")
    admin = make_user(Role.ADMIN, name="Ada Admin", email="ada@example.org")
    operations = factories.make_team("Operations", manager=mona)
    desk = factories.make_team("Service desk", parent=operations)
    night = factories.make_team("Night shift", parent=desk)
    finance = factories.make_team("Finance")
    for _ in range(3):
        make_user(Role.LEARNER, team=desk)
    make_user(Role.LEARNER, team=night, active=False)  # deactivated people still count as members
    make_user(Role.LEARNER, team=operations)
    return {"admin": admin, "mona": mona, "operations": operations, "desk": desk, "night": night, "finance": finance}


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


class _TreeParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth, self.in_tree, self.in_link, self.links = 0, False, False, []

    def handle_starttag(self, tag, attrs):
        if tag == "ul" and ("class", "teams-tree") in attrs:
            self.in_tree = True
        if self.in_tree and tag == "ul":
            self.depth += 1
        self.in_link = self.in_tree and tag == "a"

    def handle_endtag(self, tag):
        if self.in_tree and tag == "ul":
            self.depth -= 1
            self.in_tree = self.depth > 0
        self.in_link = False

    def handle_data(self, data):
        if self.in_link and data.strip():
            self.links.append((self.depth, data.strip()))


def _tree_links(html: str) -> list[tuple[int, str]]:
    parser = _TreeParser()
    parser.feed(html)
    return parser.links


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_tree_nests_teams_under_departments_with_counts_and_managers(client, login_as, org, count_queries):
    login_as(org["admin"])
    with count_queries() as counter:
        page = client.get("/admin/teams/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Nesting: each team's link sits at the depth of its place in the hierarchy, children right after their parent.
    assert _tree_links(html) == [
        (1, "Finance"),
        (1, "Operations"),
        (2, "Service desk"),
        (3, "Night shift"),
    ]
    text = _text(html)
    assert "Operations Department 1 member (5 with the teams below) · Manager: Mona Manager" in text
    assert "Service desk Department 3 members (4 with the teams below) · Manager: none" in text
    assert "Night shift 1 member · Manager: none" in text
    assert "Finance 0 members · Manager: none" in text

    # The tree is built from a fixed number of queries, whatever the number of teams.
    for i in range(6):
        factories.make_team(f"Extra {i}", parent=org["finance"], manager=org["mona"])
    with count_queries() as more:
        assert client.get("/admin/teams/").status_code == 200
    assert more.count == counter.count


def test_create_a_team_under_a_department_with_a_manager(client, login_as, org):
    login_as(org["admin"])
    form = client.get("/admin/teams/").get_data(as_text=True)
    assert 'value="">— no manager —' in form
    assert f'value="{org["mona"].id}">Mona Manager (mona@example.org)' in form
    response = client.post(
        "/admin/teams/",
        data={"name": "  Payroll   team ", "parent_id": str(org["finance"].id), "manager_id": str(org["mona"].id)},
    )
    assert response.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "Payroll team"))
    assert team.parent_id == org["finance"].id and team.managers == [org["mona"]]
    [event] = _audit("team.created")
    assert event.actor_id == org["admin"].id and event.target_id == str(team.id)
    assert event.details == {"name": "Payroll team", "parent": "Finance", "manager": "mona@example.org"}
    assert "Payroll team" in client.get("/admin/teams/").get_data(as_text=True)

    top = client.post("/admin/teams/", data={"name": "Legal", "parent_id": "", "manager_id": ""})
    assert top.status_code == 302
    legal = db.session.scalar(select(Team).where(Team.name == "Legal"))
    assert legal.parent_id is None and legal.managers == []


def test_create_refuses_duplicate_names_and_learners_as_managers(client, login_as, org, make_user):
    login_as(org["admin"])
    learner = make_user(Role.LEARNER, name="Lena Learner")
    response = client.post("/admin/teams/", data={"name": "finance", "parent_id": "", "manager_id": ""})
    assert response.status_code == 400
    assert "There is already a team called “finance”" in response.get_data(as_text=True)
    response = client.post("/admin/teams/", data={"name": "Audit", "parent_id": "", "manager_id": str(learner.id)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The manager must be an active manager or admin." in html
    assert 'value="Audit"' in html  # what was typed is kept
    assert "Lena Learner" not in html  # learners are not offered as managers
    assert client.post("/admin/teams/", data={"name": "", "parent_id": ""}).status_code == 400
    assert db.session.scalar(select(Team).where(Team.name == "Audit")) is None
    assert _audit("team.created") == []


def test_edit_renames_and_moves_and_leaves_the_managers_to_their_own_buttons(client, login_as, org, make_user):
    login_as(org["admin"])
    boss = make_user(Role.ADMIN, name="Bo Boss", email="bo@example.org")
    page = client.get(f"/admin/teams/{org['night'].id}")
    assert page.status_code == 200 and 'value="Night shift"' in page.get_data(as_text=True)
    managers_before = list(org["night"].managers)
    response = client.post(
        f"/admin/teams/{org['night'].id}",
        data={"name": "Late shift", "parent_id": str(org["finance"].id), "manager_id": str(boss.id)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    night = db.session.get(Team, org["night"].id)
    assert (night.name, night.parent_id) == ("Late shift", org["finance"].id)
    assert night.managers == managers_before  # the edit form does not change the managers
    [event] = _audit("team.updated")
    assert event.details == {"name": ["Night shift", "Late shift"], "parent": ["Service desk", "Finance"]}

    # Saving without a change writes no audit entry.
    client.post(f"/admin/teams/{night.id}", data={"name": "Late shift", "parent_id": str(org["finance"].id)})
    assert len(_audit("team.updated")) == 1

    # Moving to the top level.
    client.post(f"/admin/teams/{night.id}", data={"name": "Late shift", "parent_id": ""})
    db.session.expire_all()
    assert night.parent_id is None


def test_a_team_has_several_managers_added_and_removed_on_its_page(client, login_as, org, make_user):
    login_as(org["admin"])
    night = org["night"]
    first = make_user(Role.MANAGER, name="Ann First", email="ann.first@example.org")
    second = make_user(Role.MANAGER, name="Ben Second", email="ben.second@example.org")
    for manager in (first, second, first):  # the second time changes nothing
        response = client.post(f"/admin/teams/{night.id}/managers", data={"manager_id": str(manager.id)})
        assert response.status_code == 302
    db.session.expire_all()
    assert {m.email for m in night.managers} >= {"ann.first@example.org", "ben.second@example.org"}
    page = client.get(f"/admin/teams/{night.id}").get_data(as_text=True)
    assert "Ann First (ann.first@example.org)" in page and "Ben Second (ben.second@example.org)" in page
    assert [e.details for e in _audit("team.manager_added")][:2] == [
        {"manager": "ann.first@example.org"},
        {"manager": "ben.second@example.org"},
    ]
    # Both see the team in their scope.
    from tracker.services.organisation import teams

    assert night.id in teams.managed_team_ids(first) and night.id in teams.managed_team_ids(second)
    # A learner is refused, with the reason under the field.
    learner = make_user(Role.LEARNER)
    refused = client.post(f"/admin/teams/{night.id}/managers", data={"manager_id": str(learner.id)})
    assert refused.status_code == 400 and "The manager must be an active manager or admin." in refused.get_data(
        as_text=True
    )
    # Removing one keeps the other.
    assert client.post(f"/admin/teams/{night.id}/managers/{first.id}/remove").status_code == 302
    db.session.expire_all()
    assert first not in night.managers and second in night.managers
    assert night.id not in teams.managed_team_ids(first) or first.role == Role.ADMIN
    assert [e.details for e in _audit("team.manager_removed")] == [{"manager": "ann.first@example.org"}]


@pytest.mark.parametrize("target", ["operations", "desk", "night"])
def test_a_team_cannot_move_under_itself_or_its_descendants(client, login_as, org, target):
    login_as(org["admin"])
    operations = org["operations"]
    edit_page = client.get(f"/admin/teams/{operations.id}").get_data(as_text=True)
    parent_select = edit_page[
        edit_page.index('id="parent_id"') : edit_page.index("</select>", edit_page.index('id="parent_id"'))
    ]
    assert "Finance" in parent_select
    assert not any(name in parent_select for name in ("Operations", "Service desk", "Night shift"))

    response = client.post(
        f"/admin/teams/{operations.id}",
        data={"name": "Operations", "parent_id": str(org[target].id), "manager_id": str(org["mona"].id)},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "cannot be its own parent" in html or "a team cannot be moved under one of its own teams" in html
    db.session.expire_all()
    assert db.session.get(Team, operations.id).parent_id is None
    assert _audit("team.updated") == []


def test_delete_only_empty_teams(client, login_as, org):
    login_as(org["admin"])
    # Members (even deactivated ones) block the delete, and so do child teams.
    response = client.post(f"/admin/teams/{org['night'].id}/delete")
    assert response.status_code == 400
    assert "“Night shift” still has 1 member. Move them elsewhere" in response.get_data(as_text=True)
    response = client.post(f"/admin/teams/{org['desk'].id}/delete")
    assert response.status_code == 400
    assert "still has 3 members and 1 team below it" in response.get_data(as_text=True)
    empty_department = factories.make_team("Empty department")
    factories.make_team("Child", parent=empty_department)
    response = client.post(f"/admin/teams/{empty_department.id}/delete")
    assert "still has 1 team below it" in response.get_data(as_text=True)
    assert db.session.get(Team, org["desk"].id) is not None
    assert _audit("team.deleted") == []

    finance_id = org["finance"].id
    response = client.post(f"/admin/teams/{finance_id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, finance_id) is None
    [event] = _audit("team.deleted")
    assert event.target_id == str(finance_id) and event.details["name"] == "Finance"
    page = client.get("/admin/teams/").get_data(as_text=True)
    assert "The team “Finance” is deleted." in page and ">Finance</a>" not in page
    assert client.get(f"/admin/teams/{finance_id}").status_code == 404


def test_managers_and_learners_are_refused(client, login_as, org, make_user):
    login_as(org["mona"])
    assert client.get("/admin/teams/").status_code == 403
    assert client.post("/admin/teams/", data={"name": "Sneaky"}).status_code == 403
    assert client.post(f"/admin/teams/{org['finance'].id}/delete").status_code == 403
    assert db.session.scalar(select(Team).where(Team.name == "Sneaky")) is None
    assert db.session.get(Team, org["finance"].id) is not None
