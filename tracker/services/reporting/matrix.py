"""The team matrix: people x courses with a status per cell, built from a fixed number of aggregate queries.

The whole filtered population is read as plain rows (no ORM objects), so totals, status filters and sorting cover
everyone, while only one page of people is rendered. The number of queries does not depend on the number of people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ...enums import CellStatus
from ...extensions import db
from ...inputs import bounded_int, database_id
from ...models import Certificate, Completion, Course, CourseProgress, Team, User, utcnow
from ..certification import expiry_status
from ..organisation import teams
from ..organisation.assignments import Person, due_dates
from ..paging import Page, clamp_page
from ..programme import privacy
from ..queries import is_current_revision, published_courses

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


@dataclass
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


def people_query(scope: set[int] | None, filters: Filters) -> Select:
    query = (
        select(User.id, User.display_name, User.email, Team.name, User.job_role, User.team_id)
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


def build(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> Matrix:
    """scope: team ids the viewer may see, or None for everything (admins).

    Two passes: statuses for everyone in scope from slim rows (for filters, totals and sorting), then full cell
    details for the people on the requested page only.
    """
    now = now or utcnow()
    today = now.date()
    course_query = published_courses(Course.id, Course.slug, Course.title)
    if filters.course_id is not None:
        course_query = course_query.where(Course.id == filters.course_id)
    courses = [tuple(r) for r in db.session.execute(course_query.order_by(Course.title))]
    course_ids = [c[0] for c in courses]

    people_sub = people_query(scope, filters).subquery()
    people = db.session.execute(select(people_sub)).all()
    in_scope = select(people_sub.c.id)
    connection = db.session.connection()  # plain Core rows: no ORM bookkeeping for 100,000 cells

    percent_done: dict[tuple[int, int], tuple[int, bool]] = {
        (user_id, course_id): (percent, completed)
        for user_id, course_id, percent, completed in connection.execute(
            select(
                CourseProgress.user_id,
                CourseProgress.course_id,
                CourseProgress.percent,
                CourseProgress.completed_at.is_not(None),
            ).where(CourseProgress.user_id.in_(in_scope), CourseProgress.course_id.in_(course_ids))
        )
    }
    cert_state: dict[tuple[int, int], tuple[bool, datetime | None]] = {}
    for user_id, course_id, revoked, expires_at in connection.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.revoked_at.is_not(None), Certificate.expires_at)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(
            Certificate.user_id.in_(in_scope),
            Certificate.course_id.in_(course_ids),
            is_current_revision(),
        )
        .order_by(Completion.cycle)
    ):
        cert_state[(user_id, course_id)] = (revoked, expires_at)  # the latest cycle wins
    due = due_dates(Person(p.id, p.team_id, p.job_role) for p in people)

    no_progress = (0, False)
    kept: list[tuple] = []  # (person, statuses per course, due dates)
    totals = {cid: CourseTotals(cid) for cid in course_ids}
    status_counts: Counter = Counter()
    for person in people:
        mine = due.get(person.id, {})
        statuses = []
        for course_id in course_ids:
            key = (person.id, course_id)
            progress_here = percent_done.get(key)
            cert = cert_state.get(key)
            if progress_here is None and cert is None and course_id not in mine:
                statuses.append(CellStatus.NOT_STARTED)  # the common case, decided without the full rules
                continue
            percent, completed = progress_here or no_progress
            statuses.append(cell_status(percent, completed, mine.get(course_id), cert, today, now))
        if filters.status and filters.status not in statuses:
            continue
        for course_id, status in zip(course_ids, statuses, strict=True):
            assigned = course_id in mine
            if assigned or status != CellStatus.NOT_STARTED:
                totals[course_id].by_status[status] += 1
                status_counts[status] += 1
            if assigned:
                totals[course_id].assigned += 1
        kept.append((person, statuses, mine))

    kept.sort(key=_sort_key(filters.sort, course_ids))
    filters = replace(filters, page=clamp_page(filters.page, len(kept), filters.per_page))
    start = (filters.page - 1) * filters.per_page
    page = kept[start : start + filters.per_page]
    # Admins (scope None) see everything; managers see what the works-council settings allow.
    settings = privacy.settings() if scope is not None else privacy.Settings()
    aggregate_only = settings.aggregate_only(len(people))
    shown_ids = in_scope if len(page) > 500 else [p.id for p, _, _ in page]
    rows = [] if aggregate_only else _detailed_rows(page, course_ids, shown_ids)
    if not settings.managers_see_scores:
        for row in rows:
            for cell in row.cells.values():
                cell.score = None
    return Matrix(
        courses=courses,
        rows=rows,
        total_people=len(kept),
        totals=totals,
        status_counts=status_counts,
        filters=filters,
        generated_at=now,
        aggregate_only=aggregate_only,
        scores_shown=settings.managers_see_scores,
    )


def _detailed_rows(page: list[tuple], course_ids: list[int], user_ids) -> list[Row]:
    """Scores, dates and certificate codes for the people shown (two queries)."""
    progress = {
        (r.user_id, r.course_id): r
        for r in db.session.execute(
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
    for r in db.session.execute(
        select(
            Certificate.user_id, Certificate.course_id, Certificate.code, Certificate.expires_at, Certificate.revoked_at
        )
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(
            Certificate.user_id.in_(user_ids),
            Certificate.course_id.in_(course_ids),
            is_current_revision(),
        )
        .order_by(Completion.cycle)
    ):
        certificates[(r.user_id, r.course_id)] = r
    rows = []
    for person, statuses, mine in page:
        row = Row(person.id, person.display_name, person.email, person.name, person.job_role)
        for course_id, status in zip(course_ids, statuses, strict=True):
            p = progress.get((person.id, course_id))
            c = certificates.get((person.id, course_id))
            row.cells[course_id] = Cell(
                status=status,
                assigned=course_id in mine,
                percent=p.percent if p else 0,
                score=p.best_score if p else None,
                completed_at=p.completed_at if p else None,
                due_on=mine.get(course_id),
                certificate_code=c.code if c else None,
                expires_at=c.expires_at if c else None,
                revoked=bool(c and c.revoked_at is not None),
            )
        rows.append(row)
    return rows


def _sort_key(sort: str, course_ids: list[int]):
    """Sort keys over (person, statuses, due dates) entries."""

    def completion(entry) -> int:
        _person, statuses, mine = entry
        assigned = [s for cid, s in zip(course_ids, statuses, strict=True) if cid in mine]
        done = sum(1 for s in assigned if s.counts_as_done)
        return 100 * done // len(assigned) if assigned else 100

    if sort == "team":
        return lambda e: ((e[0].name or "").lower(), e[0].display_name.lower())
    if sort == "completion":
        return lambda e: (completion(e), e[0].display_name.lower())
    if sort == "overdue":
        return lambda e: (-e[1].count(CellStatus.OVERDUE), e[0].display_name.lower())
    return lambda e: e[0].display_name.lower()


def all_rows(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> Matrix:
    """The matrix with every filtered person on one page (for exports); people by pseudonym when the privacy
    settings ask for pseudonymised exports."""
    unpaged = Filters(filters.team_id, filters.course_id, filters.status, filters.sort, 1, 10**9)
    result = build(scope, unpaged, now)
    if privacy.settings().pseudonymise_exports:
        for row in result.rows:
            row.name, row.email = privacy.pseudonym(row.id), ""
    return result


def completions_by_month(
    scope: set[int] | None, months: int = 12, now: datetime | None = None
) -> list[tuple[str, int]]:
    """Completions per calendar month (UTC) for the last `months` months, in one grouped query."""
    now = now or utcnow()
    index = now.year * 12 + now.month - 1 - (months - 1)  # the first month of the window, counted from year 0
    first = now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if db.engine.dialect.name == "postgresql":
        bucket = func.to_char(func.timezone("UTC", Completion.completed_at), "YYYY-MM")
    else:
        bucket = func.strftime("%Y-%m", Completion.completed_at)
    query = select(bucket, func.count()).where(Completion.completed_at >= first).group_by(bucket)
    if scope is not None:
        query = query.join(User, User.id == Completion.user_id).where(User.team_id.in_(scope))
    counts = dict(db.session.execute(query).all())
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
