"""The coverage kept up to date: a status per person and AI system they use (and per job role), a summary per person.

Derived data, like the matrix tables, and kept in step by the same machinery (`reporting/status_table.py`):

- whenever the matrix recomputes people (their progress, certificates, assignments, team, job role, name or
  activity changed, or a certificate entered its renewal window), their coverage is recomputed with them, in the
  same transaction; a policy acknowledgement notes its person the same way;
- a change that every cell depends on (AI systems and who uses them, requirements, learning path contents, a new
  policy version, a team deleted) recomputes everybody's coverage, in batches: a rare admin action.

The coverage page then reads counts, one page of people in name order and their cells, whatever the size of the
organisation. `differences()` compares the stored rows with a fresh computation (`flask matrix-status check`, the
invariants check); `rebuild()` runs with the matrix's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, select, text
from sqlalchemy.orm import Session

from ...enums import SystemStatus
from ...extensions import db
from ...models import AISystem, CoverageCell, CoveragePerson, TrainingRequirement, User, utcnow
from ..organisation.assignments import Person
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
    facts = coverage._facts(in_scope, now, with_titles=False)
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


def recompute(session: Session, user_ids: Sequence[int], now: datetime) -> None:
    """Replace the rows of these people."""
    user_ids = sorted(set(user_ids))
    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        people_rows, cell_rows = compute(session, batch, now)
        session.execute(delete(CoverageCell).where(CoverageCell.user_id.in_(batch)), execution_options=NOTED)
        session.execute(delete(CoveragePerson).where(CoveragePerson.user_id.in_(batch)), execution_options=NOTED)
        _write(session, people_rows, cell_rows)


def rebuild(session: Session | None = None, now: datetime | None = None) -> int:
    """Recompute everybody's rows; returns the number of people with a cell."""
    session = session or db.session
    now = now or utcnow()
    for model in (CoverageCell, CoveragePerson):
        session.execute(delete(model), execution_options=NOTED)
    people_rows, cell_rows = compute(session, None, now)
    _write(session, people_rows, cell_rows)
    if len(people_rows) > 1000:  # fresh statistics, so the planner drives the page's filters from the right side
        session.execute(text("ANALYZE coverage_people"))
        session.execute(text("ANALYZE coverage_cells"))
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
    return found[:limit]
