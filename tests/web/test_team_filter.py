"""The team filter above the matrix, the coverage and the evidence report: every team of a small organisation;
the tree around the chosen team in a large one."""

from __future__ import annotations

from tests import factories
from tracker.extensions import db
from tracker.models import Role
from tracker.services.organisation import teams


def _tree():
    departments = [factories.make_team(f"Dept {d}") for d in range(4)]
    children = {d.id: [factories.make_team(f"Team {d.name[-1]}{t}", parent=d) for t in range(3)] for d in departments}
    db.session.commit()
    return departments, children


def test_small_organisations_list_every_team_by_name(app):
    departments, _children = _tree()
    choices = teams.filter_choices(None)
    assert choices.complete and len(choices.teams) == 16
    assert choices.by_name[0] == (departments[0].id, "Dept 0")


def test_large_organisations_list_top_levels_and_the_tree_around_the_chosen_team(app):
    departments, children = _tree()
    none_chosen = teams.filter_choices(None, limit=5)
    assert not none_chosen.complete
    assert none_chosen.by_path == [(d.id, d.name) for d in departments]

    chosen = children[departments[2].id][1]
    around = dict(teams.filter_choices(None, chosen.id, limit=5).by_path)
    assert around[chosen.id] == "Dept 2 / Team 21"
    assert departments[2].id in around and len(around) == 5  # the four departments and the chosen team

    department = teams.filter_choices(None, departments[1].id, limit=5).by_path
    assert [label for _id, label in department] == [
        "Dept 0", "Dept 1", "Dept 1 / Team 10", "Dept 1 / Team 11", "Dept 1 / Team 12", "Dept 2", "Dept 3",
    ]  # fmt: skip

    # A manager's scope: its top teams, never a team outside it.
    scope = {departments[3].id, *(t.id for t in children[departments[3].id])}
    managed = teams.filter_choices(scope, limit=2)
    assert managed.by_path == [(departments[3].id, "Dept 3")]


def test_the_matrix_page_explains_a_shortened_list(client, login_as, make_user, monkeypatch):
    departments, children = _tree()
    login_as(make_user(Role.ADMIN))
    monkeypatch.setattr(teams.filter_choices, "__defaults__", (None, 5))
    for url in ("/manager/", "/programme/coverage", "/reports/evidence"):
        body = client.get(url).get_data(as_text=True)
        assert "Top-level teams, and the teams above and below the chosen one" in body, url
        assert "Team 01" not in body, url
        chosen = client.get(f"{url}?team={departments[0].id}").get_data(as_text=True)
        assert "Dept 0 / Team 01" in chosen, url
