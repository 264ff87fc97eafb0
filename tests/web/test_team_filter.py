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


def _reference(scope, current, limit):
    """The filter's rule computed the plain way, from every team (as it was before the tree was read in SQL)."""
    from sqlalchemy import select

    from tracker.models import Team

    rows = db.session.execute(select(Team.id, Team.name, Team.parent_id)).all()
    by_id = {row.id: row for row in rows}
    visible = [row for row in rows if scope is None or row.id in scope]

    def path(team_id):
        names, row = [], by_id.get(team_id)
        while row is not None:
            names.append(row.name)
            row = by_id.get(row.parent_id)
        return " / ".join(reversed(names))

    if len(visible) <= limit:
        return sorted(((r.id, r.name, path(r.id)) for r in visible), key=lambda t: (t[1].casefold(), t[0])), True
    ids = {row.id for row in visible}
    roots = sorted((r for r in visible if r.parent_id not in ids), key=lambda r: (r.name.casefold(), r.id))
    picked = {r.id for r in roots[:limit]}
    if current in ids:
        row = by_id[current]
        while row is not None and row.id in ids:
            picked.add(row.id)
            row = by_id.get(row.parent_id)
        picked |= {r.id for r in visible if r.parent_id == current}
    return sorted(((i, by_id[i].name, path(i)) for i in picked), key=lambda t: (t[2].casefold(), t[0])), False


def test_the_choices_equal_the_rule_computed_from_every_team(app, count_queries):
    departments = [factories.make_team(f"dept {d}" if d % 2 else f"Dept {d}") for d in range(4)]
    teams_of, units_of = {}, {}  # department -> its teams; team -> its units
    for d in departments:
        for t in range(3):
            team = factories.make_team(f"Team {d.name[-1]}{t}", parent=d)
            teams_of.setdefault(d.id, []).append(team.id)
            units_of[team.id] = [factories.make_team(f"Unit {d.name[-1]}{t}{u}", parent=team) for u in range(2)]
    db.session.commit()
    middle = teams_of[departments[1].id][1]
    department = {departments[1].id, *teams_of[departments[1].id]}
    scopes = {
        "everyone": None,
        "a department": department | {u.id for team_id in teams_of[departments[1].id] for u in units_of[team_id]},
        "a team and its units": {middle, *(u.id for u in units_of[middle])},
        "units of two teams": {u.id for team_id in list(units_of)[:2] for u in units_of[team_id]},
    }
    currents = [None, departments[1].id, departments[2].id, middle, units_of[middle][1].id, 999_999]
    for label, scope in scopes.items():
        for current in currents:
            for limit in (100, 5, 2, 1):
                expected, complete = _reference(scope, current, limit)
                got = teams.filter_choices(scope, current, limit=limit)
                assert (got.teams, got.complete) == (expected, complete), (label, current, limit)
    # Statements do not grow with the tree: an admin's list is a count and one recursive read.
    with count_queries() as counted:
        teams.filter_choices(None, middle, limit=5)
    assert len(counted.statements) == 2
