"""First use of a certificate issued without files (bulk-loaded data), by many requests at once: the files are
written once, and every download, credential and ZIP carries the same bytes, the ones stored.

A trigger made by the test counts the rows written to `certificates.pdf`, so "written once" is what PostgreSQL saw,
not what the responses suggest."""

from __future__ import annotations

import hashlib
import io
import zipfile
from functools import partial

import pytest
from sqlalchemy import select, text

from tracker.enums import Role
from tracker.extensions import db
from tracker.models import Certificate

from .. import factories
from .conftest import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]

ROUNDS = 5
PDF_DOWNLOADS = 8
OTHER_CALLS = 2  # of each: the credential, the team ZIP


@pytest.fixture
def file_writes(app):
    """The number of writes to a certificate's PDF column, per certificate id."""
    statements = [
        "CREATE TABLE race_pdf_writes (certificate_id integer NOT NULL)",
        "CREATE FUNCTION race_note_pdf_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO race_pdf_writes VALUES (NEW.id); RETURN NEW; END $$",
        "CREATE TRIGGER race_pdf_writes AFTER UPDATE OF pdf ON certificates FOR EACH ROW "
        "EXECUTE FUNCTION race_note_pdf_write()",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()

    def count(cert_id: int) -> int:
        return db.session.scalar(
            text("SELECT count(*) FROM race_pdf_writes WHERE certificate_id = :id"), {"id": cert_id}
        )

    try:
        yield count
    finally:
        db.session.rollback()
        for statement in (
            "DROP TRIGGER IF EXISTS race_pdf_writes ON certificates",
            "DROP FUNCTION IF EXISTS race_note_pdf_write()",
            "DROP TABLE IF EXISTS race_pdf_writes",
        ):
            db.session.execute(text(statement))
        db.session.commit()


def test_concurrent_first_downloads_render_the_files_once(app, live_server, file_writes):
    course = factories.make_course()
    manager = factories.make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    db.session.commit()
    manager_tab = live_server.signed_in(manager)
    violations: list[str] = []
    for round_ in range(ROUNDS):
        holder = factories.make_user(team=team)
        cert = factories.without_files(factories.complete_course(holder, course))
        cert_id, code = cert.id, cert.code
        before = file_writes(cert_id)  # issuing the certificate and clearing its files wrote the column too
        holder_tab = live_server.signed_in(holder)
        calls = [partial(holder_tab.tab().get, f"/certificates/{code}.pdf") for _ in range(PDF_DOWNLOADS)]
        calls += [partial(holder_tab.tab().get, f"/certificates/{code}/credential.json") for _ in range(OTHER_CALLS)]
        calls += [partial(manager_tab.tab().get, "/certificates/team.zip") for _ in range(OTHER_CALLS)]
        responses = at_once(calls)

        db.session.commit()
        db.session.expire_all()
        pdf, sha256, credential = db.session.execute(
            select(Certificate.pdf, Certificate.pdf_sha256, Certificate.credential).where(Certificate.id == cert_id)
        ).one()
        statuses = [r.status for r in responses]
        if statuses != [200] * len(calls):
            violations.append(f"round {round_}: statuses {statuses}")
            continue
        if pdf is None or sha256 != hashlib.sha256(pdf).hexdigest():
            violations.append(f"round {round_}: stored PDF and hash do not match ({sha256})")
            continue
        writes = file_writes(cert_id) - before
        if writes != 1:
            violations.append(f"round {round_}: the files were written {writes} times")
        pdfs = {r.body for r in responses[:PDF_DOWNLOADS]}
        if pdfs != {pdf}:
            violations.append(f"round {round_}: {len(pdfs)} different PDFs served, or not the stored one")
        if {r.text for r in responses[PDF_DOWNLOADS : PDF_DOWNLOADS + OTHER_CALLS]} != {credential}:
            violations.append(f"round {round_}: a credential served is not the stored one")
        for response in responses[PDF_DOWNLOADS + OTHER_CALLS :]:
            archive = zipfile.ZipFile(io.BytesIO(response.body))
            zipped = [archive.read(name) for name in archive.namelist() if code in name]
            if zipped != [pdf]:
                violations.append(f"round {round_}: the ZIP does not hold the stored PDF")
    assert not violations, f"{len(violations)} violation(s) in {ROUNDS} rounds:\n" + "\n".join(violations)
