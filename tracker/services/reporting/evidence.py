"""Evidence of AI-literacy training: who was trained on what, when, with what result, and what is due next.

The report covers the active people of a scope (the organisation, or a team with its sub-teams); deactivated
accounts are left out and counted. The downloads carry everybody, built with a fixed number of queries; the page shows
one page of people (in the matrix's name order, read through its maintained index) and headline counts read from
the counts of people the matrix keeps per team, so its cost depends on the page, not on the size of the organisation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Bundle
from sqlalchemy.sql.elements import ColumnElement

from ...enums import CertificateStatus, PeopleCount, Role
from ...extensions import db
from ...models import Certificate, Completion, Course, MatrixPerson, MatrixTally, Team, User, utcnow
from ...models.matrix import ORGANISATION, PEOPLE
from ..certification import status
from ..organisation.assignments import Person, due_dates
from ..paging import Page, clamp_page
from ..queries import is_current_revision
from . import status_table
from .records import CompletedCourse, DueItem, EvidenceReport, PersonRecord

PER_PAGE = 50  # people per page of the report page (the downloads carry everybody)


@dataclass(frozen=True)
class Scope:
    kind: str  # "organisation" | "team" | "teams" (all the teams a manager manages)
    label: str
    team_ids: frozenset[int] | None  # None: everybody, people without a team included
    team_id: int | None = None  # the chosen team, if one

    @property
    def slug(self) -> str:
        """For file names: organisation, team-12, my-teams."""
        return {"organisation": "organisation", "teams": "my-teams"}.get(self.kind, f"team-{self.team_id}")

    def as_details(self) -> dict[str, object]:
        return {"scope": self.kind, "team_id": self.team_id, "scope_label": self.label}


def organisation_scope() -> Scope:
    return Scope("organisation", _("Whole organisation"), None)


def _names(names: list[str]) -> str:
    return ", ".join(sorted(names, key=str.casefold))


def _team_label(name: str, below: list[str]) -> str:
    if below:
        return _("Team %(name)s and its sub-teams %(teams)s", name=name, teams=_names(below))
    return _("Team %(name)s", name=name)


def team_scope(team: Team) -> Scope:
    """A team and every team below it (one recursive query)."""
    tree = select(Team.id, Team.name).where(Team.id == team.id).cte("subtree", recursive=True)
    tree = tree.union(select(Team.id, Team.name).where(Team.parent_id == tree.c.id))  # UNION: stops on a cycle
    rows = db.session.execute(select(tree.c.id, tree.c.name)).all()
    below = [name for team_id, name in rows if team_id != team.id]
    return Scope("team", _team_label(team.name, below), frozenset(team_id for team_id, _name in rows), team.id)


def managed_scope(user: User, team_ids: set[int]) -> Scope:
    """Every team a manager manages (`team_ids`: authz.manager_scope), labelled by the teams at the top."""
    rows = db.session.execute(select(Team.id, Team.name, Team.parent_id).where(Team.id.in_(team_ids))).all()
    tops = [row for row in rows if row.parent_id not in team_ids]
    if len(tops) == 1:
        below = [row.name for row in rows if row.id != tops[0].id]
        return Scope("team", _team_label(tops[0].name, below), frozenset(team_ids), tops[0].id)
    label = _(
        "Teams managed by %(name)s: %(teams)s, with their sub-teams",
        name=user.display_name,
        teams=_names([row.name for row in tops]),
    )
    return Scope("teams", label, frozenset(team_ids))


def choosable_teams(scope: set[int] | None) -> list[tuple[int, str]]:
    """(id, "Parent / Team") of the teams whose report the viewer may open (scope: their team ids, None for all),
    in name order (one query)."""
    rows = db.session.execute(select(Team.id, Team.name, Team.parent_id)).all()
    by_id = {row.id: row for row in rows}

    def path(team_id: int) -> str:
        names, current, seen = [], by_id.get(team_id), set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        return " / ".join(reversed(names))

    visible = [(row.id, path(row.id)) for row in rows if scope is None or row.id in scope]
    return sorted(visible, key=lambda item: item[1].casefold())


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.team_ids is None:
        return User.id.is_not(None)
    return User.team_id.in_(sorted(scope.team_ids))


def _current_certificates(people_ids) -> list:
    """Every completion of the people, each with its current certificate revision (not superseded; None if it
    has none), as rows of the columns the report and the certificate's status read (a page shows hundreds: rows
    cost a fraction of mapped objects)."""
    rows = db.session.execute(
        select(
            Bundle(
                "completion",
                Completion.id,
                Completion.user_id,
                Completion.course_id,
                Completion.cycle,
                Completion.completed_at,
                Completion.course_version,
                Completion.language,
                Completion.score,
                Completion.attempts,
                Completion.first_opened_at,
            ),
            Bundle(
                "cert",
                Certificate.id,
                Certificate.code,
                Certificate.course_title,
                Certificate.expires_at,
                Certificate.pending_reason,
                Certificate.revoked_at,
                Certificate.superseded_at,
            ),
        )
        # The people's ids on both tables: without them PostgreSQL hashes every current certificate to join a
        # page's few hundred completions.
        .outerjoin(
            Certificate,
            and_(
                Certificate.completion_id == Completion.id,
                Certificate.user_id.in_(people_ids),
                is_current_revision(),
            ),
        )
        .where(Completion.user_id.in_(people_ids))
        .order_by(Completion.completed_at.desc(), Completion.id, Certificate.revision.desc())
    )
    return [(completion, cert if cert.id is not None else None) for completion, cert in rows]


_PEOPLE_COLUMNS = (
    User.id,
    User.display_name,
    User.email,
    User.job_role,
    User.role,
    User.active,
    User.team_id,
    Team.name,
)


def _name_order(row) -> tuple[str, int]:
    """The matrix's name order (`MatrixPerson.name_key`, then the id), so the page and the downloads agree."""
    return row.display_name.lower()[:200], row.id


def build(scope: Scope, organisation_name: str, now: datetime | None = None) -> EvidenceReport:
    """The whole report, for the downloads: every active person of the scope."""
    now = now or utcnow()
    people_rows = db.session.execute(
        select(*_PEOPLE_COLUMNS).outerjoin(Team, Team.id == User.team_id).where(_in_scope(scope))
    ).all()
    active = sorted((row for row in people_rows if row.active), key=_name_order)
    active_ids = select(User.id).where(_in_scope(scope), User.active.is_(True))
    return EvidenceReport(
        organisation_name=organisation_name,
        generated_at=now,
        scope_label=scope.label,
        people=tuple(_records(active, active_ids, now)),
        inactive_excluded=len(people_rows) - len(active),
    )


@dataclass(frozen=True)
class Headline:
    """The counts at the top of the report page, for the whole scope."""

    people: int
    with_completion: int
    with_overdue: int
    inactive_excluded: int


@dataclass(frozen=True)
class ReportPage:
    report: EvidenceReport  # the people of this page only
    headline: Headline
    page: Page[PersonRecord]


def _page_query(scope: Scope) -> Select:
    """Active people of the scope in name order, read through the matrix's summary rows and their name index."""
    query = (
        select(*_PEOPLE_COLUMNS)
        .select_from(MatrixPerson)
        .join(User, User.id == MatrixPerson.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(MatrixPerson.active.is_(True))
    )
    if scope.team_ids is not None:
        query = query.where(MatrixPerson.team_id.in_(sorted(scope.team_ids)))
    return query.order_by(MatrixPerson.name_key, MatrixPerson.user_id)


def headline(scope: Scope) -> Headline:
    """The headline counts of the whole scope, read from the matrix's counts of people per team (which must be in
    sync: `status_table.sync`): a few rows, whatever the size of the organisation.

    Who is in the scope (active or not) is what the matrix's summaries hold. The other counts follow the report's
    own rules, which are not the matrix's statuses, so the summaries keep them as facts of their own
    (`status_table.evidence_due`; `_records` below is the reference, and `status_table.differences` the check):
    - "with a completed course" counts any completion ever recorded (of any course, whatever its certificate),
      where the matrix counts current statuses of published courses;
    - "with overdue training" is a due item past its date, as listed per person: an assigned course never
      completed in any cycle, or the renewal of the latest completion of a course whose current (issued, not
      revoked) certificate has expired. The matrix's "overdue" and "expired" cells are wider (a revoked
      certificate or a new cycle make a cell overdue again; a certificate still pending counts as expired there).
    """
    scopes = [ORGANISATION] if scope.team_ids is None else status_table.tally_scopes(set(scope.team_ids), None)
    if scopes is None:  # teams that are not whole subtrees: counted from their people's summaries
        conditions = status_table.people_count_conditions()
        row = db.session.execute(
            select(*(func.count(case((condition, 1))) for condition in conditions.values())).where(
                MatrixPerson.team_id.in_(sorted(scope.team_ids or ()))
            )
        ).one()
        counts = dict(zip(conditions, row, strict=True))
    else:
        counts = dict(
            db.session.execute(
                select(MatrixTally.status, func.sum(MatrixTally.people))
                .where(MatrixTally.scope_id.in_(scopes), MatrixTally.course_id == PEOPLE)
                .group_by(MatrixTally.status)
            ).all()
        )
    return Headline(
        *(
            int(counts.get(count) or 0)
            for count in (
                PeopleCount.ACTIVE,
                PeopleCount.WITH_COMPLETION,
                PeopleCount.WITH_OVERDUE,
                PeopleCount.INACTIVE,
            )
        )
    )


def page(
    scope: Scope, organisation_name: str, number: int, per_page: int = PER_PAGE, now: datetime | None = None
) -> ReportPage:
    """One page of the report with the headline counts of the whole scope: a fixed number of queries, and a cost
    that depends on the page (a page past the end shows the last one)."""
    now = now or utcnow()
    status_table.sync(now)
    counts = headline(scope)
    number = clamp_page(number, counts.people, per_page)
    rows = db.session.execute(_page_query(scope).limit(per_page).offset((number - 1) * per_page)).all()
    people = tuple(_records(rows, [row.id for row in rows], now))
    report = EvidenceReport(
        organisation_name=organisation_name,
        generated_at=now,
        scope_label=scope.label,
        people=people,
        inactive_excluded=counts.inactive_excluded,
    )
    return ReportPage(report, counts, Page(people, counts.people, number, per_page))


def _records(active, active_ids, now: datetime) -> list[PersonRecord]:
    """The records of these people (rows of `_PEOPLE_COLUMNS`, in order; `active_ids`: their ids, as a list or
    a query), in a fixed number of queries."""
    today = now.date()
    if not active:
        return []
    completions: dict[int, list[tuple]] = defaultdict(list)
    seen: set[int] = set()
    for completion, cert in _current_certificates(active_ids):
        if completion.id in seen:  # two current revisions cannot happen; keep the newest if they do
            continue
        seen.add(completion.id)
        completions[completion.user_id].append((completion, cert))
    course_titles: dict[int, str] = {}
    published: set[int] = set()
    for course_id, title, is_published in db.session.execute(select(Course.id, Course.title, Course.published)):
        course_titles[course_id] = title
        if is_published:
            published.add(course_id)
    assigned = due_dates(Person(row.id, row.team_id, row.job_role) for row in active)
    # A page lists hundreds of completions with a few statuses and roles: each label translated once.
    labels: dict[tuple[type, str], str] = {}

    def label(member: CertificateStatus | Role) -> str:
        key = (type(member), member.value)
        if key not in labels:
            labels[key] = member.label
        return labels[key]

    people = []
    for row in active:
        completed: list[CompletedCourse] = []
        latest: dict[int, tuple] = {}
        for completion, cert in completions.get(row.id, ()):
            state = status(cert, now) if cert is not None else None
            completed.append(
                CompletedCourse(
                    course_title=cert.course_title if cert else course_titles.get(completion.course_id, "—"),
                    course_version=completion.course_version,
                    language=completion.language,
                    completed_at=completion.completed_at,
                    score=completion.score,
                    certificate_code=cert.code if cert else None,
                    status=state.value if state else None,
                    status_label=label(state) if state else _("No certificate"),
                    expires_at=cert.expires_at if cert else None,
                    attempts=completion.attempts,
                    first_opened_at=completion.first_opened_at,
                )
            )
            known = latest.get(completion.course_id)
            if known is None or completion.cycle > known[0].cycle:
                latest[completion.course_id] = (completion, cert, state)  # the status read once per completion
        due: list[DueItem] = []
        for course_id, due_on in assigned.get(row.id, {}).items():
            # Published courses only: the ones a person can take (and the ones the matrix keeps due dates of).
            if course_id not in latest and course_id in published:
                due.append(DueItem("assignment", course_titles[course_id], due_on, due_on < today))
        for _completion, cert, state in latest.values():
            if state in (CertificateStatus.EXPIRING, CertificateStatus.EXPIRED) and cert.expires_at is not None:
                expired = state == CertificateStatus.EXPIRED
                due.append(DueItem("renewal", cert.course_title, cert.expires_at.date(), expired))
        completed.sort(key=lambda c: (c.course_title.casefold(), -c.completed_at.timestamp()))
        due.sort(key=lambda item: (item.due_on, item.course_title.casefold()))
        people.append(
            PersonRecord(
                id=row.id,
                name=row.display_name,
                email=row.email,
                team=row.name,
                job_role=row.job_role,
                role=label(Role(row.role)),
                completed=tuple(completed),
                due=tuple(due),
            )
        )
    return people


def file_name(scope: Scope, report: EvidenceReport, extension: str) -> str:
    stamp = report.generated_at.strftime("%Y%m%dT%H%MZ")
    slug = re.sub(r"[^a-z0-9-]+", "-", scope.slug.lower()).strip("-")
    return f"ai-literacy-evidence-{slug}-{stamp}.{extension}"
