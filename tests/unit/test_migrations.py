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
    # PostgreSQL: a separate schema-less database would need CREATE DATABASE; use a dedicated one.
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = "tracker_migration_check"
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
