"""The inventory of AI systems: create, edit and retire a system, with a history entry for every change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...enums import OrganisationRole, RiskClass, SystemStatus
from ...extensions import db
from ...models import AISystem, AISystemChange, AISystemJobRole, AISystemTeam, Team, User, utcnow
from .. import FieldError, audit

NAME_MAX = 120
TEXT_MAX = 4000
JOB_ROLE_MAX = 120
MAX_ITEMS = 50  # data classes, links, job roles per system


@dataclass(frozen=True)
class SystemInput:
    """A system as entered on the page or sent to the API."""

    name: str
    vendor: str = ""
    organisation_role: str = OrganisationRole.DEPLOYER.value
    purpose: str = ""
    risk_class: str = RiskClass.NOT_ASSESSED.value
    risk_note: str = ""
    owner_email: str | None = None
    data_classes: list[str] = field(default_factory=list)
    status: str = SystemStatus.PILOT.value
    links: list[dict[str, str]] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)
    job_roles: list[str] = field(default_factory=list)


def _text(value: str | None, name: str, max_len: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise FieldError(name, _("This field is required."))
    if len(text) > max_len:
        raise FieldError(name, _("At most %(max)s characters.", max=max_len))
    return text


def _choice(value: str, name: str, enum) -> str:
    if value not in {m.value for m in enum}:
        raise FieldError(name, _("Choose one of the options."))
    return value


def _items(values: list[str], name: str, max_len: int) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    items = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if len(items) > MAX_ITEMS:
        raise FieldError(name, _("At most %(max)s entries.", max=MAX_ITEMS))
    for item in items:
        if len(item) > max_len:
            raise FieldError(name, _("Each entry has at most %(max)s characters.", max=max_len))
    return items


def _links(values: list[dict[str, str]]) -> list[dict[str, str]]:
    links = []
    for value in values[: MAX_ITEMS + 1]:
        url = (value.get("url") or "").strip()
        label = (value.get("label") or "").strip() or url
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500 or len(label) > 200:
            raise FieldError("links", _("Links must be web addresses starting with https:// or http://."))
        links.append({"label": label, "url": url})
    if len(links) > MAX_ITEMS:
        raise FieldError("links", _("At most %(max)s entries.", max=MAX_ITEMS))
    return links


def _owner(email: str | None) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    owner = db.session.scalar(select(User).where(User.email == email, User.active.is_(True)))
    if owner is None:
        raise FieldError("owner_email", _("Enter the email of an active account, or leave the owner empty."))
    return owner


def _teams(team_ids: list[int]) -> list[int]:
    wanted = sorted(set(team_ids))
    if not wanted:
        return []
    found = set(db.session.scalars(select(Team.id).where(Team.id.in_(wanted))))
    if found != set(wanted):
        raise FieldError("team_ids", _("Choose teams from the list."))
    return wanted


@dataclass(frozen=True)
class _Checked:
    values: dict
    owner: User | None
    team_ids: list[int]
    job_roles: list[str]


def _check(data: SystemInput, system: AISystem | None) -> _Checked:
    name = _text(data.name, "name", NAME_MAX, required=True)
    # Both sides lowered by the database: SQLite lowers ASCII letters only, and the same rule on each side can not
    # miss an exact repeat (which the unique key would refuse).
    taken = select(AISystem.id).where(func.lower(AISystem.name) == func.lower(name))
    if system is not None:
        taken = taken.where(AISystem.id != system.id)
    if db.session.scalar(taken) is not None:
        raise FieldError("name", _("An AI system with this name is already in the inventory."))
    values = {
        "name": name,
        "vendor": _text(data.vendor, "vendor", NAME_MAX),
        "organisation_role": _choice(data.organisation_role, "organisation_role", OrganisationRole),
        "purpose": _text(data.purpose, "purpose", TEXT_MAX),
        "risk_class": _choice(data.risk_class, "risk_class", RiskClass),
        "risk_note": _text(data.risk_note, "risk_note", TEXT_MAX),
        "data_classes": _items(data.data_classes, "data_classes", 120),
        "status": _choice(data.status, "status", SystemStatus),
        "links": _links(data.links),
    }
    owner = _owner(data.owner_email)
    return _Checked(values, owner, _teams(data.team_ids), _items(data.job_roles, "job_roles", JOB_ROLE_MAX))


def _snapshot(system: AISystem) -> dict:
    """The fields the history compares, in plain JSON."""
    return {
        "name": system.name,
        "vendor": system.vendor,
        "organisation_role": system.organisation_role,
        "purpose": system.purpose,
        "risk_class": system.risk_class,
        "risk_note": system.risk_note,
        "owner": system.owner.email if system.owner else None,
        "data_classes": list(system.data_classes or []),
        "status": system.status,
        "links": list(system.links or []),
        "teams": sorted(link.team.name for link in system.teams),
        "job_roles": sorted(link.job_role for link in system.job_roles),
    }


def _apply(system: AISystem, checked: _Checked) -> None:
    for key, value in checked.values.items():
        setattr(system, key, value)
    system.owner = checked.owner
    current_teams = {link.team_id: link for link in system.teams}
    for team_id in set(current_teams) - set(checked.team_ids):
        system.teams.remove(current_teams[team_id])
    for team_id in checked.team_ids:
        if team_id not in current_teams:
            system.teams.append(AISystemTeam(team_id=team_id, team=db.session.get(Team, team_id)))
    current_roles = {link.job_role: link for link in system.job_roles}
    for role in set(current_roles) - set(checked.job_roles):
        system.job_roles.remove(current_roles[role])
    for role in checked.job_roles:
        if role not in current_roles:
            system.job_roles.append(AISystemJobRole(job_role=role))


def _history(system: AISystem, actor: User | None, action: str, changes: dict, now: datetime) -> None:
    db.session.add(
        AISystemChange(
            system_id=system.id,
            at=now,
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else None,
            action=action,
            changes=changes,
        )
    )
    audit.record(
        f"ai_system.{action}",
        actor=actor,
        target_type="ai_system",
        target_id=system.id,
        details={"name": system.name, "changes": changes},
    )


def create_system(actor: User | None, data: SystemInput, now: datetime | None = None) -> AISystem:
    now = now or utcnow()
    checked = _check(data, None)
    system = AISystem(created_at=now, updated_at=now, teams=[], job_roles=[])
    _apply(system, checked)
    db.session.add(system)
    db.session.flush()
    after = _snapshot(system)
    _history(system, actor, "created", {key: {"old": None, "new": value} for key, value in after.items()}, now)
    db.session.flush()
    return system


def update_system(actor: User | None, system: AISystem, data: SystemInput, now: datetime | None = None) -> dict:
    """Apply the edits; returns what changed ({} when nothing did: no history entry is written)."""
    now = now or utcnow()
    checked = _check(data, system)
    before = _snapshot(system)
    _apply(system, checked)
    db.session.flush()
    after = _snapshot(system)
    changes = {key: {"old": before[key], "new": after[key]} for key in after if before[key] != after[key]}
    if changes:
        system.updated_at = now
        retired = before["status"] != SystemStatus.RETIRED and after["status"] == SystemStatus.RETIRED
        _history(system, actor, "retired" if retired else "updated", changes, now)
        db.session.flush()
    return changes


def retire_system(actor: User | None, system: AISystem, now: datetime | None = None) -> bool:
    """Mark a system retired: nobody uses it any more. Returns False when it already was."""
    if system.status == SystemStatus.RETIRED:
        return False
    now = now or utcnow()
    changes = {"status": {"old": system.status, "new": SystemStatus.RETIRED.value}}
    system.status = SystemStatus.RETIRED.value
    system.updated_at = now
    db.session.flush()
    _history(system, actor, "retired", changes, now)
    db.session.flush()
    return True


def as_input(system: AISystem) -> SystemInput:
    """A stored system as input (the form's starting values, or a base for a partial API update)."""
    return SystemInput(
        name=system.name,
        vendor=system.vendor,
        organisation_role=system.organisation_role,
        purpose=system.purpose,
        risk_class=system.risk_class,
        risk_note=system.risk_note,
        owner_email=system.owner.email if system.owner else None,
        data_classes=list(system.data_classes or []),
        status=system.status,
        links=list(system.links or []),
        team_ids=[link.team_id for link in system.teams],
        job_roles=[link.job_role for link in system.job_roles],
    )


def _with_links():
    return (
        selectinload(AISystem.owner),
        selectinload(AISystem.teams).selectinload(AISystemTeam.team),
        selectinload(AISystem.job_roles),
    )


def systems(*, include_retired: bool = True) -> list[AISystem]:
    """Every system with its owner, teams and job roles (four queries), in name order."""
    query = select(AISystem).options(*_with_links()).order_by(func.lower(AISystem.name))
    if not include_retired:
        query = query.where(AISystem.status != SystemStatus.RETIRED.value)
    return list(db.session.scalars(query))


def system_by_id(system_id: int) -> AISystem | None:
    return db.session.scalar(select(AISystem).options(*_with_links()).where(AISystem.id == system_id))


def history(system: AISystem) -> list[AISystemChange]:
    return list(
        db.session.scalars(
            select(AISystemChange)
            .where(AISystemChange.system_id == system.id)
            .order_by(AISystemChange.at.desc(), AISystemChange.id.desc())
        )
    )


def job_role_choices() -> list[str]:
    """Job roles people hold today, for suggestions (one query)."""
    return [
        role
        for role in db.session.scalars(
            select(User.job_role).where(User.job_role.is_not(None), User.active.is_(True)).distinct()
        )
        if role
    ]


def system_choices() -> list[tuple[int, str]]:
    """(id, name) of the systems in use, for filters (one query)."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(AISystem.id, AISystem.name)
            .where(AISystem.status != SystemStatus.RETIRED.value)
            .order_by(func.lower(AISystem.name))
        )
    ]
