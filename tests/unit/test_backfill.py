"""`flask backfill-certificates`: a database created at the first schema, with learners who completed courses
before certificates existed, is upgraded to head; the command issues exactly one certificate per completion, and
running it again (or twice at once) changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from tests.conftest import make_config
from tracker import create_app
from tracker.certificates import signing
from tracker.extensions import db, issuing
from tracker.models import Certificate, Completion, CourseProgress
from tracker.services.certification import verification

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _fresh_database_url(database_url: str, tmp_path, name: str) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / (name + '.db')}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return database_url.rsplit("/", 1)[0] + f"/{name}"


def _at(moment: datetime, sqlite: bool):
    return moment.replace(tzinfo=None) if sqlite else moment  # SQLite keeps UTC without a zone


def _seed_first_schema(conn, sqlite: bool) -> dict:
    """Two courses and four learners as the first schema stored them: progress rows, no completions."""
    at = lambda moment: _at(moment, sqlite)  # noqa: E731
    for course_id, slug, months in ((1, "first-course", None), (2, "second-course", 12)):
        conn.execute(
            text(
                "INSERT INTO courses (id, slug, title, summary, audience, estimated_minutes, certificate_valid_months,"
                " version, content_hash, published, created_at, updated_at) VALUES (:id, :slug, :title, 'A summary.',"
                " 'Everyone', 30, :months, 2, 'hash', :published, :t, :t)"
            ),
            {
                "id": course_id,
                "slug": slug,
                "title": slug.replace("-", " ").title(),
                "months": months,
                "published": True,
                "t": at(T0 - timedelta(days=60)),
            },
        )
        conn.execute(
            text(
                "INSERT INTO modules (id, course_id, slug, title, position, retired) VALUES (:id, :id, 'm', 'M', 1, :f)"
            ),
            {"id": course_id, "f": False},
        )
        conn.execute(
            text(
                "INSERT INTO quizzes (id, module_id, pass_mark, questions_per_attempt, cooldown_minutes)"
                " VALUES (:id, :id, 80, 3, 0)"
            ),
            {"id": course_id},
        )
    people = [
        (10, "ada@example.org", "Ada Lovelace"),
        (11, "grace@example.org", "Grace Hopper"),
        (12, "alan@example.org", "Alan Turing"),
        (13, "edsger@example.org", "Edsger Dijkstra"),
    ]
    for user_id, email, name in people:
        conn.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, timezone, active, session_token,"
                " created_at) VALUES (:id, :email, :name, 'x', 'learner', 'UTC', :active, :token, :t)"
            ),
            {
                "id": user_id,
                "email": email,
                "name": name,
                "active": True,
                "token": f"token-{user_id}",
                "t": at(T0 - timedelta(days=30)),
            },
        )
    # (user, course, completed?): Ada and Grace completed both courses, Alan one, Edsger is half-way.
    progress = [(10, 1, True), (10, 2, True), (11, 1, True), (11, 2, True), (12, 2, True), (13, 1, False)]
    for n, (user_id, course_id, done) in enumerate(progress, start=1):
        conn.execute(
            text(
                "INSERT INTO course_progress (id, user_id, course_id, percent, lessons_read, quizzes_passed,"
                " modules_completed, best_score, started_at, last_activity_at, completed_at, completed_version)"
                " VALUES (:id, :user, :course, :percent, 1, :passed, :passed, :score, :start, :last, :done, :version)"
            ),
            {
                "id": n,
                "user": user_id,
                "course": course_id,
                "percent": 100 if done else 50,
                "passed": int(done),
                "score": 90 if done else None,
                "start": at(T0 - timedelta(days=10)),
                "last": at(T0 + timedelta(hours=n)),
                "done": at(T0 + timedelta(hours=n)) if done else None,
                "version": 2 if done else None,
            },
        )
    return {"completed": 5, "per_course": {"first-course": 2, "second-course": 3}}


@pytest.fixture
def upgraded(database_url, tmp_path):
    """An app on a database created at revision 0001 with completed learners, then upgraded to head."""
    url = _fresh_database_url(database_url, tmp_path, "tracker_backfill_check")
    app = create_app(make_config(url, tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            facts = _seed_first_schema(conn, db.engine.dialect.name == "sqlite")
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
        yield app, url, facts
        db.session.remove()
        db.engine.dispose()


def _current_certificates_per_completion() -> dict[tuple[int, int, int], int]:
    rows = db.session.execute(
        select(Completion.user_id, Completion.course_id, Completion.cycle, func.count(Certificate.id))
        .join(Certificate, Certificate.completion_id == Completion.id)
        .where(Certificate.superseded_at.is_(None))
        .group_by(Completion.user_id, Completion.course_id, Completion.cycle)
    )
    return {(u, c, cycle): n for u, c, cycle, n in rows}


def test_backfill_after_upgrading_from_the_first_schema(upgraded):
    app, _url, facts = upgraded
    runner = app.test_cli_runner()
    first = runner.invoke(args=["backfill-certificates"])
    assert first.exit_code == 0, first.output
    assert "Issued 5 certificate(s):" in first.output
    assert "  first-course: 2" in first.output and "  second-course: 3" in first.output
    assert first.output.count("Issued ") == 1 + facts["completed"]  # one line per certificate, then the summary
    assert "ada@example.org for second-course" in first.output

    completed = db.session.execute(
        select(CourseProgress.user_id, CourseProgress.course_id, CourseProgress.cycle).where(
            CourseProgress.completed_at.is_not(None)
        )
    ).all()
    per_completion = _current_certificates_per_completion()
    assert sorted(per_completion) == sorted(tuple(row) for row in completed)
    assert set(per_completion.values()) == {1}

    # Real certificates: signed with the issuer's key, a PDF that verifies, the status list entry, the award date
    # of the completion, and the expiry of the course.
    key = issuing.for_app(app).key
    for cert in db.session.scalars(select(Certificate)):
        assert cert.pdf_sha256 and cert.pending_reason is None
        assert verification.check_pdf(cert.pdf).outcome == "match"
        credential = json.loads(cert.credential)
        assert signing.verify_credential(credential, key.public_key_multibase)
        assert credential["credentialStatus"]["statusListIndex"] == str(cert.id)
        completion = db.session.get_one(Completion, cert.completion_id)
        assert cert.issued_at == completion.completed_at
        assert (cert.expires_at is not None) == (cert.course.slug == "second-course")

    again = runner.invoke(args=["backfill-certificates"])
    assert again.exit_code == 0, again.output
    assert "nothing to issue" in again.output
    assert _current_certificates_per_completion() == per_completion
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == facts["completed"]


def test_a_completion_recorded_without_a_certificate_gets_one(upgraded):
    app, _url, _facts = upgraded
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backfill-certificates"]).exit_code == 0
    cert = db.session.scalars(select(Certificate).order_by(Certificate.id)).first()
    completion_id = cert.completion_id
    db.session.execute(text("DELETE FROM certificates WHERE id = :id"), {"id": cert.id})
    db.session.commit()
    result = runner.invoke(args=["backfill-certificates"])
    assert result.exit_code == 0, result.output
    assert "Issued 1 certificate(s):" in result.output
    assert (
        db.session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.completion_id == completion_id)
        )
        == 1
    )


@pytest.mark.postgres
def test_two_runs_at_once_issue_each_certificate_once(upgraded, tmp_path):
    """Two processes, as on two hosts after a deploy: the unique keys let one of them issue each certificate.

    Several hosts share a PostgreSQL database, never a SQLite file. On SQLite the driver also commits a savepoint
    that opens no transaction of its own at once (Python's sqlite3 begins transactions only for writes), so the
    other run can find a completion whose certificate is not written yet, and the two processes lock each other
    out instead of waiting: this race is PostgreSQL's."""
    app, url, facts = upgraded
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
        "TRACKER_ENV": "development",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    }
    command = [sys.executable, "-m", "flask", "--app", "tracker", "backfill-certificates"]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    db.session.remove()
    per_completion = _current_certificates_per_completion()
    assert len(per_completion) == facts["completed"] and set(per_completion.values()) == {1}
    issued_lines = sum(
        1 for output in outputs for line in output.splitlines() if line.startswith("Issued ") and " to " in line
    )
    assert issued_lines == facts["completed"], outputs


def test_upgrades_that_rebuild_tables_keep_every_certificate(database_url, tmp_path):
    """On SQLite a migration rebuilds `users` or `courses` by copy, drop and rename; with foreign keys enforced the
    drop used to cascade-delete progress, completions and certificates."""
    from flask_migrate import downgrade

    from tests import factories
    from tracker.models import Role

    url = _fresh_database_url(database_url, tmp_path, "tracker_upgrade_keeps")
    app = create_app(make_config(url, tmp_path / "instance"))
    with app.app_context():
        upgrade()
        course = factories.make_course()
        for n in range(2):
            factories.complete_course(factories.make_user(Role.LEARNER, name=f"Learner {n}"), course)
        db.session.commit()

        def snapshot():
            return {
                "certificates": db.session.execute(
                    select(Certificate.code, Certificate.pdf_sha256).order_by(Certificate.id)
                ).all(),
                "completions": db.session.scalar(select(func.count()).select_from(Completion)),
                "progress": db.session.scalar(select(func.count()).select_from(CourseProgress)),
            }

        before = snapshot()
        assert len(before["certificates"]) == 2
        db.session.remove()
        downgrade(revision="0004")  # and up again: 0005 and 0008 rebuild `users`, 0006 rebuilds `courses`
        upgrade()
        assert snapshot() == before
        db.session.remove()
        db.engine.dispose()
