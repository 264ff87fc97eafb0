"""Reminders on a frozen clock: each fires once on its day, never again when the schedule runs twice; relative
due dates; people's choices; escalations to the manager; certificate expiry; the team webhook."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests import factories
from tracker.enums import DueRule, NotificationKind
from tracker.extensions import db
from tracker.models import MailMessage, Role
from tracker.services import mail, notifications
from tracker.services.organisation import assignments

DUE = date(2027, 3, 15)


def _at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _kinds_on(day: date) -> list[str]:
    run = notifications.run_daily(_at(day))
    db.session.commit()
    rows = db.session.scalars(select(MailMessage).where(MailMessage.id.in_(run.message_ids))).all()
    return sorted(f"{m.kind}>{m.to_address}" for m in rows)


def test_each_reminder_fires_once_on_its_day(app, make_user):
    course = factories.make_course()
    manager = make_user(Role.MANAGER, email="boss@example.org")
    team = factories.make_team("Ops", manager=manager)
    learner = make_user(email="late@example.org", team=team)
    assignments.assign(manager, course=course, team=team, due_on=DUE)
    db.session.commit()

    fired: dict[date, list[str]] = {}
    for offset in range(-10, 24):
        day = DUE + timedelta(days=offset)
        fired[day] = _kinds_on(day)
        assert _kinds_on(day) == [], f"the schedule ran twice on {day}"
    due_soon, overdue, escalation = (
        "due_soon>late@example.org",
        "overdue>late@example.org",
        "escalation>boss@example.org",
    )
    expected = {
        DUE - timedelta(days=7): [due_soon],  # 7 days before
        DUE - timedelta(days=1): [due_soon],  # 1 day before
        DUE + timedelta(days=1): [overdue],  # the day after
        DUE + timedelta(days=8): [overdue],  # then weekly
        DUE + timedelta(days=15): [escalation, overdue],  # and the manager once past 14 days overdue
        DUE + timedelta(days=22): [overdue],
    }
    assert {day: kinds for day, kinds in fired.items() if kinds} == expected
    message = db.session.scalar(select(MailMessage).where(MailMessage.kind == "due_soon"))
    assert message.unsubscribe_url and "/notifications/unsubscribe/" in message.unsubscribe_url
    assert learner.display_name in message.body_text


def test_a_missed_day_is_caught_up_once(app, make_user):
    course = factories.make_course()
    person = make_user()
    assignments.assign(None, course=course, user=person, due_on=DUE)
    db.session.commit()
    # The schedule did not run 7 days before; 5 days before it sends the 7-day reminder, once.
    assert _kinds_on(DUE - timedelta(days=5)) == [f"due_soon>{person.email}"]
    assert _kinds_on(DUE - timedelta(days=4)) == []


def test_completed_courses_are_not_reminded(app, make_user):
    course = factories.make_course()
    person = make_user()
    assignments.assign(None, course=course, user=person, due_on=DUE)
    factories.complete_course(person, course)
    assert _kinds_on(DUE - timedelta(days=1)) == []


def test_assignment_reminder_days_override_the_organisation(app, make_user):
    course = factories.make_course()
    person = make_user()
    assignments.assign(None, course=course, user=person, due_on=DUE, reminder_days="3")
    db.session.commit()
    assert _kinds_on(DUE - timedelta(days=7)) == []
    assert _kinds_on(DUE - timedelta(days=3)) == [f"due_soon>{person.email}"]
    assert _kinds_on(DUE - timedelta(days=1)) == []


def test_people_choose_their_reminders_but_not_mandatory_ones(app, make_user):
    course = factories.make_course()
    person = make_user()
    assignments.assign(None, course=course, user=person, due_on=DUE)
    db.session.commit()
    mail.set_preferences(person, wanted=set())  # everything off that can be
    db.session.commit()
    assert _kinds_on(DUE - timedelta(days=7)) == []
    assert _kinds_on(DUE + timedelta(days=1)) == [f"overdue>{person.email}"]  # overdue is mandatory by default


def test_relative_due_date_counts_from_a_newcomers_start(app, make_user):
    course = factories.make_course()
    team = factories.make_team()
    veteran = make_user(team=team)
    assignment, _ = assignments.assign(
        None, course=course, team=team, due_rule=DueRule.AFTER_ASSIGNED, due_days=30, today=date(2026, 11, 1)
    )
    assignment.created_at = _at(date(2026, 11, 1))
    newcomer = make_user(team=team)
    newcomer.team_joined_at = _at(date(2026, 12, 1))
    db.session.commit()
    due = assignments.due_dates([assignments.Person(p.id, p.team_id, p.job_role) for p in (veteran, newcomer)])
    veteran_start = max(date(2026, 11, 1), (veteran.team_joined_at or veteran.created_at).date())
    assert due[veteran.id][course.id] == veteran_start + timedelta(days=30)
    assert due[newcomer.id][course.id] == date(2026, 12, 31)  # not overdue on day one


def test_certificate_expiry_reminders(app, make_user):
    course = factories.make_course()
    person = make_user()
    cert = factories.complete_course(person, course)
    expires = cert.expires_at.date()
    assert _kinds_on(expires - timedelta(days=31)) == []
    assert _kinds_on(expires - timedelta(days=30)) == [f"certificate_expiring>{person.email}"]
    assert _kinds_on(expires - timedelta(days=7)) == [f"certificate_expiring>{person.email}"]
    assert _kinds_on(expires + timedelta(days=1)) == [f"certificate_expired>{person.email}"]
    assert _kinds_on(expires + timedelta(days=2)) == []


def test_recent_events_are_announced_once(app, make_user):
    course = factories.make_course()
    person = make_user()
    assignments.assign(None, course=course, user=person, due_on=DUE)
    cert = factories.complete_course(person, course)
    run = notifications.scan_recent()
    kinds = sorted(m.kind for m in db.session.scalars(select(MailMessage).where(MailMessage.id.in_(run.message_ids))))
    assert kinds == [NotificationKind.ASSIGNMENT_CREATED.value, NotificationKind.CERTIFICATE_ISSUED.value]
    issued = db.session.scalar(select(MailMessage).where(MailMessage.kind == "certificate_issued"))
    assert f"/certificates/{cert.code}.pdf" in issued.body_text  # a link, not an attachment
    assert notifications.scan_recent().recorded == 0


def test_weekly_digest_once_per_week_and_to_the_team_webhook(app, make_user):
    course = factories.make_course()
    manager = make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    team.webhook_url = "https://hooks.example.org/services/T000/B000"
    person = make_user(team=team, name="Ada Late")
    assignments.assign(None, course=course, team=team, due_on=DUE)
    db.session.commit()
    monday = date(2027, 3, 22)
    run = notifications.run_weekly_digest(_at(monday))
    db.session.commit()
    messages = db.session.scalars(select(MailMessage).where(MailMessage.id.in_(run.message_ids))).all()
    assert sorted(m.to_address for m in messages) == sorted([manager.email, f"webhook:team:{team.id}"])
    assert all(person.display_name in m.body_text for m in messages)
    assert notifications.run_weekly_digest(_at(monday + timedelta(days=2))).recorded == 0
