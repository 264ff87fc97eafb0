"""The evidence pack: its contents, its signed manifest, and verification with the public key alone."""

import csv
import hashlib
import io
import json
import zipfile

import pytest
from pypdf import PdfReader

from tests import factories
from tracker.certificates import signing
from tracker.enums import RiskClass, Role
from tracker.extensions import Issuer, db
from tracker.services.programme import evidence_pack, inventory, pack_verification, policies, privacy, requirements
from tracker.services.reporting import evidence

ORGANISATION = "Example Organisation"


@pytest.fixture
def issuer_key():
    return signing.IssuerKey.generate()


@pytest.fixture
def pack(app, make_user, issuer_key):
    team = factories.make_team("Recruiting")
    course = factories.make_course()
    person = make_user(team=team, name="Rita Recruiter", email="rita@example.org", job_role="Recruiter")
    factories.complete_course(person, course)
    system = inventory.create_system(
        None,
        inventory.SystemInput(
            "CV screening", vendor="Screen Ltd", risk_class=RiskClass.HIGH_RISK.value, team_ids=[team.id]
        ),
    )
    policy = policies.create_policy(None, "aup", "Acceptable use", policies.VersionInput("Use approved tools only."))
    policies.acknowledge(person, policies.current_version(policy), ip_address="192.0.2.5")
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{course.id}", system_id=system.id))
    requirements.create_requirement(None, requirements.RequirementInput(f"policy:{policy.id}", system_id=system.id))
    requirements.sync()
    db.session.commit()
    issuer = Issuer("https://training.example.com", ORGANISATION, issuer_key)
    return evidence_pack.build_pack(evidence.organisation_scope(), issuer)


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_pack_holds_every_record_an_inspector_asks_for(pack):
    files = _files(pack.data)
    assert set(files) == {
        "README.txt",
        "training-plan.pdf",
        "training-plan.csv",
        "inventory.csv",
        "inventory-history.csv",
        "role-requirements.csv",
        "curriculum.csv",
        "policy-versions.csv",
        "completions.csv",
        "attempts.csv",
        "acknowledgements.csv",
        "refresher-schedule.csv",
        "coverage.csv",
        "audit-excerpt.csv",
        "manifest.json",
    }
    assert _rows(files["inventory.csv"])[0]["risk_class"] == "high_risk"
    assert _rows(files["completions.csv"])[0]["person"] == "Rita Recruiter"
    assert _rows(files["acknowledgements.csv"])[0]["ip_address"] == "192.0.2.5"
    assert len(_rows(files["curriculum.csv"])[0]["content_fingerprint_sha256"]) == 64
    assert _rows(files["refresher-schedule.csv"])[0]["expires_at_utc"]
    assert {r["status"] for r in _rows(files["coverage.csv"])} == {"covered"}
    assert len(_rows(files["attempts.csv"])) == 2
    plan = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["training-plan.pdf"])).pages)
    plan = " ".join(plan.split())
    assert "Regulation (EU) 2026/1744" in plan
    assert "take measures to support the development of AI literacy" in plan
    assert "not a certification of compliance" in plan
    assert "as of " in plan
    manifest = json.loads(files["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(files) - {"manifest.json"}
    assert manifest["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_a_genuine_pack_verifies_with_the_public_key_from_the_did_document(pack, issuer_key):
    document = signing.did_document("did:web:training.example.com", issuer_key)
    public_key = document["verificationMethod"][0]["publicKeyMultibase"]  # all the verifier knows
    result = pack_verification.verify_pack(pack.data, public_key)
    assert result.ok and result.signature_valid and result.files_checked == 14
    assert result.organisation == ORGANISATION


def test_a_changed_file_fails(pack, issuer_key):
    files = _files(pack.data)
    files["completions.csv"] = files["completions.csv"].replace(b"Rita Recruiter", b"Rita Recruitar")
    result = pack_verification.verify_pack(_zip(files), issuer_key.public_key_multibase)
    assert not result.ok and result.signature_valid
    assert any("completions.csv" in p for p in result.problems)


def test_a_changed_manifest_fails_even_when_it_matches_the_changed_file(pack, issuer_key):
    files = _files(pack.data)
    files["completions.csv"] += b"Mallory,,,,forged,Forged,1,1,2026-01-01T00:00:00Z,100,1,en,,\r\n"
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == "completions.csv":
            entry["sha256"] = hashlib.sha256(files["completions.csv"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    result = pack_verification.verify_pack(_zip(files), issuer_key.public_key_multibase)
    assert not result.ok and not result.signature_valid


def test_a_relabelled_manifest_fails(pack, issuer_key):
    files = _files(pack.data)
    manifest = json.loads(files["manifest.json"])
    manifest["scope"] = "Another organisation"
    files["manifest.json"] = json.dumps(manifest).encode()
    assert not pack_verification.verify_pack(_zip(files), issuer_key.public_key_multibase).signature_valid


def test_added_or_removed_files_and_another_key_fail(pack, issuer_key):
    files = _files(pack.data)
    added = _zip({**files, "extra.csv": b"x"})
    result = pack_verification.verify_pack(added, issuer_key.public_key_multibase)
    assert not result.ok and any("extra.csv" in p for p in result.problems)
    removed = _zip({k: v for k, v in files.items() if k != "attempts.csv"})
    assert any(
        "attempts.csv" in p for p in pack_verification.verify_pack(removed, issuer_key.public_key_multibase).problems
    )
    other = signing.IssuerKey.generate().public_key_multibase
    assert not pack_verification.verify_pack(pack.data, other).ok
    assert not pack_verification.verify_pack(b"not a zip", issuer_key.public_key_multibase).ok
    assert not pack_verification.verify_pack(_zip({"a.txt": b"a"}), issuer_key.public_key_multibase).ok


def test_a_pseudonymised_pack_names_nobody(app, pack, issuer_key):
    privacy.save(None, privacy.Settings(pseudonymise_exports=True))
    issuer = Issuer("https://training.example.com", ORGANISATION, issuer_key)
    again = evidence_pack.build_pack(evidence.organisation_scope(), issuer)
    files = _files(again.data)
    for name, content in files.items():
        if name.endswith(".csv"):
            assert b"Rita" not in content and b"rita@example.org" not in content, name
    assert _rows(files["completions.csv"])[0]["person"].startswith("P-")
    assert json.loads(files["manifest.json"])["pseudonymised"] is True


def test_cli_verifies_with_a_given_public_key(app, runner, pack, issuer_key, tmp_path):
    path = tmp_path / "pack.zip"
    path.write_bytes(pack.data)
    ok = runner.invoke(args=["verify-evidence-pack", str(path), "--public-key", issuer_key.public_key_multibase])
    assert ok.exit_code == 0, ok.output
    assert "Genuine" in ok.output
    files = _files(pack.data)
    files["inventory.csv"] += b"x"
    path.write_bytes(_zip(files))
    bad = runner.invoke(args=["verify-evidence-pack", str(path), "--public-key", issuer_key.public_key_multibase])
    assert bad.exit_code == 1 and "inventory.csv" in bad.output


def test_the_verification_page_checks_an_uploaded_pack(app, client, make_user):
    from tracker.extensions import issuing

    admin = make_user(Role.ADMIN)
    db.session.commit()
    genuine = evidence_pack.build_pack(evidence.organisation_scope(), issuing.current).data
    response = client.post(
        "/verify/evidence-pack", data={"pack": (io.BytesIO(genuine), "pack.zip")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200 and b"Genuine" in response.data
    files = _files(genuine)
    files["README.txt"] = b"changed"
    response = client.post(
        "/verify/evidence-pack",
        data={"pack": (io.BytesIO(_zip(files)), "pack.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and b"README.txt was changed" in response.data
    assert admin  # the page needs no sign-in
    response = client.post("/verify/evidence-pack", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
