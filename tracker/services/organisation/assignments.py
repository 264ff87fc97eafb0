"""Assigning courses and learning paths, and resolving who has to do what by when."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from ... import authz
from ...enums import DueRule
from ...extensions import db
from ...models import Assignment, Course, LearningPath, LearningPathCourse, Team, User
from .. import FieldError, audit, queries
from ..queries import is_published, published_courses
from . import tree

JOB_ROLE_MAX = 120  # the column's length


def _item_key(course: Course | None, path: LearningPath | None) -> str:
    return f"course:{course.id}" if course is not None else f"path:{path.id}"


def _target_key(team: Team | None, user: User | None, job_role: str | None) -> str:
    if team is not None:
        return f"team:{team.id}"
    if user is not None:
        return f"user:{user.id}"
    return f"role:{job_role}"


def assign(
    actor: User | None,
    *,
    course: Course | None = None,
    path: LearningPath | None = None,
    team: Team | None = None,
    user: User | None = None,
    job_role: str | None = None,
    due_on: date | None = None,
    due_rule: str = DueRule.FIXED,
    due_days: int | None = None,
    reminder_days: str | None = None,
    today: date | None = None,
) -> tuple[Assignment, bool]:
    """Create an assignment, or move the due date of the identical one (so a double submit adds nothing).
    A relative rule (`due_days` after being assigned or joining the team) keeps as `due_on` the date of the
    people it reaches today.

    Returns the assignment and whether it was new.
    """
    job_role = (job_role or "").strip() or None
    due_rule, due_days, due_on = _checked_due(due_rule, due_days, due_on, today or date.today())
    reminder_days = checked_reminder_days(reminder_days)
    if (course is None) == (path is None):
        raise FieldError("item", _("Choose either a course or a learning path."))
    if sum(x is not None for x in (team, user, job_role)) != 1:
        raise FieldError("target_type", _("Choose exactly one of: a team, a person or a job role."))
    if job_role is not None and actor is not None and not authz.can_assign_to_job_role(actor):
        raise FieldError("job_role", _("Only admins assign to a job role across the organisation."))
    item_key, target_key = _item_key(course, path), _target_key(team, user, job_role)
    existing = _identical(item_key, target_key)
    details = {"item": item_key, "target": target_key, "due_on": due_on.isoformat(), "due_rule": str(due_rule)}
    if due_days is not None:
        details["due_days"] = due_days
    if existing is not None:
        return _update(existing, actor, due_on, str(due_rule), due_days, reminder_days, details), False
    assignment = Assignment(
        course_id=course.id if course else None,
        path_id=path.id if path else None,
        team_id=team.id if team else None,
        user_id=user.id if user else None,
        job_role=job_role,
        item_key=item_key,
        target_key=target_key,
        due_on=due_on,
        due_rule=str(due_rule),
        due_days=due_days,
        reminder_days=reminder_days,
        created_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(assignment)
    except IntegrityError:
        # The same assignment created a moment ago by a second click or another tab: the database keeps one.
        existing = _identical(item_key, target_key)
        return _update(existing, actor, due_on, str(due_rule), due_days, reminder_days, details), False
    audit.record("assignment.created", actor=actor, target_type="assignment", target_id=assignment.id, details=details)
    return assignment, True


def _identical(item_key: str, target_key: str) -> Assignment | None:
    return db.session.scalar(
        select(Assignment).where(Assignment.item_key == item_key, Assignment.target_key == target_key)
    )


def _update(
    existing: Assignment,
    actor: User | None,
    due_on: date,
    due_rule: str,
    due_days: int | None,
    reminder_days: str | None,
    details: dict,
) -> Assignment:
    """The identical assignment takes the new due date and reminders (audited when anything changed)."""
    new = (due_on, due_rule, due_days, reminder_days)
    if (existing.due_on, existing.due_rule, existing.due_days, existing.reminder_days) != new:
        existing.due_on, existing.due_rule, existing.due_days, existing.reminder_days = new
        audit.record(
            "assignment.updated", actor=actor, target_type="assignment", target_id=existing.id, details=details
        )
    return existing


MAX_DUE_DAYS = 3650


def _checked_due(rule, days, due_on: date | None, today: date) -> tuple[DueRule, int | None, date]:
    try:
        rule = DueRule(rule or DueRule.FIXED)
    except ValueError:
        raise FieldError("due_rule", _("Choose how the due date is set.")) from None
    if rule == DueRule.FIXED:
        if due_on is None:
            raise FieldError("due_on", _("Enter a due date."))
        return rule, None, due_on
    if days is None or not 1 <= int(days) <= MAX_DUE_DAYS:
        raise FieldError("due_days", _("Enter a number of days from 1 to %(max)s.", max=MAX_DUE_DAYS))
    return rule, int(days), today + timedelta(days=int(days))


def checked_reminder_days(raw: str | None) -> str | None:
    """ "7,1" -> "7,1" (days before the due date, largest first); empty: the organisation's default."""
    text = (raw or "").replace(" ", "").strip(",")
    if not text:
        return None
    try:
        days = sorted({int(part) for part in text.split(",") if part}, reverse=True)
    except ValueError:
        raise FieldError(
            "reminder_days", _("Write the reminder days as numbers separated by commas, e.g. 7,1.")
        ) from None
    if not days or any(not 0 <= d <= 365 for d in days) or len(days) > 6:
        raise FieldError("reminder_days", _("Give up to six reminder days, each from 0 to 365."))
    return ",".join(str(d) for d in days)


def remove(actor: User, assignment: Assignment) -> None:
    audit.record(
        "assignment.removed",
        actor=actor,
        target_type="assignment",
        target_id=assignment.id,
        details={"item": assignment.item_key, "target": assignment.target_key},
    )
    db.session.delete(assignment)


@dataclass(frozen=True)
class Person:
    """The facts about a person that decide which assignments reach them."""

    id: int
    team_id: int | None
    job_role: str | None


def team_ancestry(team_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Each team with itself and every team above it: an assignment to a department reaches its teams.
    `team_ids`: only these teams' chains, read branch by branch (`tree.chains_of`: a page of people, or the few
    people a change reaches, needs a few of thousands); None: every team, from one read of the whole tree."""
    if team_ids is not None:
        return tree.chains_of(team_ids)
    parents = dict(db.session.execute(select(Team.id, Team.parent_id)).all())
    chains: dict[int, list[int]] = {}
    for team_id in parents:
        chain, current, seen = [], team_id, set()
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = parents.get(current)
        chains[team_id] = chain
    return chains


def _chain_of(team_id: int):
    """A team and every team above it, with its distance from `team_id` (a recursive CTE; bounded, so a loop in
    the hierarchy cannot run away: `team_ancestry` stops at one too)."""
    up = select(Team.id, Team.parent_id, literal(0).label("depth")).where(Team.id == team_id).cte(recursive=True)
    parent = aliased(Team)
    return up.union(
        select(parent.id, parent.parent_id, (up.c.depth + 1).label("depth"))
        .join(up, parent.id == up.c.parent_id)
        .where(up.c.depth < 64)
    )


@dataclass(frozen=True)
class DueItem:
    """A course a person has to do, by when, through which assignment (the earliest due one wins)."""

    due_on: date
    assignment_id: int
    reminder_days: str | None


def relative_due(rule: str, days: int | None, fixed: date, assigned_on: date, joined_on: date | None) -> date:
    """A person's due date under an assignment: the fixed date, or N days after the later of the assignment and
    the person's arrival in the team (a newcomer gets the full N days), or N days after joining the team."""
    if rule == DueRule.FIXED or days is None:
        return fixed
    joined = joined_on or assigned_on
    if rule == DueRule.AFTER_JOINING:
        return joined + timedelta(days=days)
    return max(assigned_on, joined) + timedelta(days=days)


def _due_columns() -> tuple:
    return (
        Assignment.id,
        Assignment.course_id,
        Assignment.path_id,
        Assignment.team_id,
        Assignment.user_id,
        Assignment.job_role,
        Assignment.due_on,
        Assignment.due_rule,
        Assignment.due_days,
        Assignment.reminder_days,
        Assignment.created_at,
    )


@cache
def _own_assignments_statement(with_team: bool, with_role: bool) -> Select:
    """The assignments that reach one person: theirs, their team's and every team's above it (with the depth of
    that team above theirs, their own: 0), their job role's. Built once: every learner's dashboard runs it."""
    conditions = [Assignment.user_id == bindparam("user_id")]
    columns = list(_due_columns())
    if with_team:
        chain = _chain_of(bindparam("team_id"))
        conditions.append(Assignment.team_id.in_(select(chain.c.id)))
        depth = select(func.min(chain.c.depth)).where(chain.c.id == Assignment.team_id).scalar_subquery()
        columns.append(depth.label("depth"))
    if with_role:
        conditions.append(Assignment.job_role == bindparam("job_role"))
    return select(*columns).where(or_(*conditions))


def due_items(people: Iterable[Person], *, one_person: bool = False) -> dict[int, dict[int, DueItem]]:
    """For each person, the courses assigned to them (directly, through a team above them or their job role),
    each with its earliest due date. A fixed number of queries, whatever the number of people.

    `one_person`: a person's own page (dashboard, transcript), where the teams above theirs are read in the same
    statement as the assignments. Lists never set it, so their query count does not change with their length."""
    people = list(people)
    if not people:
        return {}
    chain = None  # one person (a learner's own page): the teams above theirs come with the assignments
    if one_person and len(people) == 1:
        person = people[0]
        chain = person.team_id is not None
        statement = _own_assignments_statement(chain, bool(person.job_role))
        parameters = {"user_id": person.id, "team_id": person.team_id, "job_role": person.job_role}
        rows = queries.run(statement, parameters).all()
        ancestry: dict[int, list[int]] = {}
    else:
        roles = {p.job_role for p in people if p.job_role}
        # Large groups fetch every personal assignment rather than sending thousands of ids in one IN list.
        conditions = (
            [Assignment.user_id.in_([p.id for p in people])]
            if len(people) <= 1000
            else [Assignment.user_id.is_not(None)]
        )
        own_teams = {p.team_id for p in people if p.team_id is not None}
        ancestry = team_ancestry(own_teams) if own_teams else {}  # the chains of these people's teams only
        team_ids = {t for p in people if p.team_id is not None for t in ancestry.get(p.team_id, [p.team_id])}
        if team_ids:
            conditions.append(Assignment.team_id.in_(team_ids))
        if roles:
            conditions.append(Assignment.job_role.in_(roles))
        rows = db.session.execute(select(*_due_columns()).where(or_(*conditions))).all()
    if chain:
        teams = sorted({(row.depth, row.team_id) for row in rows if row.team_id is not None})
        ancestry = {people[0].team_id: [team_id for _depth, team_id in teams]}
    path_courses: dict[int, list[int]] = defaultdict(list)
    if any(r.path_id for r in rows):
        for path_id, course_id in db.session.execute(
            select(LearningPathCourse.path_id, LearningPathCourse.course_id).order_by(LearningPathCourse.position)
        ):
            path_courses[path_id].append(course_id)
    joined: dict[int, date] = {}
    if any(r.due_rule != DueRule.FIXED for r in rows):
        # When each person joined their team (or, before anyone recorded it, when the account was made).
        ids = [p.id for p in people]
        query = select(User.id, func.coalesce(User.team_joined_at, User.created_at))
        if len(ids) <= 1000:
            query = query.where(User.id.in_(ids))
        joined = {
            uid: (when.date() if isinstance(when, datetime) else _as_date(when))
            for uid, when in db.session.execute(query)
        }
    by_team: dict[int, list] = defaultdict(list)
    by_user: dict[int, list] = defaultdict(list)
    by_role: dict[str, list] = defaultdict(list)
    for row in rows:
        if row.team_id is not None:
            by_team[row.team_id].append(row)
        elif row.user_id is not None:
            by_user[row.user_id].append(row)
        else:
            by_role[row.job_role].append(row)
    result: dict[int, dict[int, DueItem]] = {}
    for person in people:
        mine: dict[int, DueItem] = {}
        relevant = list(by_user.get(person.id, ()))
        if person.team_id is not None:
            for team_id in ancestry.get(person.team_id, [person.team_id]):
                relevant.extend(by_team.get(team_id, ()))
        if person.job_role:
            relevant.extend(by_role.get(person.job_role, ()))
        for row in relevant:
            due = relative_due(row.due_rule, row.due_days, row.due_on, row.created_at.date(), joined.get(person.id))
            for course_id in [row.course_id] if row.course_id else path_courses[row.path_id]:
                if course_id not in mine or due < mine[course_id].due_on:
                    mine[course_id] = DueItem(due, row.id, row.reminder_days)
        result[person.id] = mine
    return result


def _as_date(value) -> date:
    # SQLite hands COALESCE of two datetimes back as text.
    return datetime.fromisoformat(str(value)).date()


def due_dates(people: Iterable[Person]) -> dict[int, dict[int, date]]:
    """For each person, the courses assigned to them with their earliest due dates (see `due_items`)."""
    return {
        person_id: {course_id: item.due_on for course_id, item in items.items()}
        for person_id, items in due_items(people).items()
    }


def due_dates_of(person: Person) -> dict[int, date]:
    """One person's assigned courses with their earliest due dates, for their own page (see `due_items`)."""
    items = due_items([person], one_person=True).get(person.id, {})
    return {course_id: item.due_on for course_id, item in items.items()}


def assignments_in_scope(team_ids: set[int] | None) -> list[Assignment]:
    """Assignments a viewer may see: all (admins, team_ids None) or those targeting their teams or people. The
    per-person assignments that follow from training requirements are listed with the requirements instead."""
    query = (
        select(Assignment)
        .where(Assignment.requirement_id.is_(None))
        .options(
            selectinload(Assignment.course),
            selectinload(Assignment.path),
            selectinload(Assignment.team),
            selectinload(Assignment.user),
        )
        .order_by(Assignment.due_on, Assignment.id)
    )
    if team_ids is not None:
        people = select(User.id).where(User.team_id.in_(team_ids))
        query = query.where(or_(Assignment.team_id.in_(team_ids), Assignment.user_id.in_(people)))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AssignmentInput:
    """What a manager asked for, from the page or the API: one item (by id or slug), one target, a due date
    (fixed, or a number of days after being assigned or joining the team)."""

    due_on: date | None
    course_id: int | None = None
    course_slug: str | None = None
    path_id: int | None = None
    path_slug: str | None = None
    team_id: int | None = None
    person_email: str | None = None
    job_role: str | None = None
    due_rule: str = DueRule.FIXED
    due_days: int | None = None
    reminder_days: str | None = None


def assign_from_input(actor: User, scope: set[int] | None, data: AssignmentInput) -> tuple[Assignment, bool]:
    """Check the request against what `actor` may reach (scope: their team ids, None for everything) and assign.
    Raises FieldError naming the input at fault."""
    if data.due_rule == DueRule.FIXED and data.due_on is None:
        raise FieldError("due_on", _("Enter a due date."))
    course, path = _requested_item(data)
    return assign(
        actor,
        course=course,
        path=path,
        due_on=data.due_on,
        due_rule=data.due_rule,
        due_days=data.due_days,
        reminder_days=data.reminder_days,
        **_requested_target(data, scope),
    )


def _requested_item(data: AssignmentInput) -> tuple[Course | None, LearningPath | None]:
    if data.course_id is not None or data.course_slug:
        by_course = Course.id == data.course_id if data.course_id is not None else Course.slug == data.course_slug
        course = db.session.scalar(select(Course).where(by_course, is_published()))
        if course is not None:
            return course, None
    elif data.path_id is not None or data.path_slug:
        by_path = LearningPath.id == data.path_id if data.path_id is not None else LearningPath.slug == data.path_slug
        path = db.session.scalar(select(LearningPath).where(by_path))
        if path is not None:
            return None, path
    raise FieldError("item", _("Choose a course or a learning path."))


def _requested_target(data: AssignmentInput, scope: set[int] | None) -> dict:
    """The one target asked for: {"team": ...}, {"user": ...} or {"job_role": ...}, within the actor's scope."""
    target: dict = {}
    if data.team_id is not None:
        team = db.session.get(Team, data.team_id)
        if team is None or (scope is not None and team.id not in scope):
            raise FieldError("team", _("Choose one of your teams."))
        target["team"] = team
    if data.person_email:
        person = db.session.scalar(select(User).where(User.email == data.person_email.strip().lower()))
        if person is None or (scope is not None and person.team_id not in scope):
            raise FieldError("person_email", _("Enter the email of a person in your teams."))
        target["user"] = person
    job_role = (data.job_role or "").strip()
    if job_role:
        if len(job_role) > JOB_ROLE_MAX:
            raise FieldError(
                "job_role", _("A job role has at most %(JOB_ROLE_MAX)s characters.", JOB_ROLE_MAX=JOB_ROLE_MAX)
            )
        target["job_role"] = job_role
    if not target:
        raise FieldError("target_type", _("Choose who the assignment is for."))
    return target


def item_choices() -> list[tuple[str, str]]:
    """What may be assigned, as (value, label) for a menu: published courses, then learning paths."""
    courses = db.session.execute(published_courses(Course.id, Course.title).order_by(Course.title))
    paths = db.session.execute(select(LearningPath.id, LearningPath.title).order_by(LearningPath.title))
    return [(f"course:{cid}", _("Course: %(title)s", title=title)) for cid, title in courses] + [
        (f"path:{pid}", _("Learning path: %(title)s", title=title)) for pid, title in paths
    ]
