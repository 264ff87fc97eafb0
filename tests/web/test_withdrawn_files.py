"""Revoked and superseded certificates: their files are not served to holders (or managers) as current; admins
get copies marked with the status, and the marked PDF still leads upload verification to the certificate."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from pypdf import PdfReader

from tests import factories
from tests.conftest import attachment_name
from tracker.extensions import db
from tracker.models import Role
from tracker.services import certification


@pytest.fixture
def org(app, make_user, course):
    manager = make_user(Role.MANAGER)
    team = factories.make_team("Support", manager=manager)
    holder = make_user(Role.LEARNER, name="Hana Holder", team=team)
    renamed = make_user(Role.LEARNER, name="Old Name", team=team)
    admin = make_user(Role.ADMIN)
    revoked = factories.complete_course(holder, course)
    superseded = factories.complete_course(renamed, course)
    original_pdf, original_credential = revoked.pdf, revoked.credential
    certification.revoke(revoked, admin, "Awarded in error", "Awarded by mistake")
    current = certification.reissue(superseded, admin, "Name changed", "New Name")
    db.session.commit()
    return {
        "manager": manager,
        "holder": holder,
        "renamed": renamed,
        "admin": admin,
        "revoked": revoked,
        "superseded": superseded,
        "current": current,
        "pdf": original_pdf,
        "credential": original_credential,
    }


def test_the_holder_gets_the_status_not_the_revoked_files(client, login_as, org):
    login_as(org["holder"])
    code = org["revoked"].code
    for path in (f"/certificates/{code}.pdf", f"/certificates/{code}/credential.json"):
        response = client.get(path)
        assert response.status_code == 410 and response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "was revoked and is no longer valid" in page and "Awarded by mistake" in page
        assert "Content-Disposition" not in response.headers
    mine = client.get("/certificates/").get_data(as_text=True)
    assert code in mine and f"/certificates/{code}.pdf" not in mine and f"/verify/{code}" in mine


def test_the_holder_of_a_superseded_certificate_is_sent_to_the_current_revision(client, login_as, org):
    login_as(org["renamed"])
    old, current = org["superseded"].code, org["current"].code
    response = client.get(f"/certificates/{old}.pdf")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "replaced by a reissued version" in page and f"/verify/{current}" in page
    assert f"/certificates/{current}.pdf" in page  # the current file, one click away
    current_pdf = client.get(f"/certificates/{current}.pdf")
    assert current_pdf.status_code == 200 and attachment_name(current_pdf).endswith("New-Name.pdf")


def test_managers_get_the_status_too(client, login_as, org):
    login_as(org["manager"])
    assert client.get(f"/certificates/{org['revoked'].code}.pdf").status_code == 410
    team = client.get("/certificates/team").get_data(as_text=True)
    assert f"/certificates/{org['revoked'].code}.pdf" not in team and f"/verify/{org['revoked'].code}" in team


def test_admins_get_marked_copies(client, login_as, org):
    login_as(org["admin"])
    code = org["revoked"].code
    pdf = client.get(f"/certificates/{code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert attachment_name(pdf) == f"certificate-{code}-Hana-Holder-REVOKED.pdf"
    assert pdf.data != org["pdf"] and pdf.data.startswith(org["pdf"])  # the issued bytes, then the stamp
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "REVOKED" in text and "This certificate is no longer valid" in text and f"/verify/{code}" in text
    credential = client.get(f"/certificates/{code}/credential.json")
    assert attachment_name(credential) == f"certificate-{code}-Hana-Holder-REVOKED.json"
    assert credential.data.decode() == org["credential"]  # signed: byte for byte as issued
    old = org["superseded"].code
    superseded = client.get(f"/certificates/{old}.pdf")
    assert attachment_name(superseded) == f"certificate-{old}-Old-Name-SUPERSEDED.pdf"
    assert "SUPERSEDED" in PdfReader(io.BytesIO(superseded.data)).pages[0].extract_text()
    page = client.get(f"/admin/certificates/{code}").get_data(as_text=True)
    assert f"/certificates/{code}.pdf" in page


def test_a_marked_copy_uploaded_for_verification_leads_to_the_certificate(client, login_as, runner, org, tmp_path):
    login_as(org["admin"])
    code = org["revoked"].code
    marked = client.get(f"/certificates/{code}.pdf").data
    response = client.post("/verify/", data={"file": (io.BytesIO(marked), "copy.pdf")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "starts with exactly the certificate PDF that was issued" in page and code in page and "Revoked" in page
    path = tmp_path / "marked.pdf"
    path.write_bytes(marked)
    result = runner.invoke(args=["verify-certificate", str(path)])
    assert result.exit_code == 4 and code in result.output and "Revoked" in result.output
    # The issued file itself is still recognised exactly, and shows as revoked.
    exact = client.post("/verify/", data={"file": (io.BytesIO(org["pdf"]), "issued.pdf")}).get_data(as_text=True)
    assert "exactly the certificate PDF that was issued" in exact and "Revoked" in exact
    assert hashlib.sha256(org["pdf"]).hexdigest() == org["revoked"].pdf_sha256


def test_anything_else_appended_is_not_vouched_for_and_edits_are_caught(client, org):
    appended = org["pdf"] + b"\n1 0 obj\n(anything)\nendobj\n%%EOF\n"
    page = client.post("/verify/", data={"file": (io.BytesIO(appended), "x.pdf")}).get_data(as_text=True)
    assert "Rely on the record below, not on what the additions show" in page
    edited = org["pdf"].replace(b"/Producer", b"/Producex", 1)
    page = client.post("/verify/", data={"file": (io.BytesIO(edited), "x.pdf")}).get_data(as_text=True)
    assert "It may have been edited" in page


def test_current_certificates_are_served_as_before(client, login_as, make_user, course):
    holder = make_user(Role.LEARNER, name="Val Id")
    cert = factories.complete_course(holder, course)
    login_as(holder)
    response = client.get(f"/certificates/{cert.code}.pdf")
    assert response.status_code == 200 and response.data == cert.pdf
    assert attachment_name(response) == f"certificate-{cert.code}-Val-Id.pdf"
    assert json.loads(client.get(f"/certificates/{cert.code}/credential.json").data)["credentialStatus"]
