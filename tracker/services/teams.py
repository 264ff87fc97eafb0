"""Teams and their hierarchy: a department contains teams; a manager sees their teams and everything below."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Role, Team, User


def managed_team_ids(user: User) -> set[int]:
    """Ids of the teams a user manages and all their descendants, in one recursive query."""
    if user.role not in (Role.MANAGER, Role.ADMIN):
        return set()
    tree = select(Team.id).where(Team.manager_id == user.id).cte("managed", recursive=True)
    tree = tree.union_all(select(Team.id).where(Team.parent_id == tree.c.id))
    return set(db.session.scalars(select(tree.c.id)))


def managed_user_ids(user: User) -> set[int]:
    team_ids = managed_team_ids(user)
    if not team_ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.team_id.in_(team_ids))))
