"""Teams and their hierarchy: a department is a team with child teams; a manager sees their teams and everything
below. Reading the tree, managers' reach, and administering names, parents and managers."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select, true, union
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...mail import webhooks
from ...models import Assignment, Role, Team, User, team_managers
from .. import DomainError, audit
from . import tree


def managed_team_ids(user: User) -> set[int]:
    """Ids of the teams a user manages and all their descendants, in one recursive query."""
    if user.role not in (Role.MANAGER, Role.ADMIN):
        return set()
    tree = select(team_managers.c.team_id.label("id")).where(team_managers.c.user_id == user.id)
    tree = tree.cte("managed", recursive=True)
    tree = tree.union_all(select(Team.id).where(Team.parent_id == tree.c.id))
    return set(db.session.scalars(select(tree.c.id)))


def descendant_ids_of(team_id: int) -> set[int]:
    """A team and every team below it, in one recursive query (UNION, so a cycle in bad data still ends)."""
    tree = select(Team.id).where(Team.id == team_id).cte("subtree", recursive=True)
    tree = tree.union(select(Team.id).where(Team.parent_id == tree.c.id))
    return set(db.session.scalars(select(tree.c.id)))


def teams_in_scope(scope: set[int] | None) -> list[Team]:
    """Teams a viewer may choose from (scope: their team ids, None for every team), by name."""
    query = select(Team).order_by(Team.name)
    if scope is not None:
        query = query.where(Team.id.in_(scope))
    return list(db.session.scalars(query))


FILTER_LIMIT = 100  # a team filter lists every team up to this many; beyond, the tree around the chosen team


@dataclass(frozen=True)
class TeamChoices:
    """The teams a filter offers: (id, name, "Parent / Team" path), and whether that is every team in scope."""

    teams: list[tuple[int, str, str]]
    complete: bool

    @property
    def by_name(self) -> list[tuple[int, str]]:
        return [(team_id, name) for team_id, name, _path in self.teams]

    @property
    def by_path(self) -> list[tuple[int, str]]:
        return [(team_id, path) for team_id, _name, path in self.teams]


def filter_choices(scope: set[int] | None, current: int | None = None, limit: int = FILTER_LIMIT) -> TeamChoices:
    """The teams a filter offers (scope: the viewer's team ids, None for all). Up to `limit` teams in scope: all of
    them, by name. Beyond: the top-level teams of the scope (the first `limit`), and around the chosen team its
    ancestors and its sub-teams, by path, so that a large tree is walked down one level at a time rather than sent
    as thousands of options. The teams offered and their paths come from one statement (and an admin's count of
    teams from another): a page reads a few dozen teams, not the whole tree (4,400 at 100,000 people)."""
    teams = Team.__table__.c
    visible = teams.id.in_(sorted(scope)) if scope is not None else true()
    total = len(scope) if scope is not None else db.session.scalar(select(func.count()).select_from(Team.__table__))
    complete = total <= limit
    if complete:
        starts = select(teams.id).where(visible)
    else:
        top = teams.parent_id.is_(None)
        if scope is not None:
            top = or_(top, teams.parent_id.not_in(sorted(scope)))
        roots = select(teams.id).where(visible, top).order_by(func.lower(teams.name), teams.id).limit(limit)
        parts = [select(roots.subquery().c.id)]
        if current is not None and (scope is None or current in scope):
            parts += [select(teams.id).where(teams.id == current), select(teams.id).where(teams.parent_id == current)]
        starts = union(*parts)
    chains = tree.chains(starts)
    if complete:
        chosen = [(team_id, chain[0][1], _path(chain)) for team_id, chain in chains.items()]
        return TeamChoices(sorted(chosen, key=lambda t: (t[1].casefold(), t[0])), True)
    paths = {}
    for chain in chains.values():
        for at, (team_id, _name) in enumerate(chain):
            paths.setdefault(team_id, _path(chain[at:]))
    picked = set(chains)
    for team_id, _name in chains.get(current, [])[1:]:  # the chosen team's ancestors, up to the edge of the scope
        if scope is not None and team_id not in scope:
            break
        picked.add(team_id)
    names = {team_id: name for chain in chains.values() for team_id, name in chain}
    chosen = [(team_id, names[team_id], paths[team_id]) for team_id in picked]
    return TeamChoices(sorted(chosen, key=lambda t: (t[2].casefold(), t[0])), False)


def _path(chain: list[tuple[int, str]]) -> str:
    """ "Department / Team" for a chain from a team up."""
    return " / ".join(name for _id, name in reversed(chain))


def teams_with_counts(scope: set[int] | None) -> list[tuple[Team, list[str], int]]:
    """Teams in scope with their managers' emails and number of active members (two queries)."""
    members = (
        select(User.team_id, func.count().label("members"))
        .where(User.active.is_(True))
        .group_by(User.team_id)
        .subquery()
    )
    query = (
        select(Team, func.coalesce(members.c.members, 0))
        .outerjoin(members, members.c.team_id == Team.id)
        .order_by(Team.name)
    )
    managers = select(team_managers.c.team_id, User.email).join(User, User.id == team_managers.c.user_id)
    if scope is not None:
        query = query.where(Team.id.in_(scope))
        managers = managers.where(team_managers.c.team_id.in_(scope))
    emails: dict[int, list[str]] = {}
    for team_id, email in db.session.execute(managers.order_by(User.email)):
        emails.setdefault(team_id, []).append(email)
    return [(team, emails.get(team.id, []), count) for team, count in db.session.execute(query)]


def managed_user_ids(user: User) -> set[int]:
    team_ids = managed_team_ids(user)
    if not team_ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.team_id.in_(team_ids))))


MANAGER_ROLES = (Role.MANAGER.value, Role.ADMIN.value)


class TeamError(DomainError):
    """A refused team change; `field` names the input it is about (name, parent_id, manager_id)."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class TeamNode:
    team: Team
    members: int  # people in this team itself
    children: list[TeamNode] = field(default_factory=list)

    @property
    def total_members(self) -> int:
        """People in this team and every team below it."""
        return self.members + sum(child.total_members for child in self.children)


@dataclass(frozen=True)
class TeamInput:
    name: str
    parent_id: int | None
    manager_id: int | None
    webhook_url: str | None = None  # None: leave as it is; "": remove


def team_tree() -> list[TeamNode]:
    """Every team as a forest of top-level teams (departments) with their children, by name. Two queries."""
    teams = db.session.scalars(select(Team).options(selectinload(Team.managers)).order_by(Team.name, Team.id)).all()
    counts = dict(
        db.session.execute(
            select(User.team_id, func.count(User.id)).where(User.team_id.is_not(None)).group_by(User.team_id)
        ).all()
    )
    nodes = {team.id: TeamNode(team, counts.get(team.id, 0)) for team in teams}
    roots = []
    for team in teams:
        parent = nodes.get(team.parent_id) if team.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[team.id])
    return roots


def descendant_ids(team: Team) -> set[int]:
    """The team and every team below it."""
    return descendant_ids_of(team.id)


def parent_choices(team: Team | None = None) -> list[Team]:
    """Teams that may become the parent: any team, except the team itself and those below it."""
    excluded = descendant_ids(team) if team is not None else set()
    query = select(Team).order_by(Team.name)
    if excluded:
        query = query.where(Team.id.not_in(excluded))
    return list(db.session.scalars(query))


def manager_choices() -> list[User]:
    """Active managers and admins, the people who may manage a team."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(MANAGER_ROLES), User.active.is_(True))
            .order_by(User.display_name, User.email)
        )
    )


def _check(data: TeamInput, team: Team | None) -> tuple[str, Team | None, User | None]:
    name = " ".join(data.name.split())
    if not name:
        raise TeamError(_("Give the team a name."))
    if len(name) > 120:
        raise TeamError(_("A team name has at most 120 characters."))
    clash = select(Team.id).where(func.lower(Team.name) == name.lower())
    if team is not None:
        clash = clash.where(Team.id != team.id)
    if db.session.scalar(clash) is not None:
        raise TeamError(_("There is already a team called “%(name)s”.", name=name))

    parent = None
    if data.parent_id is not None:
        parent = db.session.get(Team, data.parent_id)
        if parent is None:
            raise TeamError(_("The chosen parent team does not exist."), "parent_id")
        if team is not None and parent.id in descendant_ids(team):
            raise TeamError(
                _("A team cannot be its own parent.")
                if parent.id == team.id
                else _(
                    "“%(parent)s” is below “%(team)s”: a team cannot be moved under one of its own teams.",
                    parent=parent.name,
                    team=team.name,
                ),
                "parent_id",
            )

    manager = None
    if data.manager_id is not None:
        manager = db.session.get(User, data.manager_id)
        if manager is None or manager.role not in MANAGER_ROLES or not manager.active:
            raise TeamError(_("The manager must be an active manager or admin."), "manager_id")
    return name, parent, manager


def create_team(actor: User, data: TeamInput) -> Team:
    name, parent, manager = _check(data, None)
    team = Team(name=name, parent=parent, manager=manager)
    db.session.add(team)
    db.session.flush()
    audit.record(
        "team.created",
        actor=actor,
        target_type="team",
        target_id=team.id,
        details={
            "name": name,
            "parent": parent.name if parent else None,
            "manager": manager.email if manager else None,
        },
    )
    return team


def update_team(actor: User, team: Team, data: TeamInput) -> dict[str, list[str | None]]:
    """Rename, move or change the manager; returns the changes as {field: [before, after]} (empty: nothing)."""
    name, parent, manager = _check(data, team)
    before = {"name": team.name, "parent": team.parent.name if team.parent else None}
    after = {"name": name, "parent": parent.name if parent else None}
    if manager is not None and manager not in team.managers:  # the edit form adds a manager; others stay
        before["manager"], after["manager"] = None, manager.email
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if data.webhook_url is not None:
        url = data.webhook_url.strip() or None
        if url is not None and (len(url) > 500 or not webhooks.valid_url(url)):
            raise TeamError(_("Enter the https:// address of a Teams or Slack incoming webhook."), "webhook_url")
        if url != team.webhook_url:
            changes["webhook"] = ["set" if team.webhook_url else None, "set" if url else None]  # never log the secret
            team.webhook_url = url
    if not changes:
        return changes
    team.name = name
    team.parent = parent
    if "manager" in changes:
        team.managers.append(manager)
    db.session.flush()
    audit.record("team.updated", actor=actor, target_type="team", target_id=team.id, details=changes)
    if "parent" in changes:  # the team's people now use the AI systems of its new department
        from ..programme import requirements

        requirements.sync(actor)
    return changes


def add_manager(actor: User, team: Team, user_id: int | None) -> bool:
    """Add a manager to the team (an active manager or admin); False when they already manage it."""
    manager = db.session.get(User, user_id) if user_id is not None else None
    if manager is None or manager.role not in MANAGER_ROLES or not manager.active:
        raise TeamError(_("The manager must be an active manager or admin."), "manager_id")
    if manager in team.managers:
        return False
    team.managers.append(manager)
    db.session.flush()
    audit.record(
        "team.manager_added", actor=actor, target_type="team", target_id=team.id, details={"manager": manager.email}
    )
    return True


def remove_manager(actor: User, team: Team, user_id: int) -> bool:
    """Remove one of the team's managers; False when that person does not manage it."""
    manager = next((m for m in team.managers if m.id == user_id), None)
    if manager is None:
        return False
    team.managers.remove(manager)
    db.session.flush()
    audit.record(
        "team.manager_removed", actor=actor, target_type="team", target_id=team.id, details={"manager": manager.email}
    )
    return True


def member_count(team: Team) -> int:
    """People in the team itself, active or not."""
    return db.session.scalar(select(func.count(User.id)).where(User.team_id == team.id)) or 0


def delete_team(actor: User, team: Team) -> None:
    """Only an empty team goes: no members (active or not) and no child teams."""
    members = member_count(team)
    children = db.session.scalar(select(func.count(Team.id)).where(Team.parent_id == team.id)) or 0
    if members or children:
        if members and children:
            message = _(
                "“%(name)s” still has %(members)s and %(children)s. Move them elsewhere before deleting the team.",
                name=team.name,
                members=ngettext("%(num)d member", "%(num)d members", members),
                children=ngettext("%(num)d team below it", "%(num)d teams below it", children),
            )
        elif members:
            message = ngettext(
                "“%(name)s” still has %(num)d member. Move them elsewhere before deleting the team.",
                "“%(name)s” still has %(num)d members. Move them elsewhere before deleting the team.",
                members,
                name=team.name,
            )
        else:
            message = ngettext(
                "“%(name)s” still has %(num)d team below it. Move it elsewhere before deleting the team.",
                "“%(name)s” still has %(num)d teams below it. Move them elsewhere before deleting the team.",
                children,
                name=team.name,
            )
        raise TeamError(message)
    # Assignments aimed at the team go with it (the database cascades); with no members they reached nobody.
    assignments = db.session.scalar(select(func.count(Assignment.id)).where(Assignment.team_id == team.id)) or 0
    audit.record(
        "team.deleted",
        actor=actor,
        target_type="team",
        target_id=team.id,
        details={
            "name": team.name,
            "parent": team.parent.name if team.parent else None,
            "assignments_removed": assignments,
        },
    )
    db.session.delete(team)
    db.session.flush()
