"""The team tree read a few branches at a time: each of some teams with the teams above it."""

from __future__ import annotations

from sqlalchemy import Select, literal, select

from ...extensions import db
from ...models import Team

MAX_DEPTH = 64  # a loop in the hierarchy cannot make the walk up run away


def chains(starts: Select) -> dict[int, list[tuple[int, str]]]:
    """Each team of `starts` (a statement of team ids) with itself and every team above it, nearest first, as
    (id, name): one recursive statement, reading those branches only (a page needs a few dozen of thousands)."""
    teams = Team.__table__
    begin = starts.subquery()
    up = (
        select(teams.c.id.label("start_id"), teams.c.id, teams.c.name, teams.c.parent_id, literal(0).label("depth"))
        .where(teams.c.id.in_(select(begin.c.id)))
        .cte("up", recursive=True)
    )
    parent = teams.alias("parent")
    up = up.union_all(
        select(up.c.start_id, parent.c.id, parent.c.name, parent.c.parent_id, up.c.depth + 1)
        .join(up, parent.c.id == up.c.parent_id)
        .where(up.c.depth < MAX_DEPTH)
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for start_id, team_id, name in db.session.execute(
        select(up.c.start_id, up.c.id, up.c.name).order_by(up.c.start_id, up.c.depth)
    ):
        found.setdefault(start_id, []).append((team_id, name))
    return found


def chains_of(team_ids) -> dict[int, list[int]]:
    """`chains` of these team ids, as ids only (see `assignments.team_ancestry`)."""
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    found = chains(select(Team.__table__.c.id).where(Team.__table__.c.id.in_(ids)))
    return {start: [team_id for team_id, _name in chain] for start, chain in found.items()}
