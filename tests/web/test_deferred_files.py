"""Certificates issued without their files (bulk-loaded data): an ordinary certificate by its dates, whose PDF and
credential are made on first use, once, and served byte for byte the same from then on."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tracker.certificates import signing
from tracker.enums import CertificateStatus, Role
from tracker.extensions import Issuer, db
from tracker.models import AuditEvent, Certificate, Job, utcnow
from tracker.services import certification
from tracker.services.certification import lifecycle, listing, packaging
from tracker.services.programme import evidence_pack
from tracker.services.reporting import evidence


@pytest.fixture
def team(app, make_user):
    """A manager's team with two certificates issued without files: one valid, one expired by its dates."""
    course = factories.make_course(valid_months=12)
    manager = make_user(Role.MANAGER)
    team = factories.make_team("Deferred team", manager=manager)
    holder = make_user(team=team, name="Dana Deferred")
    old = make_user(team=team, name="Olaf Old")
    cert = factories.complete_course(holder, course)
    issued = {"pdf": cert.pdf, "sha256": cert.pdf_sha256, "credential": cert.credential}
    expired = factories.complete_course(old, course, now=utcnow() - timedelta(days=500))
    for each in (cert, expired):
        factories.without_files(each)
    return {"team": team, "manager": manager, "holder": holder, "cert": cert, "expired": expired, "issued": issued}


def _stored(code: str) -> tuple:
    db.session.expire_all()
    return db.session.execute(
        select(Certificate.pdf, Certificate.pdf_sha256, Certificate.credential, Certificate.pending_reason).where(
            Certificate.code == code
        )
    ).one()


def test_a_certificate_without_files_is_not_pending_but_valid_or_expired_by_its_dates(client, team):
    cert, expired = team["cert"], team["expired"]
    assert cert.pdf_sha256 is None and not certification.pending(cert)
    assert certification.status(cert) == CertificateStatus.VALID
    assert certification.status(expired) == CertificateStatus.EXPIRED
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Valid" in page and "Being prepared" not in page
    assert client.get(f"/api/v1/verify/{cert.code}").get_json()["status"] == "valid"
    assert cert not in listing.admin_list(listing.AdminView.ATTENTION)  # nothing for an admin to do
    assert _stored(cert.code).pdf is None  # looking at it made nothing


def test_the_first_download_renders_and_stores_and_later_ones_serve_the_same_bytes(client, login_as, team):
    cert = team["cert"]
    login_as(team["holder"])
    page = client.get("/certificates/").get_data(as_text=True)
    assert f"/certificates/{cert.code}.pdf" in page and "being prepared" not in page
    listed = client.get("/api/v1/certificates").get_json()["certificates"]
    assert listed[0]["pdf_url"].endswith(f"/certificates/{cert.code}.pdf") and listed[0]["credential_url"]

    first = client.get(f"/certificates/{cert.code}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    pdf, sha256, credential, reason = _stored(cert.code)
    assert pdf == first.data and sha256 == hashlib.sha256(first.data).hexdigest() and reason is None
    # The same bytes the certificate would have had if rendered when issued: rendering is deterministic.
    assert (pdf, sha256, credential) == (team["issued"]["pdf"], team["issued"]["sha256"], team["issued"]["credential"])
    second = client.get(f"/certificates/{cert.code}.pdf")
    assert second.data == first.data and _stored(cert.code).pdf_sha256 == sha256
    badge = client.get(f"/certificates/{cert.code}/credential.json")
    assert badge.status_code == 200 and badge.data.decode() == credential
    assert json.loads(badge.data)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    downloads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.downloaded", AuditEvent.target_id == cert.code)
    ).all()
    assert len(downloads) == 3

    check = client.post(
        "/verify/", data={"file": (io.BytesIO(first.data), "c.pdf")}, content_type="multipart/form-data"
    )
    assert "exactly the certificate PDF that was issued" in check.get_data(as_text=True)


def test_the_credential_downloaded_first_makes_the_files_too(client, login_as, team):
    cert = team["cert"]
    login_as(team["holder"])
    badge = client.get(f"/certificates/{cert.code}/credential.json")
    assert badge.status_code == 200 and badge.data.decode() == team["issued"]["credential"]
    assert _stored(cert.code).pdf_sha256 == team["issued"]["sha256"]


def test_a_team_zip_contains_the_certificates_without_files_rendered_now(client, login_as, team, run_jobs):
    login_as(team["manager"])
    archive = zipfile.ZipFile(io.BytesIO(client.get("/certificates/team.zip").data))
    names = archive.namelist()
    assert f"certificate-{team['cert'].code}-Dana-Deferred-VALID.pdf" in names
    assert f"certificate-{team['expired'].code}-Olaf-Old-EXPIRED.pdf" in names
    for cert in (team["cert"], team["expired"]):
        body = next(archive.read(name) for name in names if cert.code in name)
        assert hashlib.sha256(body).hexdigest() == _stored(cert.code).pdf_sha256
    manifest = {
        row["code"]: row for row in csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))
    }
    assert manifest[team["cert"].code]["sha256"] == team["issued"]["sha256"]
    # The background ZIP as well, with the bytes stored by the first.
    factories.without_files(team["expired"])
    response = client.post("/certificates/team.zip/prepare", data={})
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    run_jobs()
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/jobs/{job_id}/download").data))
    assert db.session.get(Job, job_id).summary == "2 certificates"
    body = next(archive.read(name) for name in archive.namelist() if team["expired"].code in name)
    assert hashlib.sha256(body).hexdigest() == _stored(team["expired"].code).pdf_sha256


def test_a_withdrawn_certificate_without_files(client, login_as, team, make_user):
    """Holders see the status and get no file (nothing is rendered for them); admins get the marked copy, which
    starts with the issued bytes, now stored."""
    admin = make_user(Role.ADMIN)
    cert = team["cert"]
    lifecycle.revoke(cert, admin, "internal", "issued in error")
    db.session.commit()
    login_as(team["holder"])
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 410
    assert _stored(cert.code).pdf is None
    client.post("/logout", data={})
    login_as(admin)
    marked = client.get(f"/certificates/{cert.code}.pdf")
    assert marked.status_code == 200 and marked.data.startswith(team["issued"]["pdf"])
    assert _stored(cert.code).pdf_sha256 == team["issued"]["sha256"]
    page = client.post("/verify/", data={"file": (io.BytesIO(marked.data), "copy.pdf")}).get_data(as_text=True)
    assert "starts with exactly the certificate PDF that was issued" in page


def test_a_zip_for_a_manager_leaves_withdrawn_certificates_unrendered(app, team, make_user):
    lifecycle.revoke(team["expired"], make_user(Role.ADMIN), "internal", "issued in error")
    db.session.commit()
    certificates = listing.of_teams({team["team"].id}, with_pdf=True)
    archive = zipfile.ZipFile(io.BytesIO(packaging.zip_of(certificates)))
    assert [name for name in archive.namelist() if team["expired"].code in name] == []
    assert _stored(team["expired"].code).pdf is None and _stored(team["cert"].code).pdf is not None


def test_the_evidence_pack_counts_them_by_their_dates(app, team):
    pack = evidence_pack.build_pack(
        evidence.organisation_scope(), Issuer("https://t.example.com", "Org", signing.IssuerKey.generate())
    )
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("completions.csv").decode("utf-8-sig"))))
    statuses = {row["certificate_code"]: row["certificate_status"] for row in rows}
    assert statuses == {team["cert"].code: "valid", team["expired"].code: "expired"}


def test_a_certificate_pending_by_its_name_still_waits_for_an_admin(client, login_as, course, make_user):
    holder = make_user(name="山田 太郎")
    cert = factories.complete_course(holder, course)
    assert certification.pending(cert) and certification.status(cert) == CertificateStatus.PENDING
    assert certification.ensure_files(cert) is False and cert.pdf is None
    assert cert in listing.admin_list(listing.AdminView.ATTENTION)
    login_as(holder)
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 404
    assert client.get(f"/certificates/{cert.code}/credential.json").status_code == 404
    assert client.get("/api/v1/certificates").get_json()["certificates"][0]["pdf_url"] is None
    assert "being prepared" in client.get("/certificates/").get_data(as_text=True)
    assert client.get(f"/api/v1/verify/{cert.code}").get_json()["status"] == "pending"


def test_a_name_found_unprintable_on_first_use_makes_the_certificate_pending(client, login_as, course, make_user):
    holder = make_user(name="Printable Name")
    cert = factories.without_files(factories.complete_course(holder, course))
    db.session.execute(Certificate.__table__.update().where(Certificate.id == cert.id).values(learner_name="山田 太郎"))
    db.session.commit()
    login_as(holder)
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 404
    pdf, sha256, _credential, reason = _stored(cert.code)
    assert pdf is None and sha256 is None and "山" in reason
