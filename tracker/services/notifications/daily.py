"""The daily reminders: due soon, overdue (then weekly), escalations to managers, expiring and expired
certificates. A fixed number of queries for the whole organisation, then one message per event not yet recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...enums import NotificationKind
from ...extensions import db
from ...inputs import is_digits
from ...models import Certificate, Completion, Course, MailMessage, Team, User, team_managers, utcnow
from .. import mail
from ..organisation.assignments import Person, due_items, team_ancestry
from ..queries import current_certificates
from . import content

EXPIRED_LOOKBACK = timedelta(days=30)  # an expiry older than this is not announced (a first run stays quiet)


def _days(raw: str) -> list[int]:
    return sorted({int(p) for p in str(raw).replace(" ", "").split(",") if is_digits(p.strip())}, reverse=True)


@dataclass
class DailyRun:
    candidates: int = 0
    recorded: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    message_ids: list[int] = field(default_factory=list)


@dataclass
class _Planned:
    kind: NotificationKind
    user: User
    key: str
    build: object
    webhook: tuple[Team, str] | None = None  # (team, url) for a post to the team's channel


def managers_by_team() -> dict[int, list[int]]:
    """Each team's managers: its own, or those of the nearest team above it that has any."""
    managers: dict[int, list[int]] = {}
    for team_id, user_id in db.session.execute(
        select(team_managers.c.team_id, team_managers.c.user_id).order_by(team_managers.c.user_id)
    ):
        managers.setdefault(team_id, []).append(user_id)
    result = {}
    for team_id, chain in team_ancestry().items():
        result[team_id] = next((managers[t] for t in chain if managers.get(t)), [])
    return result


def _first_threshold(days_left: int, thresholds: list[int]) -> int | None:
    """The smallest reminder day not yet passed: 7 and 1 give 7 from 7 to 2 days left, then 1. A day the schedule
    did not run is caught up the next day; each threshold fires once."""
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None


def run_daily(now: datetime | None = None) -> DailyRun:
    now = now or utcnow()
    today = now.date()
    config = current_app.config
    default_due_days = _days(config["REMINDER_DUE_DAYS"])
    repeat = max(1, int(config["REMINDER_OVERDUE_REPEAT_DAYS"]))
    escalate_after = int(config["ESCALATION_OVERDUE_DAYS"])
    expiring_days = _days(config["REMINDER_EXPIRING_DAYS"])

    people = list(db.session.scalars(select(User).where(User.active.is_(True))))
    by_id = {p.id: p for p in people}
    titles = dict(db.session.execute(select(Course.id, Course.title)).all())
    completed = set(map(tuple, db.session.execute(select(Completion.user_id, Completion.course_id).distinct())))
    team_manager = managers_by_team()
    webhooks = dict(db.session.execute(select(Team.id, Team.webhook_url).where(Team.webhook_url.is_not(None))).all())
    teams_by_id = {t.id: t for t in db.session.scalars(select(Team).where(Team.id.in_(webhooks)))} if webhooks else {}
    planned: list[_Planned] = []

    items = due_items(Person(p.id, p.team_id, p.job_role) for p in people)
    for person_id, courses in items.items():
        person = by_id[person_id]
        for course_id, item in courses.items():
            if (person_id, course_id) in completed or course_id not in titles:
                continue
            title, due_on = titles[course_id], item.due_on
            days_left = (due_on - today).days
            base = f"{person_id}:{course_id}:{due_on.isoformat()}"
            if days_left >= 0:
                threshold = _first_threshold(
                    days_left, _days(item.reminder_days) if item.reminder_days else default_due_days
                )
                if threshold is not None:
                    planned.append(
                        _Planned(
                            NotificationKind.DUE_SOON,
                            person,
                            f"due_soon:{base}:{threshold}",
                            _bind(content.due_soon, person.display_name, title, due_on, days_left),
                        )
                    )
                continue
            days_over = -days_left
            week = (days_over - 1) // repeat  # the day after the due date, then every `repeat` days
            planned.append(
                _Planned(
                    NotificationKind.OVERDUE,
                    person,
                    f"overdue:{base}:{week}",
                    _bind(content.overdue, person.display_name, title, due_on),
                )
            )
            if days_over > escalate_after and person.team_id is not None:
                for n, manager_id in enumerate(team_manager.get(person.team_id, [])):
                    manager = by_id.get(manager_id)
                    if manager is None or manager.id == person.id:
                        continue
                    # Each manager is told once; the first keeps the key escalations had with one manager per team.
                    planned.append(
                        _Planned(
                            NotificationKind.ESCALATION,
                            manager,
                            f"escalation:{base}" if n == 0 else f"escalation:{base}:{manager.id}",
                            _bind(
                                content.escalation, manager.display_name, person.display_name, title, due_on, days_over
                            ),
                        )
                    )
                url = webhooks.get(person.team_id)
                if url:
                    planned.append(
                        _Planned(
                            NotificationKind.ESCALATION,
                            person,
                            f"escalation-webhook:{person.team_id}:{base}",
                            _bind(
                                content.escalation,
                                teams_by_id[person.team_id].name,
                                person.display_name,
                                title,
                                due_on,
                                days_over,
                            ),
                            webhook=(teams_by_id[person.team_id], url),
                        )
                    )

    horizon = now + timedelta(days=max(expiring_days, default=0) + 1)
    certificates = db.session.execute(
        current_certificates(
            Certificate.id, Certificate.user_id, Certificate.course_id, Certificate.course_title, Certificate.expires_at
        ).where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_at.is_not(None),
            Certificate.expires_at <= horizon,
            Certificate.expires_at > now - EXPIRED_LOOKBACK,
        )
    ).all()
    renewed = _renewed_pairs(now)
    for cert in certificates:
        person = by_id.get(cert.user_id)
        if person is None or (cert.user_id, cert.course_id) in renewed:
            continue
        expires: date = cert.expires_at.date()
        if cert.expires_at <= now:
            planned.append(
                _Planned(
                    NotificationKind.CERTIFICATE_EXPIRED,
                    person,
                    f"cert_expired:{cert.id}",
                    _bind(content.certificate_expired, person.display_name, cert.course_title, expires),
                )
            )
            continue
        days_left = (expires - today).days
        threshold = _first_threshold(days_left, expiring_days)
        if threshold is not None:
            planned.append(
                _Planned(
                    NotificationKind.CERTIFICATE_EXPIRING,
                    person,
                    f"cert_expiring:{cert.id}:{threshold}",
                    _bind(content.certificate_expiring, person.display_name, cert.course_title, expires, days_left),
                )
            )
    return _record(planned)


def _renewed_pairs(now: datetime) -> set[tuple[int, int]]:
    """People who hold a later certificate of the same course (renewed): no expiry notice for the old one."""
    later = db.session.execute(
        current_certificates(Certificate.user_id, Certificate.course_id).where(
            Certificate.revoked_at.is_(None), Certificate.renews_id.is_not(None), Certificate.expires_at > now
        )
    )
    return set(map(tuple, later))


def _bind(func, *args):
    return lambda: func(*args)


def _record(planned: list[_Planned]) -> DailyRun:
    run = DailyRun(candidates=len(planned))
    existing = mail.recorded_keys(p.key for p in planned)
    opted_out = mail.all_opt_outs()
    messages: list[MailMessage] = []
    for plan in planned:
        if plan.key in existing:
            continue
        existing.add(plan.key)
        if plan.webhook is not None:
            message = _webhook_message(plan)
        else:
            message = mail.prepare(plan.kind, plan.user, plan.key, plan.build, opted_out=opted_out)
        if message is not None:
            messages.append(message)
    run.message_ids = mail.record(messages)
    run.recorded = len(run.message_ids)
    for message in messages:
        if message.id is not None:
            run.by_kind[message.kind] = run.by_kind.get(message.kind, 0) + 1
    return run


def _webhook_message(plan: _Planned) -> MailMessage:
    team, url = plan.webhook
    built = plan.build()
    return MailMessage(
        kind=plan.kind.value,
        event_key=plan.key,
        user_id=None,
        to_address=f"webhook:team:{team.id}",
        subject=built.subject,
        body_text="\n".join([*built.paragraphs, *built.items]),
        body_html="",
        webhook_url=url,
        status="queued",
    )
