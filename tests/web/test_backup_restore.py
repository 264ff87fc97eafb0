"""Backups as the README describes them restore certificates that still check out: a real pg_dump / pg_restore of
PostgreSQL (and SQLite's online backup), then the stored PDF's hash and the credential's signature are verified
with the public key of the issuer key backed up alongside."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from tests import factories
from tests.conftest import IN_CI, make_config
from tracker import create_app
from tracker.certificates import signing
from tracker.extensions import IssuerKeyMismatch, db
from tracker.services.learning import structure


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is needed for the backup test in CI")
    pytest.skip(f"{what} is not here")


def _postgres_server() -> str:
    """The PostgreSQL server of the test run (TEST_DATABASE_URL's, else the local one), as a URL to its
    maintenance database."""
    configured = os.environ.get("TEST_DATABASE_URL", "")
    url = make_url(
        configured if configured.startswith("postgresql") else "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    )
    return url.set(database="postgres").render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    """The same address for pg_dump and pg_restore (libpq knows no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_databases():
    """Two empty databases of this test's own: the one backed up and the one restored into."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            _missing(tool)
    server = _postgres_server()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    suffix = secrets.token_hex(4)
    names = [f"tracker_backup_{suffix}", f"tracker_restored_{suffix}"]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError:
        admin.dispose()
        _missing(f"PostgreSQL at {server}")
    try:
        yield [make_url(server).set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def issue_a_certificate(database_url: str, instance: Path) -> dict:
    """A migrated database with one certificate, issued through the real services; the issuer key file is the
    instance folder's (as in development), written on first use."""
    app = create_app(make_config(database_url, instance))
    structure.clear_cache()
    with app.app_context():
        upgrade()
        learner = factories.make_user(name="Zoë Backup")
        certificate = factories.complete_course(learner, factories.make_course("backed-up-course"))
        issued = {"code": certificate.code, "pdf_sha256": certificate.pdf_sha256}
        db.session.remove()
        db.engine.dispose()
    structure.clear_cache()
    return issued


def assert_certificate_checks_out(database_url: str, code: str, pdf_sha256: str, key_file: Path) -> None:
    public_key = signing.IssuerKey.from_pem(key_file.read_bytes()).public_key_multibase
    engine = create_engine(database_url)
    with engine.connect() as conn:
        pdf, stored_hash, credential = conn.execute(
            text("SELECT pdf, pdf_sha256, credential FROM certificates WHERE code = :code"), {"code": code}
        ).one()
        recorded_key = conn.execute(text("SELECT public_key_multibase FROM issuer_keys")).scalar_one()
    engine.dispose()

    assert stored_hash == pdf_sha256
    assert hashlib.sha256(bytes(pdf)).hexdigest() == stored_hash
    signed = json.loads(credential)
    assert signing.verify_credential(signed, public_key)
    assert recorded_key == public_key  # the database names the key that the backed-up key file holds
    # The credential inside the PDF is the same signed document.
    [attached] = PdfReader(io.BytesIO(bytes(pdf))).attachments["open-badge-credential.json"]
    assert json.loads(attached) == signed
    # A single changed character breaks the signature: the check above is a real one.
    assert not signing.verify_credential({**signed, "name": signed["name"] + "!"}, public_key)


def test_pg_dump_and_pg_restore_keep_certificates_verifiable(postgres_databases, tmp_path, monkeypatch):
    source, restored = postgres_databases
    instance = tmp_path / "instance"
    issued = issue_a_certificate(source, instance)
    key_file = instance / signing.DEV_KEY_FILENAME

    # The backup: the database in pg_dump's custom format, and the issuer key file beside it.
    backup = tmp_path / "backup"
    backup.mkdir()
    dump = backup / "tracker.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), _libpq(source)], check=True)
    shutil.copy2(key_file, backup / "issuer-ed25519.pem")
    shutil.rmtree(instance)  # the host is lost

    # The restore, into a fresh database.
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(restored), str(dump)], check=True)
    assert_certificate_checks_out(restored, issued["code"], issued["pdf_sha256"], backup / "issuer-ed25519.pem")

    # A production host on the restored database starts with the backed-up key, and refuses any other.
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    production = {
        "SQLALCHEMY_DATABASE_URI": restored,
        "INSTANCE_PATH": str(tmp_path / "new-host"),
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "PUBLIC_BASE_URL": "https://training.example.org",
        "RATELIMIT_ENABLED": False,
    }
    create_app({**production, "ISSUER_KEY_FILE": str(backup / "issuer-ed25519.pem")})
    with pytest.raises(IssuerKeyMismatch):
        create_app({**production, "ISSUER_PRIVATE_KEY": signing.IssuerKey.generate().private_pem().decode()})


def test_sqlite_online_backup_keeps_certificates_verifiable(tmp_path):
    source = tmp_path / "tracker.db"
    instance = tmp_path / "instance"
    issued = issue_a_certificate(f"sqlite:///{source}", instance)

    # What `sqlite3 tracker.db ".backup backup.db"` does, through Python's sqlite3 module.
    copy = tmp_path / "backup.db"
    with sqlite3.connect(source) as live, sqlite3.connect(copy) as target:
        live.backup(target)

    assert_certificate_checks_out(
        f"sqlite:///{copy}", issued["code"], issued["pdf_sha256"], instance / signing.DEV_KEY_FILENAME
    )
