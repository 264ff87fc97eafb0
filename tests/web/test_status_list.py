"""The published revocation list (W3C Bitstring Status List): public, signed with the issuer's key, right at once
after a revocation in every worker, and the same answer as the verification page, the API and the CLI."""

from __future__ import annotations

import json

import pytest

from tests import factories
from tracker import create_app
from tracker.certificates import signing
from tracker.certificates import status_list as bsl
from tracker.certificates.encoding import b64url_decode
from tracker.enums import CertificateStatus
from tracker.extensions import db
from tracker.models import Role
from tracker.services import certification

LIST_PATH = "/credentials/status/revocation"


def published_key(client) -> str:
    """The issuer's public key as anyone gets it: from the did:web DID document, checked against the JWKS."""
    did_document = client.get("/.well-known/did.json").get_json(force=True)
    method = did_document["verificationMethod"][0]
    assert did_document["assertionMethod"] == [method["id"]]
    jwk = client.get("/.well-known/jwks.json").get_json()["keys"][0]
    assert b64url_decode(jwk["x"]) == signing.public_key_from_multibase(method["publicKeyMultibase"])
    return method["publicKeyMultibase"]


def fetch_list(client) -> tuple[dict, bytes]:
    response = client.get(LIST_PATH)
    assert response.status_code == 200
    credential = json.loads(response.data)
    return credential, bsl.decode_list(credential["credentialSubject"]["encodedList"])


def bit_of(cert, bits: bytes) -> bool:
    entry = json.loads(cert.credential)["credentialStatus"]
    return bsl.bit_is_set(bits, int(entry["statusListIndex"]))


@pytest.fixture
def certificates(app, make_user, course):
    admin = make_user(Role.ADMIN)
    valid = factories.complete_course(make_user(Role.LEARNER, name="Vera Valid"), course)
    to_revoke = factories.complete_course(make_user(Role.LEARNER, name="Rex Revoked"), course)
    to_reissue = factories.complete_course(make_user(Role.LEARNER, name="Sue Superseded"), course)
    db.session.commit()
    return {"admin": admin, "valid": valid, "revoked": to_revoke, "superseded": to_reissue}


def test_the_list_is_public_signed_and_shaped_as_the_recommendation_says(client, certificates):
    response = client.get(LIST_PATH)  # nobody signed in
    assert response.status_code == 200
    assert response.mimetype == "application/vc"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "no-cache" in response.headers["Cache-Control"]
    credential = json.loads(response.data)
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["id"].endswith(LIST_PATH)
    subject = credential["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert subject["encodedList"].startswith("u")
    assert len(bsl.decode_list(subject["encodedList"])) * 8 >= 131_072
    did_document = client.get("/.well-known/did.json").get_json(force=True)
    assert credential["issuer"] == did_document["id"]
    assert credential["proof"]["verificationMethod"] == did_document["verificationMethod"][0]["id"]
    assert signing.verify_credential(credential, published_key(client))
    tampered = {**credential, "credentialSubject": {**subject, "encodedList": bsl.encode_list([1, 2], 131_072)}}
    assert not signing.verify_credential(tampered, published_key(client))
    assert client.get(LIST_PATH, headers={"Accept": "application/json"}).mimetype == "application/json"


def test_every_credential_points_at_the_list_with_its_certificate_id(client, certificates):
    list_id = fetch_list(client)[0]["id"]
    for cert in (certificates["valid"], certificates["revoked"]):
        credential = json.loads(cert.credential)
        assert credential["credentialStatus"] == {
            "id": f"{list_id}#{cert.id}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(cert.id),
            "statusListCredential": list_id,
        }
        assert signing.verify_credential(credential, published_key(client))


def test_revoking_sets_the_bit_at_once_and_superseding_does_not(client, certificates):
    admin = certificates["admin"]
    _, before = fetch_list(client)
    assert not any(before)
    certification.revoke(certificates["revoked"], admin, "Issued in error")
    new = certification.reissue(certificates["superseded"], admin, "Name corrected", "Sue Corrected")
    db.session.commit()

    credential, bits = fetch_list(client)
    assert signing.verify_credential(credential, published_key(client))
    assert bit_of(certificates["revoked"], bits) is True
    assert bit_of(certificates["valid"], bits) is False
    assert bit_of(certificates["superseded"], bits) is False  # it was valid; the reissue replaces it
    assert bit_of(new, bits) is False
    assert [i for i in range(len(bits) * 8) if bsl.bit_is_set(bits, i)] == [certificates["revoked"].id]
    assert credential["validFrom"] == signing.iso_utc(certificates["revoked"].revoked_at)


def test_the_list_the_verify_page_the_api_and_the_cli_agree(client, runner, certificates, tmp_path):
    certification.revoke(certificates["revoked"], certificates["admin"], "Issued in error")
    certification.reissue(certificates["superseded"], certificates["admin"], "Name corrected", "Sue Corrected")
    db.session.commit()
    _, bits = fetch_list(client)
    for name, cert in certificates.items():
        if name == "admin":
            continue
        revoked = certification.status(cert) == CertificateStatus.REVOKED
        assert bit_of(cert, bits) is revoked, name
        assert (client.get(f"/api/v1/verify/{cert.code}").get_json()["status"] == "revoked") is revoked
        page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
        assert ("was revoked and is no longer valid" in page) is revoked
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(cert.pdf)
        result = runner.invoke(args=["verify-certificate", str(pdf)])
        assert ("(Revoked)" in result.output) is revoked, result.output


def test_an_unchanged_list_answers_not_modified(client, certificates):
    first = client.get(LIST_PATH)
    again = client.get(LIST_PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    certification.revoke(certificates["revoked"], certificates["admin"], "Issued in error")
    db.session.commit()
    changed = client.get(LIST_PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


@pytest.mark.real_commits  # two workers: separate apps with their own connections
def test_every_worker_serves_the_revocation_at_once(app, app_config, make_user, course):
    first_worker, second_worker = create_app(app_config), create_app(app_config)
    cert = factories.complete_course(make_user(Role.LEARNER), course)
    admin = make_user(Role.ADMIN)
    db.session.commit()
    _, bits = fetch_list(second_worker.test_client())  # the second worker has the list at hand
    assert bit_of(cert, bits) is False

    admin_client = first_worker.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})
    response = admin_client.post(
        f"/admin/certificates/{cert.code}/revoke", data={"reason": "Issued in error", "confirmed": "yes"}
    )
    assert response.status_code == 302

    _, bits = fetch_list(second_worker.test_client())
    assert bit_of(cert, bits) is True
