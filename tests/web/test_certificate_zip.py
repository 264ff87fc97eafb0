"""The bulk ZIP of certificates: ASCII file names that never collide, each with its status, and a manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from datetime import timedelta

from tests import factories
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import utcnow
from tracker.services.certification import lifecycle, packaging


def _team_with_certificates(make_user):
    course = factories.make_course(valid_months=12)
    manager = make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    people = {
        name: make_user(team=team, name=name)
        for name in ("Σωκράτης Παπαδόπουλος", "Фёдор Достоевский", "Zoë Revoked", "Old Expired")
    }
    certs = {name: factories.complete_course(user, course) for name, user in people.items() if name != "Old Expired"}
    certs["Old Expired"] = factories.complete_course(people["Old Expired"], course, now=utcnow() - timedelta(days=800))
    lifecycle.revoke(certs["Zoë Revoked"], make_user(Role.ADMIN), "internal note", "issued in error")
    db.session.commit()
    return manager, certs


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _manifest(archive: zipfile.ZipFile) -> dict[str, dict[str, str]]:
    text = archive.read("manifest.csv").decode("utf-8-sig")
    return {row["code"]: row for row in csv.DictReader(io.StringIO(text))}


def test_names_are_transliterated_unique_and_carry_the_status(client, login_as, make_user):
    manager, certs = _team_with_certificates(make_user)
    login_as(manager)
    archive = _archive(client.get("/certificates/team.zip"))
    names = archive.namelist()
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[A-Za-z0-9.-]+", name) for name in names)
    by_code = {cert.code: cert for cert in certs.values()}
    sokratis, fyodor = certs["Σωκράτης Παπαδόπουλος"].code, certs["Фёдор Достоевский"].code
    assert f"certificate-{sokratis}-Sokratis-Papadopoylos-VALID.pdf" in names
    assert f"certificate-{fyodor}-Fedor-Dostoevskiy-VALID.pdf" in names
    assert f"certificate-{certs['Old Expired'].code}-Old-Expired-EXPIRED.pdf" in names
    # A manager does not get the file of a revoked certificate (admins only, stamped); the manifest says why.
    revoked = certs["Zoë Revoked"].code
    assert not any(revoked in name for name in names)
    manifest = _manifest(archive)
    assert set(manifest) == set(by_code)
    assert manifest[revoked]["status"] == "revoked" and manifest[revoked]["file"] == ""
    assert manifest[revoked]["sha256"] == ""
    for code, row in manifest.items():
        assert row["name"] == by_code[code].learner_name and row["course"] == by_code[code].course_title
        assert row["issued"].startswith(by_code[code].issued_at.date().isoformat())
        if row["file"]:
            assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]
    assert manifest[certs["Old Expired"].code]["status"] == "expired"
    assert manifest[certs["Old Expired"].code]["expires"] != ""


def test_an_admin_gets_the_revoked_certificate_as_a_stamped_copy(client, login_as, make_user):
    _manager, certs = _team_with_certificates(make_user)
    login_as(make_user(Role.ADMIN))
    archive = _archive(client.get("/certificates/team.zip"))
    revoked = certs["Zoë Revoked"]
    name = f"certificate-{revoked.code}-Zoe-Revoked-REVOKED.pdf"
    assert name in archive.namelist()
    body = archive.read(name)
    assert body.startswith(revoked.pdf) and body != revoked.pdf  # the issued bytes, then the stamp
    row = _manifest(archive)[revoked.code]
    assert row["file"] == name and row["sha256"] == hashlib.sha256(body).hexdigest()


def test_two_names_that_reduce_to_the_same_letters_never_collide():
    used: set[str] = set()
    first = packaging._unique("certificate-X-Anna", used)
    second = packaging._unique("certificate-X-Anna", used)
    assert first != second and second == "certificate-X-Anna-2.pdf"
    assert packaging.ascii_name("Σωκράτης") != packaging.ascii_name("Фёдор")
    assert packaging.ascii_name("山田 太郎") == "ShanTian-TaiLang"
    assert packaging.ascii_name("  ") == "learner"


def test_the_manifest_never_starts_a_formula(client, login_as, make_user):
    course = factories.make_course()
    manager = make_user(Role.MANAGER)
    team = factories.make_team(manager=manager)
    cert = factories.complete_course(make_user(team=team, name="=HYPERLINK(1)"), course)
    login_as(manager)
    row = _manifest(_archive(client.get("/certificates/team.zip")))[cert.code]
    assert row["name"] == "'=HYPERLINK(1)"
