"""The team matrix: people x courses with a status per cell, built from a fixed number of queries.

Statuses, per-person summaries and counts per team are kept up to date in the matrix tables (status_table), so
totals, status filters and sorting cover everyone while the database reads only one page of people (an indexed,
sorted LIMIT/OFFSET) and a few counts. Neither the number of queries nor the work depends on the organisation's size.
Exports stream every person in batches.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, false, func, select
from sqlalchemy.orm import aliased

from ...enums import CellStatus, PeopleCount
from ...extensions import db
from ...inputs import bounded_int, database_id
from ...models import (
    Certificate,
    Completion,
    Course,
    CourseProgress,
    MatrixCell,
    MatrixPerson,
    MatrixTally,
    Team,
    User,
    utcnow,
)
from ...models.matrix import PEOPLE
from ..organisation import teams
from ..paging import Page, clamp_page
from ..programme import privacy
from ..queries import is_current_revision, published_courses
from . import status_table
from .status_table import cell_status

__all__ = ["Filters", "Matrix", "build", "cell_status", "iter_rows", "all_rows"]

SORTS = {  # allow-list: query-string value -> label
    "name": _l("Name"),
    "team": _l("Team"),
    "completion": _l("Completion (lowest first)"),
    "overdue": _l("Overdue (most first)"),
}
PER_PAGE_CHOICES = (25, 50, 100)


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None  # a team and everything below it
    course_id: int | None = None
    status: CellStatus | None = None
    sort: str = "name"
    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        # The API's models hand over enum values as text; the queries below need the enum.
        if self.status is not None and not isinstance(self.status, CellStatus):
            object.__setattr__(self, "status", CellStatus(self.status))

    @classmethod
    def from_query(
        cls, args: Mapping[str, str], *, team_id: int | None = None, per_page_choices: Sequence[int] = PER_PAGE_CHOICES
    ) -> Filters:
        """Filters from a query string. Unknown values fall back to the defaults rather than being refused."""
        status = args.get("status") or None
        sort = args.get("sort") or "name"
        per_page = bounded_int(args.get("per_page"), 0)
        return cls(
            team_id=team_id if team_id is not None else database_id(args.get("team")),
            course_id=database_id(args.get("course")),
            status=CellStatus(status) if status in CellStatus.__members__.values() else None,
            sort=sort if sort in SORTS else "name",
            page=bounded_int(args.get("page"), 1),
            per_page=per_page if per_page in per_page_choices else per_page_choices[len(per_page_choices) // 2],
        )


@dataclass(slots=True)
class Cell:
    status: CellStatus
    assigned: bool
    percent: int = 0
    score: int | None = None
    completed_at: datetime | None = None
    due_on: date | None = None
    certificate_code: str | None = None
    expires_at: datetime | None = None
    revoked: bool = False
    status_label: str | None = None  # the status in words, looked up once per page rather than once per cell

    @property
    def label(self) -> str:
        return self.status_label if self.status_label is not None else self.status.label


@dataclass
class Row:
    id: int
    name: str
    email: str
    team: str | None
    job_role: str | None
    cells: dict[int, Cell] = field(default_factory=dict)

    @property
    def assigned(self) -> int:
        return sum(1 for c in self.cells.values() if c.assigned)

    @property
    def completed(self) -> int:
        return sum(1 for c in self.cells.values() if c.assigned and c.status.counts_as_done)

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.cells.values() if c.status == CellStatus.OVERDUE)

    @property
    def completion(self) -> int:
        return 100 * self.completed // self.assigned if self.assigned else 100


@dataclass
class CourseTotals:
    course_id: int
    assigned: int = 0
    by_status: Counter = field(default_factory=Counter)

    @property
    def completed(self) -> int:
        return self.by_status[CellStatus.COMPLETED] + self.by_status[CellStatus.EXPIRING]

    @property
    def rate(self) -> int:
        return 100 * self.completed // self.assigned if self.assigned else 0


@dataclass
class Matrix:
    courses: list[tuple[int, str, str]]  # id, slug, title
    rows: list[Row]  # this page
    total_people: int
    totals: dict[int, CourseTotals]
    status_counts: Counter
    filters: Filters
    generated_at: datetime
    # Privacy settings (works council) applied to a manager's view: totals only below N people; no scores.
    aggregate_only: bool = False
    scores_shown: bool = True

    @property
    def page(self) -> Page[Row]:
        return Page(self.rows, self.total_people, self.filters.page, self.filters.per_page)

    @property
    def pages(self) -> int:
        return self.page.pages


def people_query(scope: set[int] | None, filters: Filters) -> Select:
    query = (
        select(User.id, User.display_name, User.email, Team.name, User.job_role, User.team_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.active.is_(True))
    )
    team_ids = _team_ids(scope, filters)
    if team_ids is not None:
        query = query.where(User.team_id.in_(team_ids))
    return query


def _team_ids(scope: set[int] | None, filters: Filters) -> set[int] | None:
    if filters.team_id is None:
        return scope
    below = teams.descendant_ids_of(filters.team_id)
    return below if scope is None else below & scope


@dataclass(frozen=True)
class _Selection:
    """The people of a matrix as SQL: who is in it (scope, team, status filter) and in which order."""

    people: Select  # MatrixPerson rows in scope, filtered
    in_scope: Select  # before the status filter
    order_by: tuple
    course_ids: list[int]


def _selection(scope: set[int] | None, filters: Filters, course_ids: list[int]) -> _Selection:
    person = MatrixPerson
    in_scope = select(person.user_id).select_from(person).where(person.active.is_(True))
    team_ids = _team_ids(scope, filters)
    if team_ids is not None:
        in_scope = in_scope.where(person.team_id.in_(sorted(team_ids)))
    people = in_scope
    name_order = (person.name_key, person.user_id)
    if filters.course_id is not None:
        # One course: its cell decides the status filter and the sort keys.
        cell = aliased(MatrixCell)
        people = people.outerjoin(
            cell, and_(cell.user_id == person.user_id, cell.course_id == (course_ids[0] if course_ids else -1))
        )
        status = func.coalesce(cell.status, CellStatus.NOT_STARTED.value)
        done = case((status.in_([CellStatus.COMPLETED.value, CellStatus.EXPIRING.value]), 100), else_=0)
        completion = case((cell.assigned.is_(True), done), else_=100)
        overdue = case((status == CellStatus.OVERDUE.value, 1), else_=0)
        if filters.status is not None:
            people = people.where(status == filters.status.value) if course_ids else people.where(false())
    else:
        completion, overdue = person.completion, person.n_overdue
        if filters.status is not None:
            people = people.where(getattr(person, status_table.STATUS_COLUMNS[filters.status]) > 0)
    if filters.sort == "team":
        order_by = (func.lower(func.coalesce(Team.name, "")), *name_order)
    elif filters.sort == "completion":
        order_by = (completion, *name_order)
    elif filters.sort == "overdue":
        order_by = (overdue.desc(), *name_order)
    else:
        order_by = name_order
    return _Selection(people, in_scope, order_by, course_ids)


def _ordered_people(selection: _Selection) -> Select:
    """(id, name, email, team, job role) of the selected people in matrix order."""
    return (
        selection.people.with_only_columns(User.id, User.display_name, User.email, Team.name, User.job_role)
        .join(User, User.id == MatrixPerson.user_id)
        .outerjoin(Team, Team.id == MatrixPerson.team_id)
        .order_by(*selection.order_by)
    )


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _totals(
    scope: set[int] | None, filters: Filters, selection: _Selection
) -> tuple[dict[int, CourseTotals], Counter, int | None]:
    """Counts per course and status, and how many people are listed: from the maintained team counts (one query,
    the people counted by their `PeopleCount.ACTIVE` rows), or, with a status filter, from the cells of the filtered
    people (the number of people is then None: the caller counts them)."""
    course_ids = selection.course_ids
    totals = {cid: CourseTotals(cid) for cid in course_ids}
    status_counts: Counter = Counter()
    listed = None
    scopes = status_table.tally_scopes(scope, filters.team_id) if filters.status is None else None
    if scopes is not None:
        listed = 0
        rows = db.session.execute(
            select(MatrixTally.course_id, MatrixTally.status, MatrixTally.assigned, func.sum(MatrixTally.people))
            .where(MatrixTally.scope_id.in_(scopes), MatrixTally.course_id.in_([PEOPLE, *course_ids]))
            .group_by(MatrixTally.course_id, MatrixTally.status, MatrixTally.assigned)
        )
    else:
        # The filtered people drive the join: their cells are read through the cells' primary key.
        rows = db.session.execute(
            selection.people.with_only_columns(
                MatrixCell.course_id, MatrixCell.status, MatrixCell.assigned, func.count()
            )
            .join(MatrixCell, MatrixCell.user_id == MatrixPerson.user_id)
            .where(MatrixCell.course_id.in_(course_ids))
            .group_by(MatrixCell.course_id, MatrixCell.status, MatrixCell.assigned)
        )
    for course_id, status, assigned, n in rows:
        n = int(n or 0)
        if course_id == PEOPLE:
            if status == PeopleCount.ACTIVE.value:
                listed += n
            continue
        if not n or not status_table.counted(status, assigned):
            continue
        status = CellStatus(status)
        totals[course_id].by_status[status] += n
        status_counts[status] += n
        if assigned:
            totals[course_id].assigned += n
    return totals, status_counts, listed


def build(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> Matrix:
    """scope: team ids the viewer may see, or None for everything (admins).

    Counts come from the maintained tables (status_table), the page of people from an indexed, sorted query, and
    details (scores, dates, certificate codes) for that page only: a fixed number of queries, and a cost that
    depends on the page, not on the organisation.
    """
    now = now or utcnow()
    status_table.sync(now)
    courses = _courses(filters)
    course_ids = [c[0] for c in courses]
    selection = _selection(scope, filters, course_ids)
    totals, status_counts, listed = _totals(scope, filters, selection)
    total = listed if listed is not None else _count(selection.people)
    everyone = total if filters.status is None else _count(selection.in_scope)
    filters = replace(filters, page=clamp_page(filters.page, total, filters.per_page))
    # Admins (scope None) see everything; managers see what the works-council settings allow.
    settings = privacy.settings() if scope is not None else privacy.Settings()
    aggregate_only = settings.aggregate_only(everyone)
    rows: list[Row] = []
    if not aggregate_only:
        page = db.session.execute(
            _ordered_people(selection).limit(filters.per_page).offset((filters.page - 1) * filters.per_page)
        ).all()
        rows = _rows_for(page, course_ids)
    if not settings.managers_see_scores:
        for row in rows:
            for cell in row.cells.values():
                cell.score = None
    return Matrix(
        courses=courses,
        rows=rows,
        total_people=total,
        totals=totals,
        status_counts=status_counts,
        filters=filters,
        generated_at=now,
        aggregate_only=aggregate_only,
        scores_shown=settings.managers_see_scores,
    )


def _courses(filters: Filters) -> list[tuple[int, str, str]]:
    course_query = published_courses(Course.id, Course.slug, Course.title)
    if filters.course_id is not None:
        course_query = course_query.where(Course.id == filters.course_id)
    return [tuple(r) for r in db.session.execute(course_query.order_by(Course.title))]


STATUS_OF = {status.value: status for status in CellStatus}  # a dict lookup: calling the enum costs ~1 µs a cell


def _rows_for(people: Sequence, course_ids: list[int]) -> list[Row]:
    """Rows with every cell for these people (id, name, email, team, job role): three queries."""
    if not people:
        return []
    user_ids = [p[0] for p in people]
    # Plain tuples by (person, course), and each cell made positionally: a 50-row page has 1,000 cells, and named
    # access to result rows and keyword arguments cost more than the queries at that size.
    stored = {
        (user_id, course_id): (status, assigned, due_on)
        for user_id, course_id, status, assigned, due_on in db.session.execute(
            select(
                MatrixCell.user_id, MatrixCell.course_id, MatrixCell.status, MatrixCell.assigned, MatrixCell.due_on
            ).where(MatrixCell.user_id.in_(user_ids), MatrixCell.course_id.in_(course_ids))
        )
    }
    progress = {
        (user_id, course_id): (percent, completed_at, best_score)
        for user_id, course_id, percent, completed_at, best_score in db.session.execute(
            select(
                CourseProgress.user_id,
                CourseProgress.course_id,
                CourseProgress.percent,
                CourseProgress.completed_at,
                CourseProgress.best_score,
            ).where(CourseProgress.user_id.in_(user_ids), CourseProgress.course_id.in_(course_ids))
        )
    }
    certificates = {}
    for user_id, course_id, code, expires_at, revoked_at in db.session.execute(
        select(
            Certificate.user_id, Certificate.course_id, Certificate.code, Certificate.expires_at, Certificate.revoked_at
        )
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(
            Certificate.user_id.in_(user_ids),
            Completion.user_id.in_(user_ids),  # both tables read by the page's people (else a scan of completions)
            Certificate.course_id.in_(course_ids),
            is_current_revision(),
        )
        .order_by(Completion.cycle)
    ):
        certificates[(user_id, course_id)] = (code, expires_at, revoked_at is not None)  # the latest cycle's
    rows = []
    labels = CellStatus.labels()
    nothing = (CellStatus.NOT_STARTED.value, False, None)
    no_progress = (0, None, None)
    no_certificate = (None, None, False)
    for user_id, display_name, email, team, job_role in people:
        cells = {}
        for course_id in course_ids:
            key = (user_id, course_id)
            status, assigned, due_on = stored.get(key, nothing)
            status = STATUS_OF[status]
            percent, completed_at, score = progress.get(key, no_progress)
            code, expires_at, revoked = certificates.get(key, no_certificate)
            cells[course_id] = Cell(
                status, bool(assigned), percent, score, completed_at, due_on, code, expires_at, revoked, labels[status]
            )
        rows.append(Row(user_id, display_name, email, team, job_role, cells))
    return rows


EXPORT_BATCH = 1000  # people per batch of an export: memory stays bounded whatever the size


def iter_rows(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> Iterator[Row]:
    """Every filtered person in matrix order, in batches read from a streamed query: an export of any size holds
    one batch in memory. People by pseudonym when the privacy settings ask for pseudonymised exports."""
    now = now or utcnow()
    status_table.sync(now)
    courses = _courses(filters)
    course_ids = [c[0] for c in courses]
    selection = _selection(scope, filters, course_ids)
    pseudonymise = privacy.settings().pseudonymise_exports
    scores_hidden = scope is not None and not privacy.settings().managers_see_scores
    result = db.session.execute(
        _ordered_people(selection).execution_options(stream_results=True, yield_per=EXPORT_BATCH)
    )
    for batch in result.partitions(EXPORT_BATCH):
        for row in _rows_for(batch, course_ids):
            if pseudonymise:
                row.name, row.email = privacy.pseudonym(row.id), ""
            if scores_hidden:
                for cell in row.cells.values():
                    cell.score = None
            yield row


def export_query(scope: set[int] | None, filters: Filters, course_ids: list[int]) -> Select:
    """Everything a CSV export shows, as one query over the maintained tables: a row per person and stored cell
    (a person without any has one row of NULLs), people in matrix order, the rows of a person together.

    Columns: user id, name, email, team, job role, course id, status, assigned, due on, percent, best score,
    completed at, certificate code, certificate expiry; dates as ISO 8601 text (moments in UTC, `...Z`), made by
    the database. Courses without a stored cell are not started. Only the published courses have cells, so with
    no course filter every cell is read; the caller skips any other course."""
    selection = _selection(scope, filters, course_ids)
    cell = aliased(MatrixCell)
    latest = (  # the current revision of the latest cycle's certificate (an indexed lookup per cell)
        select(Certificate.id)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(Certificate.user_id == cell.user_id, Certificate.course_id == cell.course_id, is_current_revision())
        .order_by(Completion.cycle.desc())
        .limit(1)
        .correlate(cell)
        .scalar_subquery()
    )
    on_cell = cell.user_id == MatrixPerson.user_id
    if filters.course_id is not None:
        on_cell = and_(on_cell, cell.course_id.in_(course_ids or [-1]))
    return (
        _ordered_people(selection)
        .add_columns(
            cell.course_id,
            cell.status,
            cell.assigned,
            _iso_text(cell.due_on, moment=False),
            CourseProgress.percent,
            CourseProgress.best_score,
            _iso_text(CourseProgress.completed_at),
            Certificate.code,
            _iso_text(Certificate.expires_at),
        )
        .outerjoin(cell, on_cell)
        .outerjoin(
            CourseProgress, and_(CourseProgress.user_id == cell.user_id, CourseProgress.course_id == cell.course_id)
        )
        .outerjoin(Certificate, Certificate.id == latest)
    )


def _iso_text(column, *, moment: bool = True):
    """A date (2026-01-31) or a moment in UTC (2026-01-31T09:00:00Z) as text, as `cells.iso_utc` writes them."""
    if db.engine.dialect.name == "postgresql":
        if moment:
            return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        return func.to_char(column, "YYYY-MM-DD")
    return func.strftime("%Y-%m-%dT%H:%M:%SZ" if moment else "%Y-%m-%d", column)  # SQLite stores UTC


def export_settings(scope: set[int] | None, filters: Filters, course_ids: list[int]) -> tuple[bool, bool, bool]:
    """(pseudonymise, hide scores, totals only) for an export by a viewer with this scope: the privacy settings
    as the matrix page applies them (admins, scope None, see every row)."""
    settings = privacy.settings()
    if scope is None:
        return settings.pseudonymise_exports, False, False
    everyone = _count(_selection(scope, filters, course_ids).in_scope)
    return settings.pseudonymise_exports, not settings.managers_see_scores, settings.aggregate_only(everyone)


def count_people(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> int:
    """How many people a matrix (or its export) covers, with every filter applied."""
    now = now or utcnow()
    status_table.sync(now)
    return _count(_selection(scope, filters, [c[0] for c in _courses(filters)]).people)


def export_courses(filters: Filters) -> list[tuple[int, str, str]]:
    return _courses(filters)


def all_rows(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> Matrix:
    """The matrix with every filtered person on one page (for XLSX exports and export jobs); people by pseudonym
    when the privacy settings ask for pseudonymised exports."""
    unpaged = Filters(filters.team_id, filters.course_id, filters.status, filters.sort, 1, 10**9)
    result = build(scope, replace(unpaged, per_page=1), now)
    result.rows = [] if result.aggregate_only else list(iter_rows(scope, filters, now))
    result.filters = unpaged
    return result


_month_counts: dict[tuple, tuple[datetime, int, Counter]] = {}  # (scope, first month) -> (read at, last id, counts)
_month_lock = threading.Lock()


def completions_by_month(
    scope: set[int] | None, months: int = 12, now: datetime | None = None
) -> list[tuple[str, int]]:
    """Completions per calendar month (UTC) for the last `months` months.

    Completions are only ever added, so each process keeps the counts it has read with the highest completion id
    seen, and later reads count only the completions added since (an indexed range of ids). The whole window is
    read again every ten minutes, for the rare removals (a person deleted) and moves between teams."""
    now = now or utcnow()
    index = now.year * 12 + now.month - 1 - (months - 1)  # the first month of the window, counted from year 0
    first = now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if db.engine.dialect.name == "postgresql":
        bucket = func.to_char(func.timezone("UTC", Completion.completed_at), "YYYY-MM")
    else:
        bucket = func.strftime("%Y-%m", Completion.completed_at)
    key = (db.engine.url.render_as_string(), None if scope is None else frozenset(scope), first)
    with _month_lock:
        cached = _month_counts.get(key)
    since = 0
    ttl = timedelta(seconds=current_app.config["CHART_CACHE_SECONDS"])
    if cached is not None and utcnow() - cached[0] < ttl:
        read_at, since, counts = cached[0], cached[1], Counter(cached[2])
    else:
        read_at, counts = utcnow(), Counter()
    query = select(bucket, func.count(), func.max(Completion.id)).where(
        Completion.completed_at >= first, Completion.id > since
    )
    if scope is not None:
        query = query.join(User, User.id == Completion.user_id).where(User.team_id.in_(scope))
    last = since
    for month, n, top in db.session.execute(query.group_by(bucket)):
        counts[month] += n
        last = max(last, top or 0)
    with _month_lock:
        if len(_month_counts) > 256:
            _month_counts.clear()
        _month_counts[key] = (read_at, last, counts)
    series = []
    year, month = first.year, first.month
    for _month in range(months):
        key = f"{year:04d}-{month:02d}"
        series.append((key, counts.get(key, 0)))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return series


def scope_label(scope: set[int] | None, filters: Filters) -> str:
    """Who a matrix (or its export) covers, in words."""
    if filters.team_id is not None:
        team = db.session.get(Team, filters.team_id)
        return _("Team %(name)s and the teams below it", name=team.name) if team else _("Team")
    return _("Whole organisation") if scope is None else _("All my teams")


def course_choices() -> list[tuple[int, str]]:
    """(id, title) of the published courses, for the course filter."""
    return [tuple(row) for row in db.session.execute(published_courses(Course.id, Course.title).order_by(Course.title))]
