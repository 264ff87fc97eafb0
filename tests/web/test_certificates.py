"""Certificates through the web: downloads by role, team ZIP, public verification, admin actions, CLI."""

import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_config
from tracker.certificates import badges
from tracker.extensions import db, limiter
from tracker.models import AuditEvent, Certificate, Role


@pytest.fixture
def org(app, make_user, course):
    """Team A (managed by manager_a) with a certificate holder; team B with its own manager and holder."""
    manager_a, manager_b = make_user(Role.MANAGER), make_user(Role.MANAGER)
    department = factories.make_team("Department", manager=manager_a)
    team_a = factories.make_team("Team A", parent=department)
    team_b = factories.make_team("Team B", manager=manager_b)
    holder = make_user(Role.LEARNER, name="Holder A", email="holder.a@example.org", team=team_a)
    other = make_user(Role.LEARNER, name="Holder B", team=team_b)
    cert_a = factories.complete_course(holder, course)
    cert_b = factories.complete_course(other, course)
    return {
        "manager_a": manager_a,
        "manager_b": manager_b,
        "holder": holder,
        "other": other,
        "cert_a": cert_a,
        "cert_b": cert_b,
        "admin": make_user(Role.ADMIN),
        "team_a": team_a,
    }


def test_learner_downloads_own_pdf_and_credential(client, login_as, org):
    login_as(org["holder"])
    response = client.get(f"/certificates/{org['cert_a'].code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == org["cert_a"].pdf_sha256
    assert "attachment" in response.headers["Content-Disposition"]
    credential = client.get(f"/certificates/{org['cert_a'].code}/credential.json")
    assert json.loads(credential.data)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    page = client.get("/certificates/").get_data(as_text=True)
    assert org["cert_a"].code in page and "Valid" in page


def test_nobody_else_can_download_even_by_guessing_codes(client, login_as, org, make_user):
    login_as(org["other"])
    assert client.get(f"/certificates/{org['cert_a'].code}.pdf").status_code == 404
    assert client.get(f"/certificates/{org['cert_a'].code}/credential.json").status_code == 404
    assert client.get("/certificates/AAAAA-BBBBB-CCCCC-DDDDD.pdf").status_code == 404
    assert client.post(f"/certificates/{org['cert_a'].code}/request-reissue").status_code == 404


def test_manager_downloads_team_certificates_including_teams_below(client, login_as, org):
    login_as(org["manager_a"])  # manages the department that contains Team A
    assert client.get(f"/certificates/{org['cert_a'].code}.pdf").status_code == 200
    assert client.get(f"/certificates/{org['cert_b'].code}.pdf").status_code == 404
    page = client.get("/certificates/team").get_data(as_text=True)
    assert "Holder A" in page and "Holder B" not in page
    archive = zipfile.ZipFile(io.BytesIO(client.get("/certificates/team.zip").data))
    names = archive.namelist()
    assert names == [f"certificate-{org['cert_a'].code}-Holder-A-VALID.pdf", "manifest.csv"]
    assert hashlib.sha256(archive.read(names[0])).hexdigest() == org["cert_a"].pdf_sha256
    assert client.get(f"/certificates/team.zip?team={org['cert_b'].user.team_id}").status_code == 404


def test_learners_have_no_team_certificates(client, login_as, org):
    login_as(org["holder"])
    assert client.get("/certificates/team").status_code == 403
    assert client.get("/certificates/team.zip").status_code == 403


def test_public_verification_page_shows_the_record_without_personal_data(client, org):
    cert = org["cert_a"]
    page = client.get(f"/verify/{cert.code.lower()}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for expected in ("Holder A", cert.course_title, "version 1", "Valid", "Example Organisation", cert.code):
        assert expected in text
    assert "holder.a@example.org" not in text
    missing = client.get("/verify/AAAAA-BBBBB-CCCCC-DDDDD")
    assert missing.status_code == 404 and "Certificate not found" in missing.get_data(as_text=True)


def test_verification_shows_revoked_and_superseded(client, org):
    admin = org["admin"]
    from tracker.services import certification

    certification.revoke(org["cert_b"], admin, "Shared answers with Holder C", public_reason="Issued in error")
    new = certification.reissue(org["cert_a"], admin, "Name change")
    db.session.commit()
    revoked = client.get(f"/verify/{org['cert_b'].code}").get_data(as_text=True)
    # The public page shows the public reason only; the internal one stays with admins.
    assert "revoked" in revoked and "Issued in error" in revoked
    assert "Shared answers" not in revoked
    superseded = client.get(f"/verify/{org['cert_a'].code}").get_data(as_text=True)
    assert "replaced by a reissued version" in superseded and new.code in superseded


def test_api_verify_and_my_certificates(client, login_as, org):
    cert = org["cert_a"]
    public = client.get(f"/api/v1/verify/{cert.code}").get_json()
    assert public["status"] == "valid" and public["learner_name"] == "Holder A"
    assert "email" not in json.dumps(public)
    assert client.get("/api/v1/verify/AAAAA-BBBBB-CCCCC-DDDDD").status_code == 404
    login_as(org["holder"])
    mine = client.get("/api/v1/certificates").get_json()["certificates"]
    assert [c["code"] for c in mine] == [cert.code]
    assert mine[0]["pdf_url"].endswith(f"/certificates/{cert.code}.pdf")
    assert mine[0]["verify_url"].endswith(f"/verify/{cert.code}")


def test_uploading_the_pdf_tells_genuine_from_edited(client, org):
    cert = org["cert_a"]
    genuine = client.post(
        "/verify/", data={"file": (io.BytesIO(cert.pdf), "c.pdf")}, content_type="multipart/form-data"
    )
    assert "exactly the certificate PDF that was issued" in genuine.get_data(as_text=True)
    edited = cert.pdf.replace(b"/Producer", b"/Producex", 1)
    assert edited != cert.pdf
    response = client.post("/verify/", data={"file": (io.BytesIO(edited), "c.pdf")}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert "does not match" in text and cert.code in text
    wrong_type = client.post("/verify/", data={"file": (io.BytesIO(b"x"), "c.txt")}, content_type="multipart/form-data")
    assert wrong_type.status_code == 400 and "Upload a PDF file." in wrong_type.get_data(as_text=True)


def test_public_key_is_published_and_verifies_the_downloaded_credential(client, login_as, org):
    did = client.get("/.well-known/did.json").get_json()
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert did["id"] == "did:web:127.0.0.1%3A5000"
    assert jwks["keys"][0]["crv"] == "Ed25519"
    login_as(org["holder"])
    signed = json.loads(client.get(f"/certificates/{org['cert_a'].code}/credential.json").data)
    assert signed["issuer"]["id"] == did["id"]
    assert badges.verify_credential(signed, did["verificationMethod"][0]["publicKeyMultibase"])


def test_admin_revokes_and_reissues_through_the_pages(client, login_as, org):
    login_as(org["admin"])
    code = org["cert_a"].code
    failed = client.post(f"/admin/certificates/{code}/revoke", data={"reason": ""})
    assert failed.status_code == 400
    reissued = client.post(
        f"/admin/certificates/{code}/reissue", data={"reason": "Typo", "learner_name": "Holder Ä", "confirmed": "yes"}
    )
    assert reissued.status_code == 302
    new = db.session.scalar(select(Certificate).where(Certificate.learner_name == "Holder Ä"))
    assert new is not None and new.revision == 2
    revoked = client.post(
        f"/admin/certificates/{new.code}/revoke", data={"reason": "Left before finishing", "confirmed": "yes"}
    )
    assert revoked.status_code == 302
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"certificate.reissued", "certificate.revoked", "certificate.issued"} <= actions
    listing = client.get("/admin/certificates?show=revoked").get_data(as_text=True)
    assert new.code in listing


def test_learner_asks_for_reissue_and_admin_sees_it(app, client, login_as, org):
    login_as(org["holder"])
    response = client.post(f"/certificates/{org['cert_a'].code}/request-reissue", data={"note": "Married"})
    assert response.status_code == 302
    admin_client = app.test_client()
    factories_login = admin_client.post("/login", data={"email": org["admin"].email, "password": factories.PASSWORD})
    assert factories_login.status_code == 302
    attention = admin_client.get("/admin/certificates").get_data(as_text=True)
    assert org["cert_a"].code in attention and "Reissue requested" in attention


@pytest.fixture
def limited_config(database_url, tmp_path):
    return make_config(database_url, tmp_path, RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="5 per minute")


def test_verification_is_rate_limited(database_url, tmp_path, limited_config):
    from tracker import create_app

    app = create_app(limited_config)
    limiter.reset()
    client = app.test_client()
    statuses = [client.get(f"/verify/AAAAA-BBBBB-CCCCC-DDDD{i}").status_code for i in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
    limiter.reset()


def test_cli_verify_certificate(runner, org, tmp_path):
    good = tmp_path / "good.pdf"
    good.write_bytes(org["cert_a"].pdf)
    result = runner.invoke(args=["verify-certificate", str(good)])
    assert result.exit_code == 0 and "Genuine" in result.output and org["cert_a"].code in result.output
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(org["cert_a"].pdf.replace(b"/Producer", b"/Producex", 1))
    result = runner.invoke(args=["verify-certificate", str(bad)])
    assert result.exit_code == 1 and "altered" in result.output


def test_a_name_the_fonts_cannot_print_waits_for_an_admin(app, client, login_as, make_user, course):
    learner = make_user(name="山田 太郎")
    cert = factories.complete_course(learner, course)
    login_as(learner)
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 404  # no PDF with empty boxes, ever
    assert "being prepared" in client.get("/certificates/").get_data(as_text=True)
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})
    attention = admin_client.get("/admin/certificates").get_data(as_text=True)
    assert cert.code in attention and "Name cannot be printed" in attention
    response = admin_client.post(
        f"/admin/certificates/{cert.code}/reissue",
        data={"reason": "Printable spelling agreed", "learner_name": "Yamada Taro", "confirmed": "yes"},
    )
    assert response.status_code == 302
    new = db.session.scalar(select(Certificate).where(Certificate.learner_name == "Yamada Taro"))
    assert client.get(f"/certificates/{new.code}.pdf").status_code == 200
