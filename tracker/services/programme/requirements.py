"""Training requirements per AI system and/or job role, who uses which system, and the assignments that follow.

A requirement reaches the active people who use its system (through their team, a team above it, or their job
role) and, when it names a job role, hold that role. Its courses and learning paths become assignments of each
person it reaches (marked with the requirement), created when the person starts to use the system and removed
when they stop, when the system is retired or when the requirement goes. Manual assignments are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from ...enums import SystemStatus
from ...extensions import db
from ...inputs import database_id, is_digits
from ...models import (
    AISystem,
    AISystemJobRole,
    AISystemTeam,
    Assignment,
    Course,
    LearningPath,
    Policy,
    TrainingRequirement,
    User,
    utcnow,
)
from .. import FieldError, audit
from ..organisation.assignments import Person, team_ancestry
from ..queries import is_published

JOB_ROLE_MAX = 120
AUTO_TARGET = "user:{user}/requirement:{requirement}"  # the target key of an automatic assignment


# --------------------------------------------------------------------------- who uses what


@dataclass(frozen=True)
class Usage:
    """Which systems in use reach which teams and job roles; answers "which systems does this person use"."""

    names: dict[int, str]  # system id -> name, systems in use only (pilot or approved), in name order
    by_team: dict[int, set[int]]  # team id -> systems assigned to that very team
    by_role: dict[str, set[int]]  # job role -> systems
    ancestry: dict[int, list[int]]  # team id -> itself and every team above

    def systems_of(self, team_id: int | None, job_role: str | None) -> set[int]:
        found: set[int] = set()
        if team_id is not None:
            for team in self.ancestry.get(team_id, [team_id]):
                found |= self.by_team.get(team, set())
        if job_role:
            found |= self.by_role.get(job_role, set())
        return found


def systems_in_use(system_ids: Iterable[int] | None = None) -> dict[int, str]:
    """System id -> name of the systems in use (pilot or approved), in name order: one query."""
    query = select(AISystem.id, AISystem.name).where(AISystem.status != SystemStatus.RETIRED.value)
    if system_ids is not None:
        query = query.where(AISystem.id.in_(list(system_ids)))
    return dict(sorted(db.session.execute(query).all(), key=lambda item: item[1].casefold()))


def usage(system_ids: Iterable[int] | None = None, *, team_ids: Iterable[int] | None = None) -> Usage:
    """Three queries (systems, their teams and roles) plus the team tree, whatever the number of people.
    `team_ids`: the teams of the people asked about (their branches of the tree are read, not the whole tree)."""
    names = systems_in_use(system_ids)
    by_team: dict[int, set[int]] = defaultdict(set)
    by_role: dict[str, set[int]] = defaultdict(set)
    if names:
        for system_id, team_id in db.session.execute(
            select(AISystemTeam.system_id, AISystemTeam.team_id).where(AISystemTeam.system_id.in_(names))
        ):
            by_team[team_id].add(system_id)
        for system_id, role in db.session.execute(
            select(AISystemJobRole.system_id, AISystemJobRole.job_role).where(AISystemJobRole.system_id.in_(names))
        ):
            by_role[role].add(system_id)
    return Usage(names, dict(by_team), dict(by_role), team_ancestry(team_ids))


# --------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class RequirementRow:
    """A requirement as plain data (for the resolution below, coverage and the evidence pack)."""

    id: int
    system_id: int | None
    job_role: str | None
    course_id: int | None
    path_id: int | None
    policy_id: int | None
    due_days: int

    def reaches(self, systems: set[int], job_role: str | None) -> bool:
        if self.job_role is not None and self.job_role != job_role:
            return False
        return self.system_id is None or self.system_id in systems


def requirement_rows() -> list[RequirementRow]:
    columns = (
        TrainingRequirement.id,
        TrainingRequirement.system_id,
        TrainingRequirement.job_role,
        TrainingRequirement.course_id,
        TrainingRequirement.path_id,
        TrainingRequirement.policy_id,
        TrainingRequirement.due_days,
    )
    return [RequirementRow(*row) for row in db.session.execute(select(*columns).order_by(TrainingRequirement.id))]


def requirements_for(person: Person, use: Usage, rows: list[RequirementRow]) -> list[RequirementRow]:
    systems = use.systems_of(person.team_id, person.job_role)
    return [r for r in rows if r.reaches(systems, person.job_role)]


@dataclass(frozen=True)
class RequirementInput:
    item: str  # "course:5", "path:2" or "policy:1"
    system_id: int | None = None
    job_role: str | None = None
    due_days: int = 30


def _item(value: str) -> dict[str, int]:
    kind, _sep, raw_id = (value or "").partition(":")
    models = {"course": Course, "path": LearningPath, "policy": Policy}
    # ASCII digits only: the text is also the requirement's key, so one item has one spelling.
    item_id = database_id(raw_id) if is_digits(raw_id) else None
    if kind not in models or item_id is None:
        raise FieldError("item", _("Choose a course, a learning path or a policy."))
    found = db.session.get(models[kind], item_id)
    if found is None or (kind == "course" and not found.published):
        raise FieldError("item", _("Choose a course, a learning path or a policy."))
    return {f"{kind}_id": found.id}


def create_requirement(actor: User | None, data: RequirementInput) -> TrainingRequirement:
    job_role = (data.job_role or "").strip() or None
    if job_role is not None and len(job_role) > JOB_ROLE_MAX:
        raise FieldError("job_role", _("A job role has at most %(max)s characters.", max=JOB_ROLE_MAX))
    if data.system_id is None and job_role is None:
        raise FieldError("system_id", _("Choose an AI system, a job role, or both."))
    system = db.session.get(AISystem, data.system_id) if data.system_id is not None else None
    if data.system_id is not None and system is None:
        raise FieldError("system_id", _("Choose an AI system from the inventory."))
    if not 0 <= data.due_days <= 3650:
        raise FieldError("due_days", _("Enter a number of days from 0 to 3650."))
    item = _item(data.item)
    scope_key = "|".join(
        part for part in (f"system:{system.id}" if system else "", f"role:{job_role}" if job_role else "") if part
    )
    item_key = data.item.strip()
    existing = db.session.scalar(
        select(TrainingRequirement).where(
            TrainingRequirement.scope_key == scope_key, TrainingRequirement.item_key == item_key
        )
    )
    if existing is not None:
        raise FieldError("item", _("This requirement exists already."))
    requirement = TrainingRequirement(
        system_id=system.id if system else None,
        job_role=job_role,
        due_days=data.due_days,
        scope_key=scope_key,
        item_key=item_key,
        created_by_id=actor.id if actor else None,
        **item,
    )
    db.session.add(requirement)
    db.session.flush()
    audit.record(
        "requirement.created",
        actor=actor,
        target_type="requirement",
        target_id=requirement.id,
        details={"scope": scope_key, "item": item_key, "due_days": data.due_days},
    )
    return requirement


def remove_requirement(actor: User | None, requirement: TrainingRequirement) -> int:
    """Remove a requirement and the assignments that followed from it; returns how many assignments ended."""
    ended = db.session.execute(delete(Assignment).where(Assignment.requirement_id == requirement.id)).rowcount
    audit.record(
        "requirement.removed",
        actor=actor,
        target_type="requirement",
        target_id=requirement.id,
        details={"scope": requirement.scope_key, "item": requirement.item_key, "assignments_ended": ended},
    )
    db.session.delete(requirement)
    db.session.flush()
    return ended


def requirements_list() -> list[TrainingRequirement]:
    return list(
        db.session.scalars(
            select(TrainingRequirement)
            .options(
                selectinload(TrainingRequirement.system),
                selectinload(TrainingRequirement.course),
                selectinload(TrainingRequirement.path),
                selectinload(TrainingRequirement.policy),
            )
            .order_by(
                TrainingRequirement.system_id.is_(None),
                TrainingRequirement.system_id,
                TrainingRequirement.job_role,
                TrainingRequirement.id,
            )
        )
    )


def item_choices() -> list[tuple[str, str]]:
    """What a requirement may ask for, as (value, label): published courses, learning paths, policies."""
    courses = db.session.execute(select(Course.id, Course.title).where(is_published()).order_by(Course.title))
    paths = db.session.execute(select(LearningPath.id, LearningPath.title).order_by(LearningPath.title))
    policies = db.session.execute(select(Policy.id, Policy.title).order_by(Policy.title))
    return (
        [(f"course:{i}", _("Course: %(title)s", title=t)) for i, t in courses]
        + [(f"path:{i}", _("Learning path: %(title)s", title=t)) for i, t in paths]
        + [(f"policy:{i}", _("Acknowledge policy: %(title)s", title=t)) for i, t in policies]
    )


# --------------------------------------------------------------------------- automatic assignments


@dataclass
class SyncResult:
    created: int = 0
    ended: int = 0
    people: set[int] = field(default_factory=set)


def sync(
    actor: User | None = None, *, people_ids: Iterable[int] | None = None, now: datetime | None = None
) -> SyncResult:
    """Bring the automatic assignments in line with the requirements: for everyone, or for the given people
    (after their team, job role or account changed). A fixed number of queries, whatever the number of people."""
    now = now or utcnow()
    wanted_ids = None if people_ids is None else sorted(set(people_ids))
    if wanted_ids == []:
        return SyncResult()
    use = usage()
    rows = [r for r in requirement_rows() if r.course_id is not None or r.path_id is not None]
    people_query = select(User.id, User.team_id, User.job_role).where(User.active.is_(True))
    existing_query = select(Assignment.id, Assignment.user_id, Assignment.requirement_id).where(
        Assignment.requirement_id.is_not(None)
    )
    if wanted_ids is not None:
        people_query = people_query.where(User.id.in_(wanted_ids))
        existing_query = existing_query.where(Assignment.user_id.in_(wanted_ids))
    desired: dict[tuple[int, int], RequirementRow] = {}
    for person in db.session.execute(people_query):
        for requirement in requirements_for(Person(*person), use, rows):
            desired[(person.id, requirement.id)] = requirement
    existing = {(row.user_id, row.requirement_id): row.id for row in db.session.execute(existing_query)}
    result = SyncResult()
    ended_ids = [assignment_id for key, assignment_id in existing.items() if key not in desired]
    for start in range(0, len(ended_ids), 500):
        db.session.execute(delete(Assignment).where(Assignment.id.in_(ended_ids[start : start + 500])))
    result.ended = len(ended_ids)
    result.people.update(key[0] for key in existing if key not in desired)
    new_rows = []
    for (user_id, requirement_id), requirement in desired.items():
        if (user_id, requirement_id) in existing:
            continue
        item_key = f"course:{requirement.course_id}" if requirement.course_id else f"path:{requirement.path_id}"
        new_rows.append(
            {
                "course_id": requirement.course_id,
                "path_id": requirement.path_id,
                "user_id": user_id,
                "item_key": item_key,
                "target_key": AUTO_TARGET.format(user=user_id, requirement=requirement_id),
                "due_on": (now + timedelta(days=requirement.due_days)).date(),
                "created_at": now,
                "requirement_id": requirement_id,
            }
        )
        result.people.add(user_id)
    if new_rows:
        db.session.execute(insert(Assignment), new_rows)  # bulk: one statement batch for thousands of people
    result.created = len(new_rows)
    if result.created or result.ended:
        people = sorted(result.people)
        audit.record(
            "requirement.assignments_synced",
            actor=actor,
            target_type="requirement",
            details={
                "created": result.created,
                "ended": result.ended,
                "people": people[:200],
                "people_count": len(people),
            },
        )
    db.session.flush()
    return result


def auto_assignment_counts() -> dict[int, int]:
    """requirement id -> number of people it has an assignment for (one grouped query)."""
    return dict(
        db.session.execute(
            select(Assignment.requirement_id, func.count())
            .where(Assignment.requirement_id.is_not(None))
            .group_by(Assignment.requirement_id)
        ).all()
    )
