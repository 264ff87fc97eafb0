"""Open Badges 3.0 credentials with eddsa-jcs-2022 Data Integrity proofs (tracker.certificates.badges)."""

from __future__ import annotations

import copy
import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker.certificates import contexts
from tracker.certificates.badges import (
    OB_V3_CONTEXT,
    BadgeData,
    IssuerKey,
    b58decode,
    b58encode,
    b64url_decode,
    build_credential,
    credential_json,
    did_document,
    did_web,
    jcs_canonicalize,
    jwks,
    public_key_from_multibase,
    sign_credential,
    verification_method_id,
    verify_credential,
)

ISSUER = "did:web:training.example.com"
ISSUED = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
CREATED = datetime(2025, 3, 14, 9, 27, 0, tzinfo=UTC)


def badge_data(**changes) -> BadgeData:
    data = BadgeData(
        certificate_code="AB12-CD34-EF56",
        credential_url="https://training.example.com/certificates/AB12-CD34-EF56/credential.json",
        verify_url="https://training.example.com/verify/AB12-CD34-EF56",
        learner_name="Zoë Ångström",
        learner_id="urn:uuid:2f1c1b8e-5a8e-4a53-9d0b-8f1d2f6a9c11",
        course_slug="ai-basics",
        course_title="AI basics",
        course_summary="What AI systems are, what they can and cannot do, and how to use them responsibly.",
        course_version=3,
        achievement_url="https://training.example.com/courses/ai-basics#v3",
        criteria_narrative="Read every lesson and passed every module quiz (pass mark 80%).",
        score=92,
        issued_at=ISSUED,
        expires_at=ISSUED + timedelta(days=365),
        issuer_id=ISSUER,
        issuer_name="Example Org",
        issuer_url="https://training.example.com",
    )
    return replace(data, **changes)


@pytest.fixture(scope="module")
def key() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture(scope="module")
def signed(key) -> dict:
    return sign_credential(build_credential(badge_data()), key, verification_method_id(ISSUER), CREATED)


def published_multikey(key: IssuerKey) -> str:
    """What a verifier gets from the issuer's DID document (and nothing else)."""
    doc = json.loads(json.dumps(did_document(ISSUER, key)))
    vm_id = doc["assertionMethod"][0]
    (method,) = [vm for vm in doc["verificationMethod"] if vm["id"] == vm_id]
    assert method["type"] == "Multikey"
    return method["publicKeyMultibase"]


# --------------------------------------------------------------------------- base58 / multibase


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", ""),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (b"\x00", "1"),
        (b"\x00\x00\x00\x01", "1112"),
        (b"\x00\x00\x28\x7f\xb4\xcd", "11233QC4"),
    ],
)
def test_base58_known_vectors(raw, encoded):
    assert b58encode(raw) == encoded
    assert b58decode(encoded) == raw


def test_base58_rejects_characters_outside_the_alphabet():
    for bad in ("0", "O", "I", "l", "abc+"):
        with pytest.raises(ValueError):
            b58decode(bad)


def test_base58_round_trips_random_bytes_with_leading_zeros():
    for n in range(40):
        raw = b"\x00" * (n % 4) + os.urandom(n)
        assert b58decode(b58encode(raw)) == raw


# --------------------------------------------------------------------------- RFC 8785


def test_jcs_sorts_keys_by_utf16_code_units():
    # The sorting example of RFC 8785 section 3.2.3.
    data = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected_order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert list(json.loads(jcs_canonicalize(data))) == expected_order
    # Plain code-point order (json.dumps(sort_keys=True)) would put the emoji last: that is the trap.
    assert sorted(data)[-1] == "\U0001f600"
    assert jcs_canonicalize(data).decode("utf-8") == (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",'
        '"€":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )


def test_jcs_serialises_literals_nesting_and_escapes():
    value = {"b": [True, False, None, 0, -7, {"z": 1, "a": "x"}], "a": 'q"\\\n\t\x01/é\u2028', "": {}}
    assert (
        jcs_canonicalize(value)
        == ('{"":{},"a":"q\\"\\\\\\n\\t\\u0001/é\u2028","b":[true,false,null,0,-7,{"a":"x","z":1}]}').encode()
    )


@pytest.mark.parametrize("bad", [1.5, {"a": 1.0}, [float("nan")], 2**53, {1: "x"}, "\ud800", {"k": object()}])
def test_jcs_rejects_what_it_cannot_canonicalise_exactly(bad):
    with pytest.raises(ValueError):
        jcs_canonicalize(bad)


# --------------------------------------------------------------------------- the eddsa-jcs-2022 test vector

# From W3C "Data Integrity EdDSA Cryptosuites v1.0", test vectors for eddsa-jcs-2022
# (w3c/vc-di-eddsa TestVectors/keyPair.json and TestVectors/eddsa-jcs-2022/signedJCS.json).
SPEC_PUBLIC_KEY_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_PRIVATE_KEY_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"  # 0x8026 (ed25519-priv) + seed
SPEC_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
SPEC_UNSIGNED = {
    "@context": SPEC_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_VERIFICATION_METHOD = "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": SPEC_VERIFICATION_METHOD,
    "proofPurpose": "assertionMethod",
    "@context": SPEC_CONTEXT,
    "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4",
}
SPEC_CANONICAL_DOCUMENT = (
    '{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],'
    '"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},'
    '"description":"A minimum viable example of an Alumni Credential.",'
    '"id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678",'
    '"name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}'
)


def spec_key() -> IssuerKey:
    secret = b58decode(SPEC_PRIVATE_KEY_MULTIBASE[1:])
    assert secret[:2] == b"\x80\x26" and len(secret) == 34
    return IssuerKey.from_private_bytes(secret[2:])


def test_spec_test_vector_keys_match():
    assert spec_key().public_key_multibase == SPEC_PUBLIC_KEY_MULTIBASE


def test_spec_test_vector_canonical_document_matches():
    assert jcs_canonicalize(SPEC_UNSIGNED).decode() == SPEC_CANONICAL_DOCUMENT


def test_spec_test_vector_signature_matches_exactly():
    created = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    signed = sign_credential(SPEC_UNSIGNED, spec_key(), SPEC_VERIFICATION_METHOD, created)
    assert signed == {**SPEC_UNSIGNED, "proof": SPEC_PROOF}
    assert signed["proof"]["proofValue"] == SPEC_PROOF["proofValue"]


def test_spec_test_vector_verifies_and_detects_changes():
    spec_signed = {**SPEC_UNSIGNED, "proof": SPEC_PROOF}
    assert verify_credential(spec_signed, SPEC_PUBLIC_KEY_MULTIBASE)
    tampered = copy.deepcopy(spec_signed)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert not verify_credential(tampered, SPEC_PUBLIC_KEY_MULTIBASE)


# --------------------------------------------------------------------------- sign and verify


def test_round_trip_with_only_the_published_public_key(key, signed):
    multikey = published_multikey(key)
    assert multikey.startswith("z6Mk")
    assert public_key_from_multibase(multikey) == key.public_key_bytes
    assert verify_credential(signed, multikey)
    # The downloaded file alone is enough.
    assert verify_credential(json.loads(credential_json(signed)), multikey)


def test_proof_shape(signed):
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["created"] == "2025-03-14T09:27:00Z"
    assert proof["verificationMethod"] == "did:web:training.example.com#key-1"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["@context"] == signed["@context"]
    assert proof["proofValue"].startswith("z")
    assert len(b58decode(proof["proofValue"][1:])) == 64


def test_signing_does_not_mutate_the_input_and_refuses_a_second_proof(key):
    unsigned = build_credential(badge_data())
    before = copy.deepcopy(unsigned)
    signed = sign_credential(unsigned, key, verification_method_id(ISSUER), CREATED)
    assert unsigned == before
    with pytest.raises(ValueError):
        sign_credential(signed, key, verification_method_id(ISSUER), CREATED)


def _set(path: tuple, value):
    def change(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _delete(path: tuple):
    def change(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


def _flip_last_proof_char(doc):
    value = doc["proof"]["proofValue"]
    doc["proof"]["proofValue"] = value[:-1] + ("2" if value[-1] != "2" else "3")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_set(("name",), "Advanced AI"), id="name"),
        pytest.param(_set(("validUntil",), "2099-01-01T00:00:00Z"), id="validUntil"),
        pytest.param(_delete(("validUntil",)), id="validUntil-removed"),
        pytest.param(_set(("validFrom",), "2020-01-01T00:00:00Z"), id="validFrom"),
        pytest.param(_set(("credentialSubject", "achievement", "name"), "Something else"), id="achievement-name"),
        pytest.param(_set(("credentialSubject", "name"), "Mallory"), id="learner-name"),
        pytest.param(_set(("credentialSubject", "result", 0, "value"), "100"), id="score"),
        pytest.param(_set(("issuer", "name"), "Other Org"), id="issuer-name"),
        pytest.param(_set(("extra",), "field"), id="added-field"),
        pytest.param(
            _set(("@context",), [*build_credential(badge_data())["@context"], "https://x.test/ctx"]),
            id="appended-context",
        ),
        pytest.param(_flip_last_proof_char, id="proofValue"),
        pytest.param(_set(("proof", "proofValue"), "z" + b58encode(bytes(64))), id="zero-signature"),
        pytest.param(_set(("proof", "created"), "2030-01-01T00:00:00Z"), id="proof-created"),
        pytest.param(_set(("proof", "verificationMethod"), "did:web:evil.example#key-1"), id="proof-vm"),
        pytest.param(_set(("proof", "proofPurpose"), "authentication"), id="proof-purpose"),
        pytest.param(_set(("proof", "cryptosuite"), "eddsa-rdfc-2022"), id="cryptosuite"),
        pytest.param(_delete(("proof", "@context")), id="proof-context-removed"),
        pytest.param(_set(("proof", "proofValue"), "not-multibase"), id="garbage-proofValue"),
        pytest.param(_delete(("proof",)), id="no-proof"),
        pytest.param(_set(("proof",), []), id="proof-list"),
        pytest.param(_set(("proof", "extra"), 1.5), id="float-in-proof"),
    ],
)
def test_any_change_breaks_verification(key, signed, tamper):
    multikey = published_multikey(key)
    altered = copy.deepcopy(signed)
    tamper(altered)
    assert altered != signed
    assert verify_credential(altered, multikey) is False


def test_a_different_key_fails(signed):
    assert verify_credential(signed, IssuerKey.generate().public_key_multibase) is False


@pytest.mark.parametrize("bad_key", ["", "z", "6Mk", "zzzz", "z" + b58encode(b"\xed\x01" + bytes(31))])
def test_malformed_public_keys_are_a_plain_false(signed, bad_key):
    assert verify_credential(signed, bad_key) is False


def test_non_dict_input_is_a_plain_false(key):
    assert verify_credential([], key.public_key_multibase) is False  # type: ignore[arg-type]


def test_credential_json_is_stable_pretty_utf8(signed):
    first = credential_json(signed)
    assert first == credential_json(copy.deepcopy(signed))
    text = first.decode("utf-8")
    assert "Zoë Ångström" in text and "\n  " in text
    assert json.loads(text) == signed


# --------------------------------------------------------------------------- OB 3.0 shape

# Terms the VC 2.0 context defines (credential level, and DataIntegrityProof's scoped terms).
# fmt: off
VC_V2_CORE_TERMS = {
    "@context", "id", "type", "name", "description", "issuer", "validFrom", "validUntil", "credentialSubject",
    "proof", "evidence", "credentialStatus", "credentialSchema", "termsOfUse", "refreshService", "renderMethod",
    "relatedResource", "digestSRI", "digestMultibase", "mediaType", "confidenceMethod",
    "cryptosuite", "created", "expires", "verificationMethod", "proofPurpose", "proofValue", "challenge", "domain",
    "nonce", "previousProof",
}
# fmt: on
VC_V2_CORE_TYPES = {"VerifiableCredential", "DataIntegrityProof"}


def load_ob_context() -> dict:
    """The Open Badges 3.0 context as vendored in the package (1EdTech's file, byte for byte)."""
    return contexts.load(OB_V3_CONTEXT)["@context"]


def walk_unknown_terms(node, ob: dict, where: str = "$") -> list[str]:
    """Every key must be a VC 2.0 core term, an OB top-level term, or a term scoped to one of the object's types;
    every type must be a VC 2.0 core type or an OB class."""
    problems = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            problems += walk_unknown_terms(item, ob, f"{where}[{i}]")
        return problems
    if not isinstance(node, dict):
        return problems
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    scoped: set[str] = set()
    for type_name in types:
        definition = ob.get(type_name)
        if type_name not in VC_V2_CORE_TYPES and definition is None:
            problems.append(f"{where}: unknown type {type_name!r}")
        if isinstance(definition, dict):
            scoped |= set(definition.get("@context", {}))
    for term, value in node.items():
        if term not in VC_V2_CORE_TERMS and term not in ob and term not in scoped:
            problems.append(f"{where}.{term}")
        if term != "@context":
            problems += walk_unknown_terms(value, ob, f"{where}.{term}")
    return problems


def test_every_property_is_defined_by_vc2_or_the_ob3_context(signed):
    ob = load_ob_context()
    assert walk_unknown_terms(signed, ob) == []
    without_score = build_credential(badge_data(score=None, expires_at=None))
    assert walk_unknown_terms(without_score, ob) == []
    # The checker itself is not vacuous.
    assert walk_unknown_terms({**signed, "credentialSubject": {**signed["credentialSubject"], "email": "x"}}, ob)


def test_required_open_badges_fields(signed):
    assert signed["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert signed["id"] == badge_data().credential_url
    assert signed["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed["name"] == "AI basics"
    assert signed["issuer"] == {
        "id": ISSUER,
        "type": ["Profile"],
        "name": "Example Org",
        "url": "https://training.example.com",
    }
    assert signed["validFrom"] == "2025-03-14T09:26:53Z"
    assert signed["validUntil"] == "2026-03-14T09:26:53Z"
    subject = signed["credentialSubject"]
    assert subject["id"] == "urn:uuid:2f1c1b8e-5a8e-4a53-9d0b-8f1d2f6a9c11"
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "Zoë Ångström"
    assert "@" not in json.dumps(subject).replace("@context", "")  # no e-mail address anywhere in the subject
    achievement = subject["achievement"]
    for field in ("id", "type", "name", "description", "criteria"):
        assert achievement[field]
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "Course"
    assert achievement["version"] == "3"
    assert achievement["criteria"] == {"narrative": badge_data().criteria_narrative}
    assert signed["evidence"][0]["id"] == badge_data().verify_url
    assert signed["evidence"][0]["type"] == ["Evidence"]


def test_result_points_at_a_result_description_of_the_achievement(signed):
    subject = signed["credentialSubject"]
    (description,) = subject["achievement"]["resultDescription"]
    for field in ("id", "type", "name", "resultType"):
        assert description[field]
    assert description["type"] == ["ResultDescription"]
    assert description["resultType"] == "Percent"
    (result,) = subject["result"]
    assert result == {"type": ["Result"], "resultDescription": description["id"], "value": "92"}


def test_without_score_or_expiry(key):
    credential = build_credential(badge_data(score=None, expires_at=None))
    assert "validUntil" not in credential
    assert "result" not in credential["credentialSubject"]
    # The Achievement reads the same whether or not this award has a score.
    assert (
        credential["credentialSubject"]["achievement"]
        == build_credential(badge_data())["credentialSubject"]["achievement"]
    )
    signed = sign_credential(credential, key, verification_method_id(ISSUER), CREATED)
    assert verify_credential(signed, key.public_key_multibase)


def test_dates_are_normalised_to_utc_seconds_and_naive_ones_refused():
    local = datetime(2025, 3, 14, 11, 26, 53, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert build_credential(badge_data(issued_at=local))["validFrom"] == "2025-03-14T09:26:53Z"
    with pytest.raises(ValueError):
        build_credential(badge_data(issued_at=datetime(2025, 3, 14, 9, 0, 0)))


def test_score_must_be_a_percentage():
    with pytest.raises(ValueError):
        build_credential(badge_data(score=101))


# --------------------------------------------------------------------------- did:web, DID document, JWKS


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://training.example.com", "did:web:training.example.com"),
        ("https://training.example.com/", "did:web:training.example.com"),
        ("https://Training.Example.com", "did:web:training.example.com"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
        ("https://example.com:8443/org/training", "did:web:example.com%3A8443:org:training"),
    ],
)
def test_did_web(url, did):
    assert did_web(url) == did


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com", "https://u:p@example.com", "https://x.com/?a=1"])
def test_did_web_rejects_unusable_base_urls(url):
    with pytest.raises(ValueError):
        did_web(url)


def test_did_document(key):
    doc = did_document(ISSUER, key)
    assert doc["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    assert doc["id"] == ISSUER
    assert doc["verificationMethod"] == [
        {
            "id": "did:web:training.example.com#key-1",
            "type": "Multikey",
            "controller": ISSUER,
            "publicKeyMultibase": key.public_key_multibase,
        }
    ]
    assert doc["assertionMethod"] == ["did:web:training.example.com#key-1"]
    assert verification_method_id(ISSUER) == "did:web:training.example.com#key-1"


def test_jwks_x_is_the_same_key_as_the_multikey(key):
    (jwk,) = jwks(key, ISSUER)["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    assert jwk["kid"] == verification_method_id(ISSUER)
    assert "d" not in jwk
    assert "=" not in jwk["x"]
    x = b64url_decode(jwk["x"])
    assert len(x) == 32
    assert x == public_key_from_multibase(key.public_key_multibase)
    assert key.public_jwk()["kid"]  # thumbprint by default


def test_jwk_thumbprint_rfc8037_vector():
    # RFC 8037 appendix A.3: the thumbprint of the A.2 public key.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = IssuerKey.from_private_bytes(seed)
    assert key.public_jwk()["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert key.jwk_thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


# --------------------------------------------------------------------------- key loading


def test_load_or_create_creates_a_private_pem_then_reuses_it(tmp_path):
    instance = tmp_path / "instance"
    first = IssuerKey.load_or_create(key_file=None, key_pem=None, instance_path=instance, allow_create=True)
    pem_file = instance / "issuer-ed25519.pem"
    assert pem_file.exists()
    assert stat.S_IMODE(pem_file.stat().st_mode) == 0o600
    assert pem_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert [p.name for p in instance.iterdir()] == ["issuer-ed25519.pem"]  # no temp files left behind
    second = IssuerKey.load_or_create(key_file=None, key_pem=None, instance_path=instance, allow_create=True)
    assert second.public_key_multibase == first.public_key_multibase


def test_load_or_create_refuses_to_invent_a_key_outside_development(tmp_path):
    with pytest.raises(RuntimeError, match="ISSUER_PRIVATE_KEY"):
        IssuerKey.load_or_create(key_file=None, key_pem=None, instance_path=tmp_path, allow_create=False)
    assert not (tmp_path / "issuer-ed25519.pem").exists()


def test_key_pem_wins_over_key_file(tmp_path):
    from_env, from_file = IssuerKey.generate(), IssuerKey.generate()
    key_file = tmp_path / "issuer.pem"
    key_file.write_bytes(from_file.private_pem())
    loaded = IssuerKey.load_or_create(
        key_file=str(key_file), key_pem=from_env.private_pem().decode(), instance_path=tmp_path, allow_create=False
    )
    assert loaded.public_key_multibase == from_env.public_key_multibase
    loaded = IssuerKey.load_or_create(key_file=str(key_file), key_pem=None, instance_path=tmp_path, allow_create=False)
    assert loaded.public_key_multibase == from_file.public_key_multibase
    assert not (tmp_path / "issuer-ed25519.pem").exists()


def test_configured_but_unusable_keys_fail_clearly(tmp_path):
    with pytest.raises(RuntimeError, match="cannot read"):
        IssuerKey.load_or_create(
            key_file=str(tmp_path / "missing.pem"), key_pem=None, instance_path=tmp_path, allow_create=True
        )
    with pytest.raises(RuntimeError, match="PEM"):
        IssuerKey.load_or_create(key_file=None, key_pem="not a key", instance_path=tmp_path, allow_create=True)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(RuntimeError, match="Ed25519"):
        IssuerKey.load_or_create(key_file=None, key_pem=ec_pem.decode(), instance_path=tmp_path, allow_create=False)


def test_repr_does_not_leak_the_private_key(key):
    assert repr(key) == f"IssuerKey({key.public_key_multibase})"
