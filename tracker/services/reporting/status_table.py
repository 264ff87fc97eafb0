"""The maintained matrix tables: each person's status per published course, a summary per person, counts per team.

The manager's matrix reads one page of people and a few counts from here, so its cost depends on the page, not on
the organisation. The tables follow the data they come from in the same transaction:

- every flush notes whose statuses may have changed (progress, completions, certificates, assignments, people);
  bulk statements are noted too (inserts by the `user_id` they carry; other bulk changes mark everything);
- `sync()` runs before each commit and before each read: it recomputes the noted people and the people whose
  statuses were due to change by now (a due date passed, a certificate entered its renewal window or expired).
  Each summary remembers when its statuses next change (`status_until`), so a read finds those in one indexed query;
- changes to the catalogue or the tree recompute only whom they reach: a course published or withdrawn, the people
  with something in it (everyone else's count of not-started courses moves by one, in one statement); a learning
  path changed, the people assigned it; a team moved or deleted, its people, and the counts of the teams it left
  and joined are counted afresh from the cells (set-based).

`rebuild()` recomputes everything from scratch (`flask matrix-status rebuild`), `differences()` compares the stored
rows with a fresh computation (`flask matrix-status check`, and the invariants check). The coverage of AI systems
(`programme/coverage_table.py`) follows the same notes and is rebuilt and checked with these tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Integer, and_, delete, event, func, literal, or_, select, text, union, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ...enums import CellStatus, CertificateStatus, PeopleCount
from ...extensions import db
from ...models import (
    AISystem,
    AISystemJobRole,
    AISystemTeam,
    Assignment,
    Certificate,
    Completion,
    Course,
    CourseProgress,
    CoveragePerson,
    LearningPathCourse,
    MatrixCell,
    MatrixPerson,
    MatrixTally,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    Team,
    TrainingRequirement,
    User,
    utcnow,
)
from ...models.matrix import ORGANISATION, PEOPLE
from ..certification.status import EXPIRING_WINDOW, expiry_status, is_pending
from ..organisation.assignments import Person, due_items, team_ancestry
from ..queries import is_current_revision, published_courses
from . import status_build

BATCH = 10_000  # people recomputed per batch (bounded IN lists; a whole organisation in a few batches)
PENDING = "matrix_status_pending"
COUNTED_PERSON_FIELDS = ("team_id", "job_role", "active", "display_name", "team_joined_at", "created_at")
STATUS_COLUMNS = {
    CellStatus.OVERDUE: "n_overdue",
    CellStatus.EXPIRED: "n_expired",
    CellStatus.EXPIRING: "n_expiring",
    CellStatus.IN_PROGRESS: "n_in_progress",
    CellStatus.NOT_STARTED: "n_not_started",
    CellStatus.COMPLETED: "n_completed",
}


def cell_status(
    percent: int, completed: bool, due_on: date | None, cert: tuple | None, today: date, now: datetime
) -> CellStatus:
    """cert: (revoked, expires_at) of the current certificate, or None."""
    revoked = cert is not None and cert[0]
    if cert is not None and not revoked:
        expiry = expiry_status(cert[1], now)
        if expiry is not None:
            return CellStatus(expiry.value)  # EXPIRED or EXPIRING: the certificate's own words
    if completed and not revoked:
        return CellStatus.COMPLETED
    if due_on is not None and due_on < today:
        return CellStatus.OVERDUE
    return CellStatus.IN_PROGRESS if percent > 0 else CellStatus.NOT_STARTED


def next_change(due_on: date | None, cert: tuple | None, now: datetime) -> datetime | None:
    """The first moment after `now` at which `cell_status` of these facts may give another answer (or None)."""
    moments = []
    if due_on is not None:
        moments.append(datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=UTC))  # overdue from then
    if cert is not None and not cert[0] and cert[1] is not None:
        moments += [cert[1] - EXPIRING_WINDOW, cert[1]]  # renewal window, then expiry
    later = [moment for moment in moments if moment > now]
    return min(later) if later else None


def counted(status: str, assigned: bool) -> bool:
    """Whether a cell counts in the totals: assigned, or something happened (unassigned and not started: no)."""
    return assigned or status != CellStatus.NOT_STARTED


# -- Noting what changed ---------------------------------------------------------------------------------------


@dataclass
class Pending:
    users: set[int] = field(default_factory=set)
    teams: set[int] = field(default_factory=set)  # assignments to these teams changed: everyone below them
    roles: set[str] = field(default_factory=set)
    new_users: bool = False  # people inserted in bulk: their ids are not known yet
    everything: bool = False
    courses: dict[int, bool] = field(default_factory=dict)  # course id -> published now (published or withdrawn)
    paths: set[int] = field(default_factory=set)  # learning paths whose courses changed
    moved: dict[int, int | None] = field(default_factory=dict)  # team id -> its parent before the move
    deleted_teams: dict[int, int | None] = field(default_factory=dict)  # team id -> its parent when deleted
    coverage: bool = False  # something every coverage cell depends on changed (systems, usage, requirements...)

    def __bool__(self) -> bool:
        return bool(
            self.users
            or self.teams
            or self.roles
            or self.new_users
            or self.everything
            or self.courses
            or self.paths
            or self.moved
            or self.deleted_teams
            or self.coverage
        )


def _pending(session: Session) -> Pending:
    return session.info.setdefault(PENDING, Pending())


def touch(user_ids: Iterable[int], session: Session | None = None) -> None:
    """Note people whose statuses changed through a statement the flush does not see (a bulk UPDATE)."""
    _pending(session or db.session).users.update(user_ids)


def _changed(obj, names: Sequence[str]) -> bool:
    from sqlalchemy import inspect

    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_value(obj, name: str):
    from sqlalchemy import inspect

    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else None


def _note_assignment(pending: Pending, assignment: Assignment, *, old: bool) -> None:
    values = {name: _old_value(assignment, name) if old else getattr(assignment, name) for name in TARGETS}
    if values["user_id"] is not None:
        pending.users.add(values["user_id"])
    if values["team_id"] is not None:
        pending.teams.add(values["team_id"])
    if values["job_role"]:
        pending.roles.add(values["job_role"])


TARGETS = ("user_id", "team_id", "job_role")


def _after_flush(session: Session, _context) -> None:
    pending = None
    for objects, kind in ((session.new, "new"), (session.dirty, "dirty"), (session.deleted, "deleted")):
        for obj in objects:
            if isinstance(obj, CourseProgress | Completion | Certificate | PolicyAcknowledgement):
                pending = pending or _pending(session)
                pending.users.add(obj.user_id)
            elif isinstance(obj, User):
                if kind != "dirty" or _changed(obj, COUNTED_PERSON_FIELDS):
                    pending = pending or _pending(session)
                    pending.users.add(obj.id)
            elif isinstance(obj, Assignment):
                pending = pending or _pending(session)
                _note_assignment(pending, obj, old=False)
                if kind == "dirty":
                    _note_assignment(pending, obj, old=True)
            elif isinstance(obj, Team):
                if kind == "deleted":
                    _pending(session).deleted_teams[obj.id] = _old_value(obj, "parent_id") or obj.parent_id
                    _pending(session).coverage = True  # the systems of the teams below it may change
                elif kind == "dirty" and _changed(obj, ("parent_id",)):
                    _pending(session).moved.setdefault(obj.id, _old_value(obj, "parent_id"))
            elif isinstance(obj, Course):
                if kind == "new" and obj.published:
                    _pending(session).courses[obj.id] = True
                elif kind == "deleted":
                    _pending(session).courses[obj.id] = False
                elif kind == "dirty" and _changed(obj, ("published",)):
                    _note_course(_pending(session), obj.id, bool(obj.published))
            elif isinstance(obj, LearningPathCourse):
                pending = pending or _pending(session)
                pending.paths.add(obj.path_id)
                pending.coverage = True
                if kind == "dirty":
                    old_path = _old_value(obj, "path_id")
                    if old_path is not None:
                        pending.paths.add(old_path)
            elif _changes_every_coverage_cell(obj, kind):
                _pending(session).coverage = True


COVERAGE_WIDE = {"ai_systems", "ai_system_teams", "ai_system_job_roles", "training_requirements", "policy_versions"}


def _changes_every_coverage_cell(obj, kind: str) -> bool:
    """Who uses which system, what it requires, a policy's current version: every coverage cell may change."""
    if isinstance(obj, AISystemTeam | AISystemJobRole | TrainingRequirement | PolicyVersion):
        return True
    if isinstance(obj, AISystem):
        return kind != "dirty" or _changed(obj, ("status",))
    return isinstance(obj, Policy) and kind == "deleted"


def _note_course(pending: Pending, course_id: int, published: bool) -> None:
    """A course published then withdrawn again in one transaction changes nothing."""
    if pending.courses.get(course_id) is (not published):
        del pending.courses[course_id]
    else:
        pending.courses[course_id] = published


_TRACKED = {
    "course_progress",
    "completions",
    "certificates",
    "users",
    "assignments",
    "teams",
    "courses",
    "learning_path_courses",
    "policy_acknowledgements",
}


def _do_orm_execute(state) -> None:
    """Bulk statements run through the session (they do not flush objects): note whom they reach."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if state.execution_options.get("matrix_status_noted"):
        return
    if name in COVERAGE_WIDE or (name == "policies" and state.is_delete):
        _pending(state.session).coverage = True
        return
    if name not in _TRACKED:
        return
    pending = _pending(state.session)
    if state.is_update and _only_locks(state.statement):
        return
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
        if name == "users":
            pending.new_users = True
            return
        if rows and all("user_id" in row for row in rows) and name != "assignments":
            pending.users.update(row["user_id"] for row in rows)
            return
        if rows and name == "assignments":
            for row in rows:
                if row.get("user_id") is not None:
                    pending.users.add(row["user_id"])
                if row.get("team_id") is not None:
                    pending.teams.add(row["team_id"])
                if row.get("job_role"):
                    pending.roles.add(row["job_role"])
            return
    pending.everything = True


def _only_locks(statement) -> bool:
    """A no-op UPDATE that only takes a row lock (`SET id = id`)."""
    values = getattr(statement, "_values", None) or {}
    return bool(values) and all(getattr(key, "key", key) == "id" for key in values)


def _before_commit(session: Session) -> None:
    # SQLAlchemy calls this before commit's own flush: flush first, so what this commit writes is noted and the
    # tables follow it in the same transaction (not only at the next read, which may come from another session).
    # A savepoint's release calls it too: the transaction's own commit follows, and syncs once for everything
    # (recording a lesson read released two savepoints and recomputed the person's rows three times).
    if session.in_nested_transaction():
        return
    if (session.new or session.dirty or session.deleted) and _bound_to_app_database(session):
        session.flush()
    if session.info.get(PENDING) and _bound_to_app_database(session):
        sync(session=session)


def _after_rollback(session: Session) -> None:
    # A savepoint rolled back (an insert that lost a race) leaves the transaction's earlier changes to commit:
    # their notes are kept (those made inside the savepoint too; recomputing a person whose rows did not change
    # costs a little and changes nothing). Only the whole transaction's rollback drops them.
    if not session.in_nested_transaction():
        session.info.pop(PENDING, None)


def _bound_to_app_database(session: Session) -> bool:
    try:
        return session.get_bind(MatrixPerson) is not None
    except Exception:  # noqa: BLE001  (a session of another database: nothing of ours to keep)
        return False


def register() -> None:
    """Listen to every session (the request's, the job consumers' and the CLI's)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)


# -- Computing -----------------------------------------------------------------------------------------------


@dataclass
class Computed:
    people: list[dict]
    cells: list[dict]


def _published_ids(session: Session) -> list[int]:
    return list(session.scalars(published_courses(Course.id).order_by(Course.id)))


def compute(session: Session, user_ids: Sequence[int] | None, course_ids: list[int], now: datetime) -> Computed:
    """Fresh rows for these people (None: everybody), in a fixed number of queries."""
    today = now.date()
    people_query = select(User.id, User.display_name, User.team_id, User.job_role, User.active)
    progress_query = select(
        CourseProgress.user_id,
        CourseProgress.course_id,
        CourseProgress.percent,
        CourseProgress.completed_at.is_not(None),
    ).where(CourseProgress.course_id.in_(course_ids))
    cert_query = (
        select(Certificate.user_id, Certificate.course_id, Certificate.revoked_at.is_not(None), Certificate.expires_at)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(Certificate.course_id.in_(course_ids), is_current_revision())
        .order_by(Completion.cycle)
    )
    if user_ids is not None:
        people_query = people_query.where(User.id.in_(user_ids))
        progress_query = progress_query.where(CourseProgress.user_id.in_(user_ids))
        cert_query = cert_query.where(Certificate.user_id.in_(user_ids))
    everyone = session.execute(people_query).all()
    people = [row for row in everyone if row.active]
    inactive = [row for row in everyone if not row.active]
    percent_done = {(u, c): (p, done) for u, c, p, done in session.execute(progress_query)}
    certs: dict[tuple[int, int], tuple[bool, datetime | None]] = {}
    for user_id, course_id, revoked, expires_at in session.execute(cert_query):
        certs[(user_id, course_id)] = (revoked, expires_at)  # the latest cycle wins
    due = due_items(Person(p.id, p.team_id, p.job_role) for p in people) if people else {}
    completed_courses, renewals = _evidence_inputs(session, user_ids)
    published = set(course_ids)
    people_rows, cell_rows = [], []
    for person in people:
        mine = {cid: item.due_on for cid, item in due.get(person.id, {}).items() if cid in published}
        evidence_overdue, evidence_until = evidence_due(completed_courses[person.id], renewals[person.id], mine, now)
        counts: Counter = Counter()
        assigned = done = 0
        until = None
        for course_id in course_ids:
            key = (person.id, course_id)
            progress_here, cert, due_on = percent_done.get(key), certs.get(key), mine.get(course_id)
            if progress_here is None and cert is None and due_on is None:
                counts[CellStatus.NOT_STARTED] += 1
                continue
            percent, completed = progress_here or (0, False)
            status = cell_status(percent, completed, due_on, cert, today, now)
            change = next_change(due_on, cert, now)
            if change is not None and (until is None or change < until):
                until = change
            counts[status] += 1
            is_assigned = due_on is not None
            if is_assigned:
                assigned += 1
                done += status.counts_as_done
            cell_rows.append(
                {
                    "user_id": person.id,
                    "course_id": course_id,
                    "status": status.value,
                    "assigned": is_assigned,
                    "due_on": due_on,
                }
            )
        people_rows.append(
            {
                "user_id": person.id,
                "team_id": person.team_id,
                "active": True,
                "name_key": person.display_name.lower()[:200],
                "assigned": assigned,
                "done": done,
                "completion": 100 * done // assigned if assigned else 100,
                **{column: counts[status] for status, column in STATUS_COLUMNS.items()},
                "has_completion": bool(completed_courses[person.id]),
                "evidence_overdue": evidence_overdue,
                "computed_at": now,
                "status_until": min(filter(None, (until, evidence_until)), default=None),
            }
        )
    for person in inactive:
        people_rows.append(
            {
                "user_id": person.id,
                "team_id": person.team_id,
                "active": False,
                "name_key": person.display_name.lower()[:200],
                "assigned": 0,
                "done": 0,
                "completion": 100,
                **dict.fromkeys(STATUS_COLUMNS.values(), 0),
                "has_completion": False,
                "evidence_overdue": False,
                "computed_at": now,
                "status_until": None,
            }
        )
    return Computed(people_rows, cell_rows)


def _evidence_inputs(
    session: Session, user_ids: Sequence[int] | None
) -> tuple[defaultdict[int, set[int]], defaultdict[int, list[datetime | None]]]:
    """For the evidence report's facts (one query, every course, published or not): the courses each person
    completed in any cycle, and the expiry of the current issued, unrevoked certificate of the latest completion
    of each course (a completion without one, or with a pending or revoked one, has no renewal due)."""
    query = (
        select(
            Completion.user_id,
            Completion.course_id,
            Certificate.id.is_not(None) & ~is_pending() & Certificate.revoked_at.is_(None),
            Certificate.expires_at,
        )
        .outerjoin(Certificate, and_(Certificate.completion_id == Completion.id, is_current_revision()))
        .order_by(Completion.cycle, Certificate.revision)  # the latest cycle (and revision) wins, as in the report
    )
    if user_ids is not None:
        query = query.where(Completion.user_id.in_(user_ids))
    completed: defaultdict[int, set[int]] = defaultdict(set)
    latest: dict[tuple[int, int], datetime | None] = {}
    for user_id, course_id, renewable, expires_at in session.execute(query):
        completed[user_id].add(course_id)
        latest[(user_id, course_id)] = expires_at if renewable else None
    renewals: defaultdict[int, list[datetime | None]] = defaultdict(list)
    for (user_id, _course_id), expires_at in latest.items():
        renewals[user_id].append(expires_at)
    return completed, renewals


def evidence_due(
    completed: set[int], renewals: list[datetime | None], due: dict[int, date], now: datetime
) -> tuple[bool, datetime | None]:
    """Whether the evidence report lists an overdue item for a person (`reporting.evidence._records`, the
    reference): an assigned published course (`due`) never completed in any cycle and past its date, or an expired
    renewal (`renewals`: see `_evidence_inputs`). With the first moment after `now` at which that may change by
    itself: a renewal expiring (a due date passing is already among the cells' moments)."""
    today = now.date()
    overdue = any(course_id not in completed and due_on < today for course_id, due_on in due.items())
    overdue = overdue or any(expiry_status(at, now) == CertificateStatus.EXPIRED for at in renewals if at)
    later = [at for at in renewals if at is not None and at > now]
    return overdue, min(later, default=None)


def tally_keys(team_id: int | None, ancestry: dict[int, list[int]]) -> list[int]:
    """The scopes a person of this team counts in: the team, every team above it (`team_ancestry()`), and the
    organisation."""
    if team_id is None:
        return [ORGANISATION]
    return [*ancestry.get(team_id, [team_id]), ORGANISATION]


PEOPLE_COUNTED = (MatrixPerson.team_id, MatrixPerson.active, MatrixPerson.has_completion, MatrixPerson.evidence_overdue)


def people_count_conditions() -> dict[PeopleCount, ColumnElement[bool]]:
    """The summaries each `PeopleCount` counts, in SQL (`PeopleCount.of` in Python)."""
    people = MatrixPerson.__table__.c
    active = people.active.is_(True)
    return {
        PeopleCount.ACTIVE: active,
        PeopleCount.INACTIVE: ~active,
        PeopleCount.WITH_COMPLETION: active & people.has_completion.is_(True),
        PeopleCount.WITH_OVERDUE: active & people.evidence_overdue.is_(True),
    }


def _people_counts(row: dict) -> list[PeopleCount]:
    return PeopleCount.of(row["active"], row["has_completion"], row["evidence_overdue"])


def _people_keys(team_id: int | None, counts: list[PeopleCount], ancestry: dict[int, list[int]]) -> list[tuple]:
    """The tally keys a person's summary adds one to: each of their `PeopleCount`s in each team up the tree."""
    return [(scope_id, PEOPLE, count.value, False) for count in counts for scope_id in tally_keys(team_id, ancestry)]


def _add_tallies(session: Session, changes: Counter) -> None:
    add_counts(session, MatrixTally, changes)


def add_counts(session: Session, model, changes: Counter) -> None:
    """Add signed counts to a table of tallies (MatrixTally, CoverageTally): `changes` maps its primary key, in
    the order of its columns, to the number its `people` moves by (insert or add, in one statement)."""
    keys = [column.name for column in model.__table__.primary_key.columns]
    rows = [{**dict(zip(keys, key, strict=True)), "people": n} for key, n in changes.items() if n]
    if not rows:
        return
    dialect = session.get_bind(model).dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(model)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={"people": model.people + statement.excluded.people}
    )
    session.execute(statement, rows, execution_options={"matrix_status_noted": True})


FEW = 500  # people whose recompute reads their teams' branches of the tree; more read the whole tree at once


def _teams_of(session: Session, user_ids: Sequence[int]) -> list[int]:
    """The teams these people are in and were counted in (their stored summaries): the scopes a recompute moves."""
    rows = session.execute(
        union(
            select(User.team_id).where(User.id.in_(user_ids)),
            select(MatrixPerson.team_id).where(MatrixPerson.user_id.in_(user_ids)),
            select(CoveragePerson.team_id).where(CoveragePerson.user_id.in_(user_ids)),
        )
    )
    return [team_id for (team_id,) in rows if team_id is not None]


def recompute(session: Session, user_ids: Sequence[int], now: datetime, *, coverage: bool = True) -> None:
    """Replace the rows of these people and move the team counts by the difference; their coverage too (unless
    everybody's follows)."""
    from ..programme import coverage_table  # the programme services import the reporting ones

    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    ancestry = team_ancestry(_teams_of(session, user_ids) if len(user_ids) <= FEW else None)
    if coverage:
        coverage_table.recompute(session, user_ids, now, ancestry)
    course_ids = _published_ids(session)
    noted = {"matrix_status_noted": True}
    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        changes: Counter = Counter()
        for team_id, course_id, status, assigned, n in session.execute(
            select(MatrixPerson.team_id, MatrixCell.course_id, MatrixCell.status, MatrixCell.assigned, func.count())
            .join(MatrixPerson, MatrixPerson.user_id == MatrixCell.user_id)
            .where(MatrixCell.user_id.in_(batch))
            .group_by(MatrixPerson.team_id, MatrixCell.course_id, MatrixCell.status, MatrixCell.assigned)
        ):
            if counted(status, assigned):
                for scope_id in tally_keys(team_id, ancestry):
                    changes[(scope_id, course_id, status, bool(assigned))] -= n
        for team_id, active, has_completion, overdue, n in session.execute(
            select(*PEOPLE_COUNTED, func.count()).where(MatrixPerson.user_id.in_(batch)).group_by(*PEOPLE_COUNTED)
        ):
            for key in _people_keys(team_id, PeopleCount.of(active, has_completion, overdue), ancestry):
                changes[key] -= n
        fresh = compute(session, batch, course_ids, now)
        teams_of = {row["user_id"]: row["team_id"] for row in fresh.people}
        for cell in fresh.cells:
            if counted(cell["status"], cell["assigned"]):
                for scope_id in tally_keys(teams_of[cell["user_id"]], ancestry):
                    changes[(scope_id, cell["course_id"], cell["status"], cell["assigned"])] += 1
        for row in fresh.people:
            for key in _people_keys(row["team_id"], _people_counts(row), ancestry):
                changes[key] += 1
        session.execute(delete(MatrixCell).where(MatrixCell.user_id.in_(batch)), execution_options=noted)
        session.execute(delete(MatrixPerson).where(MatrixPerson.user_id.in_(batch)), execution_options=noted)
        if fresh.people:
            session.execute(MatrixPerson.__table__.insert(), fresh.people, execution_options=noted)
        if fresh.cells:
            session.execute(MatrixCell.__table__.insert(), fresh.cells, execution_options=noted)
        _add_tallies(session, changes)


def rebuild(session: Session | None = None, now: datetime | None = None) -> int:
    """Recompute every row from scratch, in a few set-based statements (`status_build`), and the coverage;
    returns the number of people."""
    from ..programme import coverage_table

    session = session or db.session
    now = now or utcnow()
    noted = {"matrix_status_noted": True}
    for model in (MatrixCell, MatrixPerson, MatrixTally):
        session.execute(delete(model), execution_options=noted)
    status_build.build(session, now, len(_published_ids(session)))
    coverage_table.rebuild(session, now)
    people = session.scalar(select(func.count()).select_from(MatrixPerson)) or 0
    if people > 1000:  # fresh statistics, so the planner drives filtered counts from the people
        session.execute(text("ANALYZE matrix_people"))
        session.execute(text("ANALYZE matrix_cells"))
    session.info.pop(PENDING, None)
    return people


def _users_reached(session: Session, pending: Pending) -> set[int]:
    ids = set(pending.users)
    if pending.teams:
        below = set(pending.teams)
        parents = dict(session.execute(select(Team.id, Team.parent_id)).all())
        changed = True
        while changed:
            extra = {team for team, parent in parents.items() if parent in below and team not in below}
            below |= extra
            changed = bool(extra)
        ids.update(session.scalars(select(User.id).where(User.team_id.in_(below))))
    if pending.roles:
        ids.update(session.scalars(select(User.id).where(User.job_role.in_(pending.roles))))
    if pending.new_users:
        ids.update(
            session.scalars(
                select(User.id).where(~select(MatrixPerson.user_id).where(MatrixPerson.user_id == User.id).exists())
            )
        )
    return ids


def sync(now: datetime | None = None, session: Session | None = None) -> int:
    """Bring the tables up to date for `now`: the people noted since the last sync, and those whose statuses were
    due to change (or were computed for a later moment). One query when nothing changed. Returns the number of
    people recomputed (also kept in `session.info[RECOMPUTED]`)."""
    session = session or db.session
    now = now or utcnow()
    session.flush()
    pending = session.info.pop(PENDING, None)
    if pending and pending.everything:
        count = rebuild(session, now)
        session.info[RECOMPUTED] = count
        return count
    recount: set[int] = set()
    dropped: set[int] = set()
    if pending:
        recount, dropped = _widen(session, pending)
    ids = _users_reached(session, pending) if pending else set()
    ids.update(
        session.scalars(
            select(MatrixPerson.user_id).where((MatrixPerson.status_until <= now) | (MatrixPerson.computed_at > now))
        )
    )
    if pending and (pending.courses or pending.paths or pending.moved) and _most_of_everyone(session, len(ids)):
        count = rebuild(session, now)  # a change that reaches most people: the set-based build is faster
        session.info[RECOMPUTED] = count
        return count
    everybodys_coverage = bool(pending and pending.coverage)
    recompute(session, sorted(ids), now, coverage=not everybodys_coverage)
    if everybodys_coverage:
        from ..programme import coverage_table

        coverage_table.rebuild(session, now)
    if recount or dropped:
        _recount_tallies(session, recount - dropped, dropped)
    session.info.pop(PENDING, None)  # what the recomputation itself flushed is already counted
    session.info[RECOMPUTED] = len(ids)
    return len(ids)


RECOMPUTED = "matrix_status_recomputed"
TALLY_COLUMNS = ["scope_id", "course_id", "status", "assigned", "people"]
NOTED = {"matrix_status_noted": True}


SET_BASED_FROM = 5_000  # people reached by one change from which the set-based build is the faster way


def _most_of_everyone(session: Session, reached: int) -> bool:
    if reached < SET_BASED_FROM:
        return False
    return 2 * reached > (session.scalar(select(func.count()).select_from(MatrixPerson)) or 0)


def _widen(session: Session, pending: Pending) -> tuple[set[int], set[int]]:
    """Turn changes to the catalogue and the team tree into the people they reach (added to `pending`).
    Returns the teams whose counts are to be counted afresh, and the deleted teams whose counts go."""
    if pending.courses:
        _recount_not_started(session)
        changed = sorted(pending.courses)
        pending.users.update(session.scalars(select(MatrixCell.user_id).where(MatrixCell.course_id.in_(changed))))
        published = sorted(course for course, now_published in pending.courses.items() if now_published)
        if published:
            for model in (CourseProgress, Certificate):
                pending.users.update(session.scalars(select(model.user_id).where(model.course_id.in_(published))))
            paths = list(
                session.scalars(select(LearningPathCourse.path_id).where(LearningPathCourse.course_id.in_(published)))
            )
            _note_targets(session, pending, or_(Assignment.course_id.in_(published), Assignment.path_id.in_(paths)))
    if pending.paths:
        _note_targets(session, pending, Assignment.path_id.in_(sorted(pending.paths)))
    recount: set[int] = set()
    if pending.moved or pending.deleted_teams:
        ancestry = team_ancestry()
        for team_id, old_parent in pending.moved.items():
            old_chain = set(ancestry.get(old_parent, [old_parent])) if old_parent is not None else set()
            new_chain = set(ancestry.get(team_id, [team_id])) - {team_id}
            recount |= old_chain ^ new_chain  # the ancestors it left and joined; those it kept follow the deltas
            pending.teams.add(team_id)
        for team_id, old_parent in pending.deleted_teams.items():
            if old_parent is not None:
                recount |= set(ancestry.get(old_parent, [old_parent]))
            pending.users.update(session.scalars(select(MatrixPerson.user_id).where(MatrixPerson.team_id == team_id)))
    return recount, set(pending.deleted_teams)


def _note_targets(session: Session, pending: Pending, condition) -> None:
    """Note whom the assignments matching `condition` reach: people, teams (with those below) and job roles."""
    for user_id, team_id, job_role in session.execute(
        select(Assignment.user_id, Assignment.team_id, Assignment.job_role).where(condition).distinct()
    ):
        if user_id is not None:
            pending.users.add(user_id)
        if team_id is not None:
            pending.teams.add(team_id)
        if job_role:
            pending.roles.add(job_role)


def _recount_not_started(session: Session) -> None:
    """Everyone's count of not-started courses after the published courses changed, in one statement: a course
    with no cell is not started, so it is the published courses less the cells with another status."""
    people, cells = MatrixPerson.__table__, MatrixCell.__table__
    published = len(_published_ids(session))
    started = (
        select(func.count())
        .select_from(cells)
        .where(cells.c.user_id == people.c.user_id, cells.c.status != CellStatus.NOT_STARTED.value)
        .scalar_subquery()
    )
    session.execute(
        update(people).where(people.c.active.is_(True)).values(n_not_started=published - started),
        execution_options=NOTED,
    )


def _recount_tallies(session: Session, scopes: set[int], dropped: set[int]) -> None:
    """Count the tallies of these teams afresh from the cells of the people below them (set-based); the coverage's
    too."""
    from ..programme import coverage_table

    coverage_table.recount(session, scopes, dropped)
    noted = NOTED
    if dropped:
        session.execute(delete(MatrixTally).where(MatrixTally.scope_id.in_(sorted(dropped))), execution_options=noted)
    if not scopes:
        return
    children: dict[int, list[int]] = defaultdict(list)
    for team, parent in session.execute(select(Team.id, Team.parent_id)):
        if parent is not None:
            children[parent].append(team)
    cells, people = MatrixCell.__table__, MatrixPerson.__table__
    for scope in sorted(scopes):
        below, stack = set(), [scope]
        while stack:
            team = stack.pop()
            if team not in below:
                below.add(team)
                stack.extend(children.get(team, ()))
        session.execute(delete(MatrixTally).where(MatrixTally.scope_id == scope), execution_options=noted)
        counts = (
            select(literal(scope, Integer), cells.c.course_id, cells.c.status, cells.c.assigned, func.count())
            .join(people, people.c.user_id == cells.c.user_id)
            .where(
                people.c.team_id.in_(sorted(below)),
                or_(cells.c.assigned.is_(True), cells.c.status != CellStatus.NOT_STARTED.value),
            )
            .group_by(cells.c.course_id, cells.c.status, cells.c.assigned)
        )
        session.execute(
            MatrixTally.__table__.insert().from_select(
                ["scope_id", "course_id", "status", "assigned", "people"], counts
            ),
            execution_options=noted,
        )
        people_counts = union_all(
            *(
                select(
                    literal(scope, Integer),
                    literal(PEOPLE, Integer),
                    literal(count.value),
                    literal(False),
                    func.count(),
                ).where(people.c.team_id.in_(sorted(below)), condition)
                for count, condition in people_count_conditions().items()
            )
        )
        session.execute(
            MatrixTally.__table__.insert().from_select(
                ["scope_id", "course_id", "status", "assigned", "people"], people_counts
            ),
            execution_options=noted,
        )


def differences(session: Session | None = None, now: datetime | None = None, limit: int = 20) -> list[str]:
    """Where the stored rows differ from a fresh computation (empty: consistent)."""
    session = session or db.session
    now = now or utcnow()
    sync(now, session)
    course_ids = _published_ids(session)
    fresh = compute(session, None, course_ids, now)
    found: list[str] = []
    stored_people = {row.user_id: row for row in session.execute(select(MatrixPerson.__table__))}
    fields = (
        "team_id",
        "active",
        "name_key",
        "assigned",
        "done",
        "completion",
        *STATUS_COLUMNS.values(),
        "has_completion",
        "evidence_overdue",
    )
    seen = set()
    for row in fresh.people:
        seen.add(row["user_id"])
        stored = stored_people.get(row["user_id"])
        if stored is None:
            found.append(f"person {row['user_id']}: no summary row")
        elif any(getattr(stored, name) != row[name] for name in fields):
            found.append(f"person {row['user_id']}: summary differs")
    found += [f"person {uid}: row of a person who does not exist" for uid in stored_people.keys() - seen]
    stored_cells = {
        (r.user_id, r.course_id): (r.status, bool(r.assigned), r.due_on)
        for r in session.execute(select(MatrixCell.__table__).where(MatrixCell.course_id.in_(course_ids)))
    }
    fresh_cells = {(c["user_id"], c["course_id"]): (c["status"], c["assigned"], c["due_on"]) for c in fresh.cells}
    for key in stored_cells.keys() | fresh_cells.keys():
        if stored_cells.get(key) != fresh_cells.get(key):
            found.append(f"cell {key}: stored {stored_cells.get(key)}, expected {fresh_cells.get(key)}")
    ancestry = team_ancestry()
    teams_of = {row["user_id"]: row["team_id"] for row in fresh.people}
    expected: Counter = Counter()
    for cell in fresh.cells:
        if counted(cell["status"], cell["assigned"]):
            for scope_id in tally_keys(teams_of[cell["user_id"]], ancestry):
                expected[(scope_id, cell["course_id"], cell["status"], cell["assigned"])] += 1
    for row in fresh.people:
        for key in _people_keys(row["team_id"], _people_counts(row), ancestry):
            expected[key] += 1
    stored_tallies = {
        (r.scope_id, r.course_id, r.status, bool(r.assigned)): r.people
        for r in session.execute(select(MatrixTally.__table__).where(MatrixTally.course_id.in_([PEOPLE, *course_ids])))
        if r.people
    }
    for key in stored_tallies.keys() | expected.keys():
        if stored_tallies.get(key, 0) != expected.get(key, 0):
            found.append(f"count {key}: stored {stored_tallies.get(key, 0)}, expected {expected.get(key, 0)}")
    from ..programme import coverage_table

    found += coverage_table.differences(session, now, limit)
    return found[:limit]


# -- Reading -------------------------------------------------------------------------------------------------


def tally_scopes(scope: set[int] | None, team_id: int | None) -> list[int] | None:
    """The tally rows that add up to exactly the people of a matrix (a team filter within a viewer's scope), or
    None when no set of subtrees covers them exactly (then the counts are computed from the cells)."""
    if team_id is not None:
        return [team_id]
    if scope is None:
        return [ORGANISATION]
    parents = dict(db.session.execute(select(Team.id, Team.parent_id)).all())
    roots = sorted(t for t in scope if parents.get(t) not in scope)
    children: dict[int, list[int]] = defaultdict(list)
    for team, parent in parents.items():
        if parent is not None:
            children[parent].append(team)
    covered, stack = set(), list(roots)
    while stack:
        team = stack.pop()
        if team not in covered:
            covered.add(team)
            stack.extend(children.get(team, ()))
    return roots if covered == set(scope) else None
