"""Independent checks: Digital Bazaar's Verifiable Credentials libraries (Node) verify what the app publishes,
the Open Badges credentials' proofs and their revocation status through the published Bitstring Status List.

The Node packages are pinned in tests/interop/package-lock.json and installed by `make test` (`npm ci`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import factories
from tracker.certificates import contexts
from tracker.certificates import status_list as bsl
from tracker.certificates.badges import OB_V3_CONTEXT
from tracker.extensions import db
from tracker.models import Role
from tracker.services import certification

INTEROP = Path(__file__).resolve().parents[1] / "interop"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.skip("needs Node and the checkers in tests/interop (make test runs npm ci there)")
    return node


def run_checker(documents: dict, credentials: dict, tmp_path: Path) -> dict:
    node = _node()
    payload = tmp_path / "input.json"
    payload.write_text(json.dumps({"documents": documents, "credentials": credentials}))
    result = subprocess.run(
        [node, str(INTEROP / "verify.mjs"), str(payload)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_third_party_verifier_accepts_credentials_and_reads_their_revocation(client, course, make_user, tmp_path):
    admin = make_user(Role.ADMIN)
    kept = factories.complete_course(make_user(Role.LEARNER), course)
    revoked = factories.complete_course(make_user(Role.LEARNER), course)
    renamed = factories.complete_course(make_user(Role.LEARNER), course)
    certification.revoke(revoked, admin, "Issued in error")
    reissued = certification.reissue(renamed, admin, "Name changed", "Renamed Person")
    db.session.commit()

    did_document = client.get("/.well-known/did.json").get_json(force=True)
    status_list = client.get("/credentials/status/revocation").get_json(force=True)
    documents = {
        did_document["id"]: did_document,
        status_list["id"]: status_list,
        OB_V3_CONTEXT: contexts.load(OB_V3_CONTEXT),
    }
    credentials = {
        name: json.loads(cert.credential)
        for name, cert in {"kept": kept, "revoked": revoked, "superseded": renamed, "reissued": reissued}.items()
    }
    tampered = json.loads(kept.credential)
    tampered["credentialSubject"]["name"] = "Someone Else"
    credentials["tampered"] = tampered
    results = run_checker(documents, credentials, tmp_path)

    assert results.pop("tampered")["verified"] is False  # the checker is not vacuous
    del credentials["tampered"]

    for name in credentials:
        assert results[name]["verified"], (name, results[name])
        assert results[name]["status"]["verified"], (name, results[name])
    assert results["revoked"]["status"]["revoked"] is True
    assert results["kept"]["status"]["revoked"] is False
    assert results["superseded"]["status"]["revoked"] is False  # superseded is not revoked: it was valid
    assert results["reissued"]["status"]["revoked"] is False


def test_third_party_verifier_rejects_a_tampered_status_list(client, course, make_user, tmp_path):
    cert = factories.complete_course(make_user(Role.LEARNER), course)
    db.session.commit()
    did_document = client.get("/.well-known/did.json").get_json(force=True)
    status_list = client.get("/credentials/status/revocation").get_json(force=True)
    # Someone in between marks the certificate revoked: a well-formed list, but not the one the app signed.
    status_list["credentialSubject"]["encodedList"] = bsl.encode_list([cert.id], bsl.MIN_BITS)
    documents = {
        did_document["id"]: did_document,
        status_list["id"]: status_list,
        OB_V3_CONTEXT: contexts.load(OB_V3_CONTEXT),
    }
    results = run_checker(documents, {"cert": json.loads(cert.credential)}, tmp_path)
    assert results["cert"]["status"]["verified"] is False
    assert "not verified" in results["cert"]["status"]["error"]
