"""The coverage kept up to date: a status per person and AI system they use (and per job role), a summary per person.

Derived data, like the matrix tables, and kept in step by the same machinery (`reporting/status_table.py`):

- whenever the matrix recomputes people (their progress, certificates, assignments, team, job role, name or
  activity changed, or a certificate entered its renewal window), their coverage is recomputed with them, in the
  same transaction; a policy acknowledgement notes its person the same way;
- a change that every cell depends on (AI systems and who uses them, requirements, learning path contents, a new
  policy version, a team deleted) recomputes everybody's coverage, in batches: a rare admin action.

Counts per team (with the teams below) and for the organisation are kept with the rows (`CoverageTally`), like the
matrix's: each recomputation moves them by the difference between a batch's old rows and its new ones, a change to
the team tree counts the teams it reaches afresh (`recount`, from `status_table`), and `rebuild()` counts them all
set-based. Each cell is counted under its column and status, each person once more (column PERSON) under their
worst status, both with the person's job role and `statuses` bits, so that every filter of the page is a sum.

The coverage page then reads those counts, one page of people in name order and their cells, whatever the size of
the organisation. `differences()` compares the stored rows and counts with a fresh computation (`flask
matrix-status check`, the invariants check); `rebuild()` runs with the matrix's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Integer, delete, exists, func, literal, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from ...enums import SystemStatus
from ...extensions import db
from ...models import (
    AISystem,
    CoverageCell,
    CoveragePerson,
    CoverageTally,
    Team,
    TrainingRequirement,
    User,
    utcnow,
)
from ...models.matrix import ORGANISATION, PERSON
from ..organisation.assignments import Person, team_ancestry
from ..reporting import status_table
from . import coverage

BATCH = 10_000  # people computed per batch (bounded IN lists)
NOTED = {"matrix_status_noted": True}


def _anything_to_cover(session: Session) -> bool:
    """No AI system in use and no requirement: nobody has a cell (one query, the usual answer of a new install)."""
    in_use = exists().where(AISystem.status != SystemStatus.RETIRED.value)
    required = exists().where(TrainingRequirement.id.is_not(None))
    return bool(session.scalar(select(in_use | required)))


def compute(session: Session, user_ids: Sequence[int] | None, now: datetime) -> tuple[list[dict], list[dict]]:
    """Fresh summary and cell rows for these people (None: everybody), in a fixed number of queries."""
    if not _anything_to_cover(session):
        return [], []
    query = select(User.id, User.display_name, User.team_id, User.job_role).where(User.active.is_(True))
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    people = session.execute(query).all()
    if not people:
        return [], []
    in_scope = [p.id for p in people] if user_ids is not None else select(User.id).where(User.active.is_(True))
    team_ids = {p.team_id for p in people if p.team_id is not None} if user_ids is not None else None
    facts = coverage._facts(in_scope, now, with_titles=False, team_ids=team_ids)
    shown = set(facts.use.names)
    people_rows, cell_rows = [], []
    for person in people:
        cells = coverage.judged_cells(Person(person.id, person.team_id, person.job_role), facts, shown)
        if not cells:
            continue
        people_rows.append(
            {
                "user_id": person.id,
                "team_id": person.team_id,
                "job_role": person.job_role,
                "name_key": name_key(person.display_name),
                "status": coverage.worst(cell.status for cell in cells.values()).value,
                "statuses": sum(coverage.STATUS_BITS[status] for status in {cell.status for cell in cells.values()}),
            }
        )
        cell_rows += [
            {
                "user_id": person.id,
                "column_id": key,
                "status": cell.status.value,
                "missing": " ".join(cell.missing),
                "expiring": " ".join(cell.expiring),
            }
            for key, cell in cells.items()
        ]
    return people_rows, cell_rows


def name_key(display_name: str) -> str:
    return display_name.casefold()[:200]


def _write(session: Session, people_rows: list[dict], cell_rows: list[dict]) -> None:
    if people_rows:
        session.execute(CoveragePerson.__table__.insert(), people_rows, execution_options=NOTED)
    if cell_rows:
        session.execute(CoverageCell.__table__.insert(), cell_rows, execution_options=NOTED)


# -- Counts ----------------------------------------------------------------------------------------------------
# A tally's key less its scope: (column_id, job_role, status, statuses); each row counts under its person's team
# and every team above it, and the organisation (`status_table.tally_keys`, as the matrix's).


def _tally_rows(people_rows: list[dict], cell_rows: list[dict]) -> Iterator[tuple]:
    """(team_id, *key) of fresh rows: one per cell, and one per person under their worst status."""
    people = {row["user_id"]: row for row in people_rows}
    for row in people_rows:
        yield row["team_id"], PERSON, row["job_role"] or "", row["status"], row["statuses"]
    for cell in cell_rows:
        person = people[cell["user_id"]]
        yield person["team_id"], cell["column_id"], person["job_role"] or "", cell["status"], person["statuses"]


def _stored_rows(*conditions):
    """The same of the stored rows, counted in SQL: (team_id, *key, n) of the people matching `conditions`."""
    people, cells = CoveragePerson.__table__.c, CoverageCell.__table__.c
    role = func.coalesce(people.job_role, literal_column("''")).label("job_role")  # no parameter: it is grouped by
    of_cells = (
        select(people.team_id, cells.column_id, role, cells.status, people.statuses, func.count().label("n"))
        .join_from(CoverageCell.__table__, CoveragePerson.__table__, people.user_id == cells.user_id)
        .where(*conditions)
        .group_by(people.team_id, cells.column_id, role, cells.status, people.statuses)
    )
    of_people = (
        select(people.team_id, literal(PERSON, Integer), role, people.status, people.statuses, func.count())
        .where(*conditions)
        .group_by(people.team_id, role, people.status, people.statuses)
    )
    return union_all(of_cells, of_people)


def _by_scope(rows: Iterable[tuple], ancestry: dict[int, list[int]], sign: int = 1) -> Counter:
    """Tally changes from (team_id, *key, n) rows."""
    changes: Counter = Counter()
    for team_id, *key, n in rows:
        for scope_id in status_table.tally_keys(team_id, ancestry):
            changes[(scope_id, *key)] += sign * n
    return changes


def _fresh_counts(people_rows: list[dict], cell_rows: list[dict], ancestry: dict[int, list[int]]) -> Counter:
    return _by_scope(((*row, 1) for row in _tally_rows(people_rows, cell_rows)), ancestry)


def recount(session: Session, scopes: Iterable[int] | None = None, dropped: Iterable[int] = ()) -> None:
    """Count the tallies of these scopes (None: every one) afresh from the stored rows, set-based; the tallies of
    `dropped` (deleted teams) go."""
    tally = CoverageTally.__table__
    if scopes is None:
        session.execute(delete(tally), execution_options=NOTED)
    else:
        scopes = sorted(set(scopes) - set(dropped))
        gone = tally.c.scope_id.in_([*scopes, *sorted(dropped)])
        session.execute(delete(tally).where(gone), execution_options=NOTED)
        if not scopes:
            return
    counts = _stored_rows().cte("counts")
    key = (counts.c.column_id, counts.c.job_role, counts.c.status, counts.c.statuses)
    teams = Team.__table__
    parent = teams.alias("parent")
    ancestry = select(teams.c.id.label("team_id"), teams.c.id.label("ancestor_id")).cte("ancestry", recursive=True)
    ancestry = ancestry.union_all(
        select(ancestry.c.team_id, parent.c.parent_id)
        .join(parent, parent.c.id == ancestry.c.ancestor_id)
        .where(parent.c.parent_id.is_not(None))
    )
    of_teams = (
        select(ancestry.c.ancestor_id, *key, func.sum(counts.c.n))
        .join_from(counts, ancestry, ancestry.c.team_id == counts.c.team_id)
        .group_by(ancestry.c.ancestor_id, *key)
    )
    parts = [of_teams if scopes is None else of_teams.where(ancestry.c.ancestor_id.in_(scopes))]
    if scopes is None or ORGANISATION in scopes:
        parts.append(select(literal(ORGANISATION, Integer), *key, func.sum(counts.c.n)).group_by(*key))
    columns = ["scope_id", "column_id", "job_role", "status", "statuses", "people"]
    session.execute(tally.insert().from_select(columns, union_all(*parts)), execution_options=NOTED)


def recompute(
    session: Session, user_ids: Sequence[int], now: datetime, ancestry: dict[int, list[int]] | None = None
) -> None:
    """Replace the rows of these people and move the counts by the difference (ancestry: `team_ancestry()`)."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    ancestry = team_ancestry() if ancestry is None else ancestry
    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        changes = _by_scope(session.execute(_stored_rows(CoveragePerson.user_id.in_(batch))), ancestry, -1)
        people_rows, cell_rows = compute(session, batch, now)
        changes.update(_fresh_counts(people_rows, cell_rows, ancestry))
        session.execute(delete(CoverageCell).where(CoverageCell.user_id.in_(batch)), execution_options=NOTED)
        session.execute(delete(CoveragePerson).where(CoveragePerson.user_id.in_(batch)), execution_options=NOTED)
        _write(session, people_rows, cell_rows)
        status_table.add_counts(session, CoverageTally, changes)


def rebuild(session: Session | None = None, now: datetime | None = None) -> int:
    """Recompute everybody's rows; returns the number of people with a cell."""
    session = session or db.session
    now = now or utcnow()
    for model in (CoverageCell, CoveragePerson):
        session.execute(delete(model), execution_options=NOTED)
    people_rows, cell_rows = compute(session, None, now)
    _write(session, people_rows, cell_rows)
    recount(session)
    if len(people_rows) > 1000:  # fresh statistics, so the planner drives the page's filters from the right side
        for table in ("coverage_people", "coverage_cells", "coverage_tallies"):
            session.execute(text(f"ANALYZE {table}"))
    return len(people_rows)


def differences(session: Session | None = None, now: datetime | None = None, limit: int = 20) -> list[str]:
    """Where the stored rows differ from a fresh computation (empty: consistent). Call after the matrix's `sync`."""
    session = session or db.session
    now = now or utcnow()
    people_rows, cell_rows = compute(session, None, now)
    found: list[str] = []
    fields = ("team_id", "job_role", "name_key", "status", "statuses")
    stored_people = {
        row.user_id: tuple(getattr(row, f) for f in fields) for row in session.execute(select(CoveragePerson.__table__))
    }
    fresh_people = {row["user_id"]: tuple(row[f] for f in fields) for row in people_rows}
    for key in sorted(stored_people.keys() | fresh_people.keys()):
        if stored_people.get(key) != fresh_people.get(key):
            found.append(f"coverage of person {key}: stored {stored_people.get(key)}, expected {fresh_people.get(key)}")
    stored_cells = {
        (r.user_id, r.column_id): (r.status, r.missing, r.expiring)
        for r in session.execute(select(CoverageCell.__table__))
    }
    fresh_cells = {(c["user_id"], c["column_id"]): (c["status"], c["missing"], c["expiring"]) for c in cell_rows}
    for key in sorted(stored_cells.keys() | fresh_cells.keys()):
        if stored_cells.get(key) != fresh_cells.get(key):
            found.append(f"coverage cell {key}: stored {stored_cells.get(key)}, expected {fresh_cells.get(key)}")
    expected = +_fresh_counts(people_rows, cell_rows, team_ancestry())
    tallies = CoverageTally.__table__.c
    stored = {tuple(row[:5]): row[5] for row in session.execute(select(*tallies)) if row[5]}
    for key in sorted(stored.keys() | expected.keys()):
        if stored.get(key, 0) != expected.get(key, 0):
            found.append(f"coverage count {key}: stored {stored.get(key, 0)}, expected {expected.get(key, 0)}")
    return found[:limit]
