"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from tests.conftest import make_config
from tracker import create_app
from tracker.extensions import db


def _fresh_database_url(database_url: str, tmp_path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    # PostgreSQL: a separate schema-less database would need CREATE DATABASE; use a dedicated one, named after the
    # test database so that runs against different test databases on one server do not share it.
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = f"{database_url.rsplit('/', 1)[1].split('?')[0]}_migration_check"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return database_url.rsplit("/", 1)[0] + f"/{name}"


def test_migrations_match_the_models_and_downgrade_cleanly(database_url, tmp_path):
    url = _fresh_database_url(database_url, tmp_path)
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], differences
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_audit_log_is_append_only_in_the_database(app):
    import pytest
    from sqlalchemy.exc import DBAPIError

    from tracker.services import audit

    audit.record("test.event", actor_email="someone@example.org")
    db.session.commit()
    for statement in ("UPDATE audit_events SET action = 'rewritten'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_events")).scalar_one() == "test.event"


def test_the_one_manager_of_each_team_becomes_its_first_in_team_managers_and_back(database_url, tmp_path):
    url = _fresh_database_url(database_url, tmp_path)
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, display_name, password_hash, role, timezone, active, "
                    "must_change_password, session_token, created_at) VALUES "
                    "(1, 'm@example.org', 'M', 'x', 'manager', 'UTC', true, false, 't1', CURRENT_TIMESTAMP), "
                    "(2, 'n@example.org', 'N', 'x', 'manager', 'UTC', true, false, 't2', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO teams (id, name, manager_id, created_at) VALUES "
                    "(1, 'Sales', 1, CURRENT_TIMESTAMP), (2, 'Support', NULL, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(revision="0018")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT team_id, user_id FROM team_managers")).all() == [(1, 1)]
            assert "manager_id" not in {c["name"] for c in inspect(conn).get_columns("teams")}
            conn.execute(text("INSERT INTO team_managers (team_id, user_id) VALUES (1, 2), (2, 2)"))
        downgrade(revision="0016")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, manager_id FROM teams ORDER BY id")).all() == [(1, 1), (2, 2)]
        downgrade(revision="base")
        db.engine.dispose()


def _two_teams(conn) -> None:
    """Sales (1) with Inside sales (2) below it, written as an older schema holds them."""
    conn.execute(
        text(
            "INSERT INTO teams (id, name, parent_id, created_at) VALUES "
            "(1, 'Sales', NULL, CURRENT_TIMESTAMP), (2, 'Inside sales', 1, CURRENT_TIMESTAMP)"
        )
    )


def test_the_evidence_facts_arrive_with_counts_the_first_read_completes(database_url, tmp_path):
    """An organisation migrated with its matrix in place: the counts of people start from the summaries as they
    stand, and the first read brings the new facts and the counts to what a fresh computation gives."""
    from tracker.services.reporting import evidence, status_table

    url = _fresh_database_url(database_url, tmp_path)
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as conn:
            _two_teams(conn)
            conn.execute(
                text(
                    "INSERT INTO users (id, email, display_name, password_hash, role, timezone, active, "
                    "must_change_password, session_token, created_at, team_id) VALUES "
                    "(1, 'a@example.org', 'A', 'x', 'learner', 'UTC', true, false, 't1', CURRENT_TIMESTAMP, 2), "
                    "(2, 'b@example.org', 'B', 'x', 'learner', 'UTC', false, false, 't2', CURRENT_TIMESTAMP, 1), "
                    "(3, 'c@example.org', 'C', 'x', 'admin', 'UTC', true, false, 't3', CURRENT_TIMESTAMP, NULL)"
                )
            )
        upgrade()  # 0017 writes a summary per person; 0020 counts them
        with db.engine.connect() as conn:
            counts = conn.execute(text("SELECT scope_id, status, people FROM matrix_tallies WHERE course_id = 0"))
            assert sorted(counts) == [
                (0, "active", 2),
                (0, "inactive", 1),
                (1, "active", 1),
                (1, "inactive", 1),
                (2, "active", 1),
            ]
        assert status_table.differences() == []  # after the first read's recomputation
        db.session.commit()
        counts = evidence.headline(evidence.organisation_scope())
        assert (counts.people, counts.inactive_excluded) == (2, 1)
        downgrade(revision="0018")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM matrix_tallies WHERE course_id = 0")).scalar() == 0
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_the_coverage_counts_start_from_the_coverage_rows(database_url, tmp_path):
    """Migrated with coverage rows in place: the counts per team (with the teams below) and for the organisation
    are at once what the application counts from those rows."""
    from tracker.services.programme import coverage_table

    url = _fresh_database_url(database_url, tmp_path)
    app = create_app(make_config(url, tmp_path))
    tallies = "SELECT scope_id, column_id, job_role, status, statuses, people FROM coverage_tallies"
    with app.app_context():
        upgrade(revision="0020")
        with db.engine.begin() as conn:
            _two_teams(conn)
            conn.execute(
                text(
                    "INSERT INTO coverage_people (user_id, team_id, job_role, name_key, status, statuses) VALUES "
                    "(1, 2, 'Analyst', 'a', 'missing', 9), (2, 1, NULL, 'b', 'covered', 8), "
                    "(3, NULL, 'Analyst', 'c', 'expiring', 2)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO coverage_cells (user_id, column_id, status, missing, expiring) VALUES "
                    "(1, 7, 'missing', 'course:1', ''), (1, 0, 'covered', '', ''), (2, 7, 'covered', '', ''), "
                    "(3, 7, 'expiring', '', 'course:1')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            migrated = sorted(conn.execute(text(tallies)).all())
        # Three rows of the first person in Inside sales, Sales and the organisation; two of the second in Sales
        # and the organisation; two of the third (no team) in the organisation: one each.
        assert len(migrated) == 15 and {row[5] for row in migrated} == {1}
        assert (0, -1, "", "covered", 8, 1) in migrated and (2, 0, "Analyst", "covered", 9, 1) in migrated
        coverage_table.recount(db.session)
        assert sorted(db.session.execute(text(tallies)).all()) == migrated
        db.session.rollback()
        db.session.remove()
        downgrade(revision="0020")
        assert "coverage_tallies" not in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        db.engine.dispose()
