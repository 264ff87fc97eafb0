"""Coverage: AI systems x the people who use them, with a status per cell, counts per system and per job role.

A cell says whether a person meets every requirement of a system they use: each required course (or every course
of a required path) completed with a current certificate, and the current version of each required policy
acknowledged. The page is read like the team matrix's, from maintained rows (`coverage_table`: each person's cells,
kept in step with the data): counts are aggregates over them and one page of people is detailed, in a fixed number
of queries whatever the size of the organisation. The downloads (CSV, evidence pack) compute every row afresh from
the same rules, in a fixed number of aggregate queries too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import exists, false, func, select

from ...enums import CellStatus, CoverageStatus, RiskClass
from ...extensions import db
from ...inputs import bounded_int, database_id
from ...models import (
    AISystem,
    Certificate,
    Completion,
    Course,
    CourseProgress,
    CoverageCell,
    CoveragePerson,
    CoverageTally,
    LearningPathCourse,
    Policy,
    PolicyAcknowledgement,
    Team,
    User,
    utcnow,
)
from ...models.matrix import PERSON
from ..organisation import teams
from ..organisation.assignments import Person
from ..paging import Page, clamp_page
from ..queries import is_current_revision
from ..reporting import status_table
from ..reporting.matrix import cell_status
from . import policies, privacy
from .requirements import RequirementRow, Usage, requirement_rows, systems_in_use, usage

PER_PAGE_CHOICES = (25, 50, 100)
ROLE_COLUMN = 0  # the key of the cell for requirements of the job role alone (no AI system)
URGENCY = (CoverageStatus.MISSING, CoverageStatus.EXPIRING, CoverageStatus.NO_REQUIREMENT, CoverageStatus.COVERED)
STATUS_BITS = {status: 1 << i for i, status in enumerate(URGENCY)}  # CoveragePerson.statuses: one bit each


@dataclass(frozen=True)
class Filters:
    system_id: int | None = None
    team_id: int | None = None  # a team and everything below it
    status: CoverageStatus | None = None
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> Filters:
        """Filters from a query string; unknown values (an id nobody can have, a word) mean no filter."""
        status = args.get("status") or None
        per_page = bounded_int(args.get("per_page"), 50)
        return cls(
            system_id=database_id(args.get("system")),
            team_id=database_id(args.get("team")),
            status=CoverageStatus(status) if status in CoverageStatus.__members__.values() else None,
            page=bounded_int(args.get("page"), 1),
            per_page=per_page if per_page in PER_PAGE_CHOICES else 50,
        )


@dataclass(frozen=True)
class Cell:
    status: CoverageStatus
    missing: tuple[str, ...] = ()  # what is missing: course and policy titles
    expiring: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.status.label


@dataclass
class Row:
    id: int
    name: str
    email: str
    team: str | None
    job_role: str | None
    cells: dict[int, Cell] = field(default_factory=dict)  # system id (or ROLE_COLUMN) -> cell

    @property
    def status(self) -> CoverageStatus:
        return worst(cell.status for cell in self.cells.values())


@dataclass
class Totals:
    """Counts of people by status: for one system, or for one job role (by each person's worst status)."""

    key: int | str
    label: str
    people: int = 0
    by_status: Counter = field(default_factory=Counter)

    @property
    def covered(self) -> int:
        return self.by_status[CoverageStatus.COVERED] + self.by_status[CoverageStatus.EXPIRING]

    @property
    def rate(self) -> int:
        return 100 * self.covered // self.people if self.people else 0


@dataclass(frozen=True)
class SystemColumn:
    id: int
    name: str
    risk_class: RiskClass


@dataclass
class Coverage:
    systems: list[SystemColumn]
    has_role_column: bool
    rows: list[Row]  # this page (empty in aggregate-only mode)
    total_people: int
    totals: dict[int, Totals]  # per system (and ROLE_COLUMN)
    roles: list[Totals]  # per job role
    status_counts: Counter
    filters: Filters
    generated_at: datetime
    aggregate_only: bool = False

    @property
    def page(self) -> Page[Row]:
        return Page(self.rows, self.total_people, self.filters.page, self.filters.per_page)


def worst(statuses) -> CoverageStatus:
    found = set(statuses)
    return next((s for s in URGENCY if s in found), CoverageStatus.NO_REQUIREMENT)


@dataclass(frozen=True)
class _Facts:
    """Everything the cells are decided from, read once."""

    use: Usage
    requirements: list[RequirementRow]
    path_courses: dict[int, list[int]]
    course_titles: dict[int, str]
    policy_titles: dict[int, str]
    course_state: dict[tuple[int, int], CellStatus]  # (user, course) -> matrix status (no due dates)
    acknowledged: set[tuple[int, int]]  # (user, policy) with the current version acknowledged
    by_system: dict[int, list[RequirementRow]] = field(default_factory=dict)  # system id -> its requirements
    by_role: dict[str, list[RequirementRow]] = field(default_factory=dict)  # job role -> requirements without system


def _facts(in_scope, now: datetime, *, with_titles: bool = True, team_ids: set[int] | None = None) -> _Facts:
    # `team_ids`: the teams of the people in scope when they are few (None: the whole tree is read).
    use = usage(team_ids=team_ids)
    requirements = requirement_rows()
    path_courses: dict[int, list[int]] = defaultdict(list)
    for path_id, course_id in db.session.execute(
        select(LearningPathCourse.path_id, LearningPathCourse.course_id).order_by(LearningPathCourse.position)
    ):
        path_courses[path_id].append(course_id)
    course_ids = {r.course_id for r in requirements if r.course_id}
    course_ids |= {c for r in requirements if r.path_id for c in path_courses.get(r.path_id, [])}
    course_titles: dict[int, str] = {}
    policy_titles: dict[int, str] = {}
    if with_titles:
        course_titles = dict(db.session.execute(select(Course.id, Course.title).where(Course.id.in_(course_ids))).all())
        policy_titles = dict(db.session.execute(select(Policy.id, Policy.title)).all())
    connection = db.session.connection()  # plain Core rows, as in the matrix
    # Only completed courses: a course begun counts as missing like one not started (the percent only tells
    # those apart), so half the rows of a large organisation need not be read.
    completed = connection.execute(
        select(CourseProgress.user_id, CourseProgress.course_id).where(
            CourseProgress.user_id.in_(in_scope),
            CourseProgress.course_id.in_(course_ids),
            CourseProgress.completed_at.is_not(None),
        )
    )
    progress = dict.fromkeys(((user_id, course_id) for user_id, course_id in completed), (100, True))
    certs: dict[tuple[int, int], tuple[bool, datetime | None]] = {}
    for user_id, course_id, revoked, expires_at in connection.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.revoked_at.is_not(None), Certificate.expires_at)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(Certificate.user_id.in_(in_scope), Certificate.course_id.in_(course_ids), is_current_revision())
        .order_by(Completion.cycle)
    ):
        certs[(user_id, course_id)] = (revoked, expires_at)  # the latest cycle wins
    today = now.date()
    course_state = {
        key: cell_status(*(progress.get(key) or (0, False)), None, certs.get(key), today, now)
        for key in set(progress) | set(certs)
    }
    current = policies.current_versions()
    acknowledged: set[tuple[int, int]] = set()
    if current:
        version_ids = [vid for vid, _n in current.values()]
        acknowledged = {
            (user_id, policy_id)
            for user_id, policy_id in connection.execute(
                select(PolicyAcknowledgement.user_id, PolicyAcknowledgement.policy_id).where(
                    PolicyAcknowledgement.version_id.in_(version_ids), PolicyAcknowledgement.user_id.in_(in_scope)
                )
            )
        }
    by_system: dict[int, list[RequirementRow]] = defaultdict(list)
    by_role: dict[str, list[RequirementRow]] = defaultdict(list)
    for requirement in requirements:
        if requirement.system_id is not None:
            by_system[requirement.system_id].append(requirement)
        else:
            by_role[requirement.job_role].append(requirement)
    return _Facts(
        use,
        requirements,
        dict(path_courses),
        course_titles,
        policy_titles,
        course_state,
        acknowledged,
        dict(by_system),
        dict(by_role),
    )


def _judge(person_id: int, requirements: list[RequirementRow], facts: _Facts) -> Judged:
    """The status of one cell, with what is missing and expiring as item keys ("course:5", "policy:2")."""
    if not requirements:
        return Judged(CoverageStatus.NO_REQUIREMENT)
    missing: list[str] = []
    expiring: list[str] = []
    for requirement in requirements:
        if requirement.policy_id is not None:
            if (person_id, requirement.policy_id) not in facts.acknowledged:
                missing.append(f"policy:{requirement.policy_id}")
            continue
        courses = [requirement.course_id] if requirement.course_id else facts.path_courses.get(requirement.path_id, [])
        for course_id in courses:
            state = facts.course_state.get((person_id, course_id), CellStatus.NOT_STARTED)
            if state == CellStatus.EXPIRING:
                expiring.append(f"course:{course_id}")
            elif state != CellStatus.COMPLETED:
                missing.append(f"course:{course_id}")
    if missing:
        return Judged(CoverageStatus.MISSING, tuple(dict.fromkeys(missing)), tuple(dict.fromkeys(expiring)))
    if expiring:
        return Judged(CoverageStatus.EXPIRING, (), tuple(dict.fromkeys(expiring)))
    return Judged(CoverageStatus.COVERED)


@dataclass(frozen=True)
class Judged:
    status: CoverageStatus
    missing: tuple[str, ...] = ()  # item keys
    expiring: tuple[str, ...] = ()


def titles(keys, course_titles: Mapping[int, str], policy_titles: Mapping[int, str]) -> tuple[str, ...]:
    """The titles of item keys, in order, each once."""
    found = []
    for key in keys:
        kind, _sep, raw = key.partition(":")
        source = policy_titles if kind == "policy" else course_titles
        found.append(source.get(int(raw), "?"))
    return tuple(dict.fromkeys(found))


def judged_cells(person: Person, facts: _Facts, shown: set[int]) -> dict[int, Judged]:
    """The cells of one person: one per AI system they use (of those shown) and one for their job role's own
    requirements when it has any."""
    systems = facts.use.systems_of(person.team_id, person.job_role) & shown
    cells = {}
    for system_id in systems:
        applicable = [r for r in facts.by_system.get(system_id, ()) if r.job_role in (None, person.job_role)]
        cells[system_id] = _judge(person.id, applicable, facts)
    role_only = facts.by_role.get(person.job_role, ()) if person.job_role else ()
    if role_only:
        cells[ROLE_COLUMN] = _judge(person.id, list(role_only), facts)
    return cells


def person_cells(person: Person, facts: _Facts, shown: set[int]) -> dict[int, Cell]:
    return {
        key: Cell(
            judged.status,
            titles(judged.missing, facts.course_titles, facts.policy_titles),
            titles(judged.expiring, facts.course_titles, facts.policy_titles),
        )
        for key, judged in judged_cells(person, facts, shown).items()
    }


def _people(scope: set[int] | None, filters: Filters):
    query = (
        select(User.id, User.display_name, User.email, Team.name.label("team"), User.job_role, User.team_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.active.is_(True))
    )
    team_ids = scope
    if filters.team_id is not None:
        below = teams.descendant_ids_of(filters.team_id)
        team_ids = below if scope is None else below & scope
    if team_ids is not None:
        query = query.where(User.team_id.in_(team_ids))
    return query


def build(
    scope: set[int] | None,
    filters: Filters,
    now: datetime | None = None,
    *,
    paged: bool = True,
    totals_only_below_minimum: bool = True,
) -> Coverage:
    """scope: the viewer's team ids (None: everyone, for admins). A manager's view of fewer people than the
    privacy settings' minimum shows totals only (the evidence pack, which carries per-person logs anyway and
    follows the pseudonymisation setting instead, turns this off).

    paged: one page, read from the maintained tables (`coverage_table`), so it costs the same whatever the size of
    the organisation; otherwise every row, computed afresh (the downloads)."""
    now = now or utcnow()
    if paged:
        return _build_page(scope, filters, now, totals_only_below_minimum)
    people_sub = _people(scope, filters).subquery()
    people = db.session.execute(select(people_sub)).all()
    facts = _facts(select(people_sub.c.id), now)
    risk = dict(db.session.execute(select(AISystem.id, AISystem.risk_class)).all())
    columns = [
        SystemColumn(system_id, name, RiskClass(risk[system_id]))
        for system_id, name in facts.use.names.items()
        if filters.system_id is None or system_id == filters.system_id
    ]
    shown = {c.id for c in columns}
    has_role_column = filters.system_id is None and any(r.system_id is None for r in facts.requirements)
    totals: dict[int, Totals] = {c.id: Totals(c.id, c.name) for c in columns}
    if has_role_column:
        totals[ROLE_COLUMN] = Totals(ROLE_COLUMN, "")
    roles: dict[str, Totals] = {}
    status_counts: Counter = Counter()
    kept: list[Row] = []
    for person in people:
        cells = person_cells(Person(person.id, person.team_id, person.job_role), facts, shown)
        if not has_role_column:
            cells.pop(ROLE_COLUMN, None)
        if not cells:
            continue
        if filters.status and filters.status not in {c.status for c in cells.values()}:
            continue
        row = Row(person.id, person.display_name, person.email, person.team, person.job_role, cells)
        for key, cell in cells.items():
            totals[key].people += 1
            totals[key].by_status[cell.status] += 1
            status_counts[cell.status] += 1
        role = person.job_role or ""
        role_totals = roles.setdefault(role, Totals(role, role))
        role_totals.people += 1
        role_totals.by_status[row.status] += 1
        kept.append(row)
    kept.sort(key=lambda r: (r.name.casefold(), r.email))
    aggregate_only = totals_only_below_minimum and scope is not None and privacy.settings().aggregate_only(len(people))
    if paged:
        filters = replace(filters, page=clamp_page(filters.page, len(kept), filters.per_page))
        start = (filters.page - 1) * filters.per_page
        page_rows = kept[start : start + filters.per_page]
    else:
        page_rows = kept
    return Coverage(
        systems=columns,
        has_role_column=has_role_column,
        rows=[] if aggregate_only else page_rows,
        total_people=len(kept),
        totals=totals,
        roles=_in_role_order(roles.values()),
        status_counts=status_counts,
        filters=filters,
        generated_at=now,
        aggregate_only=aggregate_only,
    )


def _in_role_order(roles) -> list[Totals]:
    """Job roles by name, people without a job role last: the order of the per-role table, however it was counted."""
    return sorted(roles, key=lambda t: (t.key == "", str(t.key).casefold()))


def _build_page(scope: set[int] | None, filters: Filters, now: datetime, totals_only_below_minimum: bool) -> Coverage:
    """The same answer as the full build for one page, in a fixed number of queries: counts are sums of the
    maintained counts per team (or aggregates over the maintained rows when the people asked for are not whole
    subtrees), and only the page's people and cells are read."""
    status_table.sync(now)
    requirements = requirement_rows()
    risk = dict(db.session.execute(select(AISystem.id, AISystem.risk_class)).all())
    columns = [  # the names alone: who uses which system is in the maintained rows already
        SystemColumn(system_id, name, RiskClass(risk[system_id]))
        for system_id, name in systems_in_use().items()
        if filters.system_id is None or system_id == filters.system_id
    ]
    has_role_column = filters.system_id is None and any(r.system_id is None for r in requirements)
    below = teams.descendant_ids_of(filters.team_id) if filters.team_id is not None else None
    team_ids = scope if below is None else below if scope is None else below & scope
    people, cells = CoveragePerson.__table__.c, CoverageCell.__table__.c
    # Who is listed: people in the teams asked for with a cell shown (of the system asked for, with the status).
    # Each follows an index or a column of the person's row: the team's, their cells', their bits of statuses.
    in_teams = [] if team_ids is None else [people.team_id.in_(sorted(team_ids))]
    conditions = list(in_teams)
    column_cells = []  # the cells of the system asked for
    if filters.system_id is not None:
        column_cells.append(cells.column_id == (filters.system_id if columns else -1))
        if filters.status is not None:
            column_cells.append(cells.status == filters.status.value)
        # Probed per person in name order: a page of a widely used system stops after its 50 people.
        mine = exists().where(cells.user_id == people.user_id, *column_cells).correlate(CoveragePerson.__table__)
        conditions.append(mine)
    elif filters.status is not None:
        conditions.append(people.statuses.op("&")(STATUS_BITS[filters.status]) != 0)
    whole_subtree = below is None or scope is None or below <= scope
    scopes = status_table.tally_scopes(scope, filters.team_id) if whole_subtree else None
    if scopes is not None:
        cell_counts, role_counts = _tallied(scopes, filters, bool(columns))
    else:
        cell_counts, role_counts = _aggregated(filters, conditions, in_teams, column_cells)
    totals: dict[int, Totals] = {c.id: Totals(c.id, c.name) for c in columns}
    if has_role_column:
        totals[ROLE_COLUMN] = Totals(ROLE_COLUMN, "")
    status_counts: Counter = Counter()
    for (column_id, status), n in cell_counts.items():
        if column_id in totals and n:
            totals[column_id].people += n
            totals[column_id].by_status[CoverageStatus(status)] += n
            status_counts[CoverageStatus(status)] += n
    roles: dict[str, Totals] = {}
    for (role, status), n in role_counts.items():
        if n:
            role_totals = roles.setdefault(role, Totals(role, role))
            role_totals.people += n
            role_totals.by_status[CoverageStatus(status)] += n
    total_people = sum(t.people for t in roles.values())
    aggregate_only = False
    if totals_only_below_minimum and scope is not None:
        in_scope = select(func.count()).select_from(User).where(User.active.is_(True))
        if team_ids is not None:
            in_scope = in_scope.where(User.team_id.in_(sorted(team_ids)))
        aggregate_only = privacy.settings().aggregate_only(db.session.scalar(in_scope) or 0)
    filters = replace(filters, page=clamp_page(filters.page, total_people, filters.per_page))
    rows = [] if aggregate_only else _page_rows(conditions, filters, bool(columns))
    return Coverage(
        systems=columns,
        has_role_column=has_role_column,
        rows=rows,
        total_people=total_people,
        totals=totals,
        roles=_in_role_order(roles.values()),
        status_counts=status_counts,
        filters=filters,
        generated_at=now,
        aggregate_only=aggregate_only,
    )


def _tallied(scopes: list[int], filters: Filters, any_column: bool) -> tuple[Counter, Counter]:
    """Counts of cells per (column, status) and of people per (job role, status), summed from the maintained counts
    of these scopes (one query of a few rows per column, job role and status).

    Without a system asked for: every cell of the people listed, and each person by their worst status (column
    PERSON); with a status, of the people with a cell of that status (their `statuses` bit). With a system: its
    cells (of that status), which are also its people by job role."""
    tally = CoverageTally.__table__.c
    if filters.system_id is None:
        conditions = [] if filters.status is None else [tally.statuses.op("&")(STATUS_BITS[filters.status]) != 0]
    else:
        conditions = [tally.column_id == filters.system_id if any_column else false()]
        if filters.status is not None:
            conditions.append(tally.status == filters.status.value)
    summed = db.session.execute(
        select(tally.column_id, tally.job_role, tally.status, func.sum(tally.people))
        .where(tally.scope_id.in_(scopes), *conditions)
        .group_by(tally.column_id, tally.job_role, tally.status)
    )
    cell_counts: Counter = Counter()
    role_counts: Counter = Counter()
    for column_id, job_role, status, n in summed:
        if column_id != PERSON:
            cell_counts[(column_id, status)] += int(n)
        if column_id == PERSON or filters.system_id is not None:
            role_counts[(job_role, status)] += int(n)
    return cell_counts, role_counts


def _aggregated(filters: Filters, conditions: list, in_teams: list, column_cells: list) -> tuple[Counter, Counter]:
    """The same counts as `_tallied`, as aggregates over the maintained rows of the people listed (a viewer's teams
    that are not whole subtrees)."""
    people, cells = CoveragePerson.__table__.c, CoverageCell.__table__.c
    counts = select(cells.column_id, cells.status, func.count()).where(*column_cells)
    counted_people = in_teams if filters.system_id is not None else conditions  # a system's cells are its own
    if counted_people:
        counts = counts.join_from(CoverageCell.__table__, CoveragePerson.__table__, people.user_id == cells.user_id)
        counts = counts.where(*counted_people)
    cell_counts = Counter(
        {
            (column_id, status): n
            for column_id, status, n in db.session.execute(counts.group_by(*counts.selected_columns[:2]))
        }
    )
    if filters.system_id is None:  # each person's worst status is kept with them
        by_role = select(people.job_role, people.status, func.count()).where(*conditions)
    else:  # one column shown: its status is the person's
        by_role = (
            select(people.job_role, cells.status, func.count())
            .join_from(CoveragePerson.__table__, CoverageCell.__table__, cells.user_id == people.user_id)
            .where(*column_cells, *in_teams)
        )
    role_counts: Counter = Counter()
    for job_role, status, n in db.session.execute(by_role.group_by(*by_role.selected_columns[:2])):
        role_counts[(job_role or "", status)] += n
    return cell_counts, role_counts


def _page_rows(conditions: list, filters: Filters, any_column: bool) -> list[Row]:
    """The page's people in name order, with their cells and the titles of what is missing (four queries)."""
    people = CoveragePerson.__table__.c
    page = db.session.execute(
        select(people.user_id, User.display_name, User.email, Team.name.label("team"), User.job_role)
        .join(User, User.id == people.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(*conditions)
        .order_by(people.name_key, people.user_id)
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
    ).all()
    rows = {r.user_id: Row(r.user_id, r.display_name, r.email, r.team, r.job_role) for r in page}
    query = select(
        CoverageCell.user_id, CoverageCell.column_id, CoverageCell.status, CoverageCell.missing, CoverageCell.expiring
    ).where(CoverageCell.user_id.in_(list(rows)))
    if filters.system_id is not None:
        query = query.where(CoverageCell.column_id == (filters.system_id if any_column else -1))
    found = db.session.execute(query.order_by(CoverageCell.user_id, CoverageCell.column_id)).all()
    course_ids, policy_ids = set(), set()
    for cell in found:
        for key in f"{cell.missing} {cell.expiring}".split():
            kind, _sep, raw = key.partition(":")
            (policy_ids if kind == "policy" else course_ids).add(int(raw))
    course_titles = dict(db.session.execute(select(Course.id, Course.title).where(Course.id.in_(course_ids))).all())
    policy_titles = dict(db.session.execute(select(Policy.id, Policy.title).where(Policy.id.in_(policy_ids))).all())
    for cell in found:
        rows[cell.user_id].cells[cell.column_id] = Cell(
            CoverageStatus(cell.status),
            titles(cell.missing.split(), course_titles, policy_titles),
            titles(cell.expiring.split(), course_titles, policy_titles),
        )
    return list(rows.values())


EXPORT_COLUMNS = ("person", "email", "team", "job_role", "ai_system", "status", "missing", "expiring")


def export_rows(coverage: Coverage, *, pseudonymise: bool) -> list[list[str]]:
    """One line per person and AI system (and job-role requirements); people by pseudonym when asked."""
    names = {c.id: c.name for c in coverage.systems}
    lines = []
    for row in coverage.rows:
        person = privacy.pseudonym(row.id) if pseudonymise else row.name
        email = "" if pseudonymise else row.email
        for key, cell in row.cells.items():
            system = names.get(key, "") if key != ROLE_COLUMN else "(job role)"
            lines.append(
                [
                    person,
                    email,
                    row.team or "",
                    row.job_role or "",
                    system,
                    cell.status.value,
                    "; ".join(cell.missing),
                    "; ".join(cell.expiring),
                ]
            )
    return lines
