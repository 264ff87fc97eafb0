"""Jobs through real queues: consumers on the SQLite queue file and on Redis, two at once, the schedule run twice;
retries with backoff and the admins' jobs page; exports made by a job and downloaded by who asked."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories, mail_server
from tests.conftest import login, make_config
from tracker.enums import JobStatus
from tracker.extensions import db
from tracker.jobs import queue
from tracker.models import Job, MailMessage, Role
from tracker.services.organisation import assignments

# The clock of the schedule is today's (the sweep compares it with when consumers really started jobs).
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def smtp():
    controller, inbox, port = mail_server.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request):
    return request.param


@pytest.fixture
def app_config(database_url, instance_path, tmp_path, smtp, backend):
    _inbox, port = smtp
    return make_config(
        database_url,
        instance_path,
        JOBS_BACKEND=backend,
        JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite"),
        JOBS_REDIS_URL="redis://127.0.0.1:6379/0",
        JOBS_QUEUE_NAME=f"tracker-test-{uuid.uuid4().hex[:12]}",  # this run's own keys, flushed at the end
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        NOTIFY_HOUR_UTC=0,
    )


def _wait_until(condition, seconds: float = 60) -> None:
    """Poll the database until the consumers are done (bounded; no fixed sleeps)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the consumers did not finish in time")


def _all_finished() -> bool:
    unfinished = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.status.not_in((JobStatus.DONE.value, JobStatus.FAILED.value)))
    )
    queued_mail = db.session.scalar(
        select(func.count()).select_from(MailMessage).where(MailMessage.status.in_(("queued", "sending")))
    )
    return unfinished == 0 and queued_mail == 0


@pytest.mark.real_commits
def test_two_consumers_and_a_schedule_run_twice_send_each_reminder_once(app, smtp, backend):
    inbox = smtp[0]
    inbox.clear()
    course = factories.make_course()
    manager = factories.make_user(Role.MANAGER, email="boss@example.org")
    team = factories.make_team("Ops", manager=manager)
    people = [factories.make_user(email=f"learner{n}@example.org", team=team) for n in range(5)]
    assignments.assign(None, course=course, team=team, due_on=NOW.date() + timedelta(days=1))  # due tomorrow
    db.session.commit()

    state = queue.state(app)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumers = [state.huey.create_consumer(workers=2, periodic=False, worker_type="thread") for _ in range(2)]
    try:
        # Two schedulers fire the same tick, twice each, while both consumers run.
        for _ in range(2):
            state.tick(NOW.isoformat())
            state.tick(NOW.isoformat())
        for consumer in consumers:
            consumer.start()
        _wait_until(lambda: db.session.scalar(select(func.count()).select_from(Job)) > 0 and _all_finished())
        # A hand-over sent twice (a lost one re-sent) runs the job once.
        daily = db.session.scalar(select(Job).where(Job.kind == "notifications.daily"))
        queue.enqueue([daily.id, daily.id], app)
        state.tick(NOW.isoformat())
        _wait_until(_all_finished)
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        state.huey.flush()

    assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "notifications.daily")) == 1
    assert daily.attempts == 1
    due_soon = [m for m in inbox.messages if "Due" in m["Subject"]]
    assert sorted(m["To"] for m in due_soon) == sorted(p.email for p in people)
    assigned = [m for m in inbox.messages if "New training" in m["Subject"]]
    assert sorted(m["To"] for m in assigned) == sorted(p.email for p in people)
    assert len(inbox.messages) == len(due_soon) + len(assigned)
    message = due_soon[0]
    assert message["List-Unsubscribe"].startswith("<http") and message["List-Unsubscribe-Post"]
    text, html = mail_server.parts(message)
    assert "Due" in message["Subject"] and "<a href=" in html and "http" in text
    statuses = set(db.session.scalars(select(MailMessage.status)))
    assert statuses == {"sent"}


def test_failed_jobs_retry_with_backoff_then_wait_for_an_admin(database_url, tmp_path):
    from tracker import create_app

    closed_port = mail_server.free_port()  # nothing listens there: delivery fails
    app = create_app(
        make_config(
            database_url,
            tmp_path,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=closed_port,
            MAIL_USE_TLS=False,
            MAIL_TIMEOUT=2,
            JOBS_RETRIES=2,
            JOBS_RETRY_DELAY=10,
        )
    )
    with app.app_context():
        huey = queue.state(app).huey
        huey.flush()
        user = factories.make_user(email="someone@example.org")
        from tracker.services import invitations

        invitations.invite(user, None)
        db.session.commit()
        job = db.session.scalar(select(Job).where(Job.kind == "mail.send"))
        try:
            queue.drain(app)
            db.session.refresh(job)
            assert job.status == JobStatus.RETRYING.value and "DeliveryIncomplete" in job.error
            [scheduled] = huey.scheduled()
            assert scheduled.retries == 1 and scheduled.retry_delay == 20  # 10 s, doubled for the next try
            eta = scheduled.eta.replace(tzinfo=UTC) if scheduled.eta.tzinfo is None else scheduled.eta
            assert eta > datetime.now(UTC) + timedelta(seconds=5)
            # The last try fails for good: the job waits for an admin with its reason.
            job_row = db.session.get(Job, job.id)
            job_row.status = JobStatus.RETRYING.value
            db.session.commit()
            with pytest.raises(Exception, match="DeliveryIncomplete|sent 0"):
                queue.execute(app, job.id, retries_left=0)
            db.session.expire_all()
            job_row = db.session.get(Job, job.id)
            assert job_row.status == JobStatus.FAILED.value and job_row.error
            admin = factories.make_user(Role.ADMIN)
            client = app.test_client()
            login(client, admin)
            page = client.get("/admin/jobs/?status=failed").get_data(as_text=True)
            assert "mail.send" in page and "DeliveryIncomplete" in page
            assert client.post(f"/admin/jobs/{job.id}/retry", data={}).status_code == 302
            db.session.expire_all()
            assert db.session.get(Job, job.id).status == JobStatus.QUEUED.value
            outbox = client.get("/admin/jobs/outbox/").get_data(as_text=True)
            assert "someone@example.org" in outbox
        finally:
            huey.flush()
            db.session.rollback()
            from tests.conftest import _empty_tables

            _empty_tables()
