"""What production refuses to start with (no shared Redis, a guessable SECRET_KEY, an issuer key it cannot load or
that differs from the one the database's credentials are signed with), and what development says instead."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from sqlalchemy import create_engine, select

from tests import factories
from tracker import create_app
from tracker.certificates.signing import DEV_KEY_FILENAME, IssuerKey
from tracker.config import SECRET_KEY_MIN_BITS, secret_key_bits
from tracker.extensions import IssuerKeyMismatch, db, issuing
from tracker.models import IssuerKeyRecord, Role
from tracker.services import sessions

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def new_key_pem() -> str:
    return IssuerKey.generate().private_pem().decode()


@pytest.fixture
def production(monkeypatch, tmp_path):
    """Build production apps: everything production asks for is present unless the test says otherwise."""
    monkeypatch.setenv("TRACKER_ENV", "production")
    for name in ("SECRET_KEY", "FLASK_DEBUG", "DATABASE_URL", "REDIS_URL", "ISSUER_KEY_FILE", "ISSUER_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))

    def build(database_url: str | None = None, **overrides):
        config = {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'production.db'}",
            "INSTANCE_PATH": str(tmp_path / "prod-instance"),
            "ISSUER_PRIVATE_KEY": new_key_pem(),
            "REDIS_URL": REDIS_URL,
            "PUBLIC_BASE_URL": "https://training.example.org",
            "RATELIMIT_ENABLED": False,  # the limiter is shared by every app in the process
            **overrides,
        }
        return create_app({k: v for k, v in config.items() if v is not None})

    build.env = monkeypatch
    return build


@pytest.fixture
def migrated_database(tmp_path) -> str:
    """A database of its own with the schema: production start-up writes its key record there for real."""
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    engine = create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    return url


def recorded_key(app) -> str | None:
    with app.app_context():
        found = db.session.scalar(select(IssuerKeyRecord.public_key_multibase))
        db.session.remove()
        return found


# --- Redis and the secret key ---------------------------------------------------------------------------------


def test_production_refuses_to_start_without_redis(production):
    with pytest.raises(RuntimeError, match="REDIS_URL is not set") as refused:
        production(REDIS_URL="")
    assert "SECRET_KEY" not in str(refused.value)


@pytest.mark.parametrize(
    "key",
    [
        "a" * 64,  # one character repeated
        "0123456789abcdef" * 4,  # a sequence, repeated
        "changeme-changeme-changeme-changeme",  # a word, repeated
        "my-production-secret-key-2026!",  # words and a year
        "short",
    ],
)
def test_production_refuses_a_guessable_secret_key(production, key):
    production.env.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY is too guessable") as refused:
        production()
    assert key not in str(refused.value)  # the key itself is never printed
    assert "secrets.token_urlsafe(32)" in str(refused.value)


def test_secret_key_estimate():
    # Random keys as the message suggests making them clear the bar with room; patterns are far below it.
    assert min(secret_key_bits(secrets.token_urlsafe(32)) for _ in range(50)) >= SECRET_KEY_MIN_BITS
    assert secret_key_bits(secrets.token_hex(32)) >= SECRET_KEY_MIN_BITS
    assert secret_key_bits("a" * 64) < 20
    assert secret_key_bits("0123456789abcdef" * 4) < 20
    assert secret_key_bits("") == 0
    # Very long keys are judged by their first 128 characters, quickly.
    assert secret_key_bits(secrets.token_urlsafe(3000)) >= SECRET_KEY_MIN_BITS


# --- the issuer key: loadable ---------------------------------------------------------------------------------


def test_production_refuses_an_issuer_key_file_it_cannot_read(production, tmp_path):
    missing = tmp_path / "nowhere" / "issuer.pem"
    with pytest.raises(RuntimeError, match="cannot read the issuer key file") as refused:
        production(ISSUER_PRIVATE_KEY="", ISSUER_KEY_FILE=str(missing))
    assert str(missing) in str(refused.value)

    with pytest.raises(RuntimeError, match="cannot read the issuer key file"):
        production(ISSUER_PRIVATE_KEY="", ISSUER_KEY_FILE=str(tmp_path))  # a directory


def test_production_refuses_an_issuer_key_that_is_not_an_ed25519_pem(production, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(RuntimeError, match="not an unencrypted PEM private key"):
        production(ISSUER_PRIVATE_KEY="", ISSUER_KEY_FILE=str(garbage))

    rsa = generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(RuntimeError, match="not an Ed25519 key"):
        production(ISSUER_PRIVATE_KEY=rsa.decode())


def test_production_loads_the_issuer_key_at_start_up(production, tmp_path):
    key_file = tmp_path / "issuer.pem"
    key = IssuerKey.generate()
    key_file.write_bytes(key.private_pem())
    app = production(ISSUER_PRIVATE_KEY="", ISSUER_KEY_FILE=str(key_file))
    key_file.unlink()  # read once, at start-up: later requests do not depend on the file
    assert issuing.for_app(app).key.public_key_multibase == key.public_key_multibase


# --- the issuer key: the same on every host -------------------------------------------------------------------


def test_production_records_its_key_and_refuses_another_one(production, migrated_database):
    first_key = new_key_pem()
    first = production(migrated_database, ISSUER_PRIVATE_KEY=first_key)
    multibase = issuing.for_app(first).key.public_key_multibase
    assert recorded_key(first) == multibase

    # A second host with the same key starts; one with another key refuses, naming both keys.
    production(migrated_database, ISSUER_PRIVATE_KEY=first_key)
    other_pem = new_key_pem()
    other = IssuerKey.from_pem(other_pem).public_key_multibase
    with pytest.raises(IssuerKeyMismatch, match="Refusing to start in production") as refused:
        production(migrated_database, ISSUER_PRIVATE_KEY=other_pem)
    message = str(refused.value)
    assert multibase in message and other in message
    assert "ISSUER_KEY_FILE" in message and "issuer_keys" in message
    assert recorded_key(first) == multibase  # the record is unchanged


def test_production_starts_on_a_database_not_migrated_yet_and_checks_on_first_use(production, tmp_path):
    """`flask db upgrade` builds the app before the table exists: start-up must not fail then. The key is
    compared (and recorded) the first time it is used."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = production(url)
    with app.app_context():
        db.create_all()
        db.session.add(IssuerKeyRecord(id=1, public_key_multibase=IssuerKey.generate().public_key_multibase))
        db.session.commit()
    with app.test_request_context(), pytest.raises(IssuerKeyMismatch):
        issuing.current  # noqa: B018
    with app.app_context():
        db.session.execute(IssuerKeyRecord.__table__.delete())
        db.session.commit()
    with app.test_request_context():
        assert issuing.current.key.public_key_multibase
        db.session.commit()  # as the first certificate's request does
    assert recorded_key(app) == issuing.for_app(app).key.public_key_multibase


# --- development: warns instead -------------------------------------------------------------------------------


def dev_app(app_config, instance: Path, **extra):
    app = create_app({**app_config, "INSTANCE_PATH": str(instance), **extra})
    app.logger.disabled = False  # Alembic's logging set-up (the migration tests) disables loggers that exist then
    return app


def sign_in_as(app, user):
    """A sign-in session as the form starts one (the cookie names it by its secret)."""
    client = app.test_client()
    _session, secret = sessions.start(user, "127.0.0.1", "tests", sessions.Timeouts.from_config(app.config))
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = secret
        session["_fresh"] = True
    return client


def test_development_warns_when_it_creates_a_key_while_certificates_exist(app, app_config, make_user, tmp_path, caplog):
    learner = make_user()
    factories.complete_course(learner, factories.make_course())  # signed with this app's key
    admin = make_user(Role.ADMIN)

    # The instance folder was lost: a new key is created on first use.
    fresh = dev_app(app_config, tmp_path / "lost-instance")
    with caplog.at_level(logging.WARNING, logger=fresh.logger.name):
        page = sign_in_as(fresh, admin).get("/admin/")
    assert page.status_code == 200
    assert (tmp_path / "lost-instance" / DEV_KEY_FILENAME).exists()
    body = page.get_data(as_text=True)
    assert 'id="issuer-key-warning"' in body
    assert "A new signing key for certificates was created, although 1 certificate exists." in body
    assert issuing.for_app(fresh).key.public_key_multibase in body
    assert any("A NEW ISSUER SIGNING KEY" in r.getMessage() for r in caplog.records)

    # The original app, whose key is the recorded one, says nothing.
    assert 'id="issuer-key-warning"' not in sign_in_as(app, admin).get("/admin/").get_data(as_text=True)


def test_development_warns_when_its_key_differs_from_the_recorded_one(app, app_config, make_user, tmp_path, caplog):
    factories.complete_course(make_user(), factories.make_course())
    admin = make_user(Role.ADMIN)
    recorded = issuing.for_app(app).key.public_key_multibase
    if db.session.get(IssuerKeyRecord, 1) is None:  # recorded in an earlier test's transaction, rolled back since
        db.session.add(IssuerKeyRecord(id=1, public_key_multibase=recorded))
        db.session.commit()

    other = dev_app(app_config, tmp_path / "other", ISSUER_PRIVATE_KEY=new_key_pem())
    with caplog.at_level(logging.WARNING, logger=other.logger.name):
        body = sign_in_as(other, admin).get("/admin/").get_data(as_text=True)
    assert "This server signs certificates with another key than the one recorded in the database." in body
    assert recorded in body
    assert any(recorded in r.getMessage() for r in caplog.records)


def test_a_new_key_without_certificates_is_no_news(app, app_config, make_user, tmp_path):
    admin = make_user(Role.ADMIN)
    fresh = dev_app(app_config, tmp_path / "new-instance")
    body = sign_in_as(fresh, admin).get("/admin/").get_data(as_text=True)
    assert 'id="issuer-key-warning"' not in body
    assert issuing.warning(fresh) is None
