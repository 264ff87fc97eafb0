"""The managers' weekly digest of their teams (overdue, expiring, newly completed), by email and to each team's
webhook, once per ISO week."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from ...enums import NotificationKind
from ...extensions import db
from ...models import Certificate, Completion, Course, Team, User, team_managers, utcnow
from ..organisation.assignments import Person, due_items
from ..organisation.teams import managed_team_ids
from ..queries import current_certificates
from . import content
from .daily import DailyRun, _bind, _Planned, _record

EXPIRING_WINDOW = timedelta(days=30)


def _week_key(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def run_weekly_digest(now: datetime | None = None) -> DailyRun:
    now = now or utcnow()
    today = now.date()
    week = _week_key(now)
    people = list(db.session.scalars(select(User).where(User.active.is_(True))))
    by_team: dict[int, list[User]] = defaultdict(list)
    for person in people:
        if person.team_id is not None:
            by_team[person.team_id].append(person)
    titles = dict(db.session.execute(select(Course.id, Course.title)).all())
    completed_pairs = set(map(tuple, db.session.execute(select(Completion.user_id, Completion.course_id).distinct())))
    overdue_of: dict[int, list[str]] = defaultdict(list)
    for person_id, courses in due_items(Person(p.id, p.team_id, p.job_role) for p in people).items():
        for course_id, item in courses.items():
            if item.due_on < today and (person_id, course_id) not in completed_pairs and course_id in titles:
                overdue_of[person_id].append(titles[course_id])
    expiring_of: dict[int, list[str]] = defaultdict(list)
    for user_id, title in db.session.execute(
        current_certificates(Certificate.user_id, Certificate.course_title).where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_at > now,
            Certificate.expires_at <= now + EXPIRING_WINDOW,
        )
    ):
        expiring_of[user_id].append(title)
    completed_of: dict[int, list[str]] = defaultdict(list)
    for user_id, course_id in db.session.execute(
        select(Completion.user_id, Completion.course_id).where(Completion.completed_at > now - timedelta(days=7))
    ):
        completed_of[user_id].append(titles.get(course_id, ""))

    def lines(team_ids: set[int]):
        members = [p for t in team_ids for p in by_team.get(t, ())]
        members.sort(key=lambda p: p.display_name.casefold())
        overdue = [f"{p.display_name} – {t}" for p in members for t in overdue_of.get(p.id, ())]
        expiring = [f"{p.display_name} – {t}" for p in members for t in expiring_of.get(p.id, ())]
        completed = [f"{p.display_name} – {t}" for p in members for t in completed_of.get(p.id, ())]
        return overdue, expiring, completed

    planned: list[_Planned] = []
    manager_ids = set(db.session.scalars(select(team_managers.c.user_id).distinct()))
    for manager in (p for p in people if p.id in manager_ids):
        overdue, expiring, completed = lines(managed_team_ids(manager))
        planned.append(
            _Planned(
                NotificationKind.MANAGER_DIGEST,
                manager,
                f"digest:{manager.id}:{week}",
                _bind(content.digest, manager.display_name, overdue, expiring, completed),
            )
        )
    for team in db.session.scalars(select(Team).where(Team.webhook_url.is_not(None))):
        overdue, expiring, completed = lines({team.id})
        planned.append(
            _Planned(
                NotificationKind.MANAGER_DIGEST,
                None,
                f"digest-webhook:{team.id}:{week}",
                _bind(content.digest, team.name, overdue, expiring, completed),
                webhook=(team, team.webhook_url),
            )
        )
    return _record(planned)
