"""Signing JSON documents with a W3C Data Integrity proof, cryptosuite ``eddsa-jcs-2022``, and the issuer's did:web.

Per "Data Integrity EdDSA Cryptosuites v1.0":

* the proof configuration is the proof minus ``proofValue``; it carries the document's ``@context``;
* hash data = SHA-256(JCS(proof configuration)) || SHA-256(JCS(document without proof)), JCS = RFC 8785;
* the Ed25519 signature over the hash data, multibase base58-btc encoded ('z' prefix), is ``proofValue``.

So a signed document alone can be checked with nothing but the issuer's public key, which is published in the
issuer's did:web DID document as a ``Multikey`` (multibase base58-btc of 0xed01 + the 32-byte key).
Nothing here touches the network: JCS signs the JSON itself, so no JSON-LD context is ever fetched.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .encoding import b64url_encode, jcs_canonicalize, multibase_b58_decode, multibase_b58_encode

DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"

DEV_KEY_FILENAME = "issuer-ed25519.pem"
ED25519_PUB_MULTICODEC = b"\xed\x01"  # varint of multicodec 0xed (ed25519-pub)


# --------------------------------------------------------------------------- keys and DIDs


def public_key_from_multibase(public_key_multibase: str) -> bytes:
    """The raw 32-byte Ed25519 key inside a Multikey ``publicKeyMultibase`` ('z6Mk...')."""
    decoded = multibase_b58_decode(public_key_multibase)
    if len(decoded) != 34 or not decoded.startswith(ED25519_PUB_MULTICODEC):
        raise ValueError("not an Ed25519 Multikey (expected 0xed01 followed by 32 bytes)")
    return decoded[2:]


class IssuerKey:
    """The organisation's Ed25519 signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError("IssuerKey needs an Ed25519 private key")
        self._private_key = private_key
        self._public_bytes = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def __repr__(self) -> str:  # never print key material
        return f"IssuerKey({self.public_key_multibase})"

    @classmethod
    def generate(cls) -> IssuerKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, seed: bytes) -> IssuerKey:
        """From the raw 32-byte Ed25519 private key (seed)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_pem(cls, pem: str | bytes, *, source: str = "PEM") -> IssuerKey:
        data = pem.encode("utf-8") if isinstance(pem, str) else pem
        try:
            private_key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise RuntimeError(f"issuer key from {source} is not an unencrypted PEM private key: {exc}") from None
        if not isinstance(private_key, Ed25519PrivateKey):
            raise RuntimeError(f"issuer key from {source} is not an Ed25519 key")
        return cls(private_key)

    @classmethod
    def load_or_create(
        cls, *, key_file: str | None, key_pem: str | None, instance_path: Path, allow_create: bool
    ) -> IssuerKey:
        """key_pem (PEM text, e.g. from env ISSUER_PRIVATE_KEY) wins, then key_file (path to a PEM file, shared by
        every host), else (only when allow_create, i.e. development) instance_path / "issuer-ed25519.pem" is read
        or created (mode 0600). Raise RuntimeError with a clear message when no key is configured and creation is
        not allowed."""
        if key_pem and key_pem.strip():
            return cls.from_pem(key_pem, source="ISSUER_PRIVATE_KEY")
        if key_file:
            path = Path(key_file)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise RuntimeError(f"cannot read the issuer key file {path}: {exc.strerror or exc}") from None
            return cls.from_pem(data, source=str(path))
        if not allow_create:
            raise RuntimeError(
                "No issuer signing key is configured. Set ISSUER_PRIVATE_KEY (PEM text) or ISSUER_KEY_FILE (path to an "
                "Ed25519 PEM file shared by every host); every host must sign with the same key."
            )
        path = Path(instance_path) / DEV_KEY_FILENAME
        if not path.exists():
            _create_key_file(path)
        return cls.from_pem(path.read_bytes(), source=str(path))

    def private_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def public_key_bytes(self) -> bytes:
        return self._public_bytes

    @property
    def public_key_multibase(self) -> str:
        return multibase_b58_encode(ED25519_PUB_MULTICODEC + self._public_bytes)

    def jwk_thumbprint(self) -> str:
        """RFC 7638 thumbprint (SHA-256, base64url) of the public JWK."""
        members = {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self._public_bytes)}
        return b64url_encode(hashlib.sha256(jcs_canonicalize(members)).digest())

    def public_jwk(self, kid: str | None = None) -> dict:
        """{"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ...}; kid defaults to the RFC 7638 thumbprint."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self._public_bytes),
            "kid": kid or self.jwk_thumbprint(),
        }

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)


def _create_key_file(path: Path) -> None:
    """Write a fresh key with mode 0600 without ever exposing a half-written file; if two processes race, both
    end up loading whichever key was linked into place first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = IssuerKey.generate().private_pem()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)  # atomic, never overwrites
    finally:
        tmp.unlink(missing_ok=True)


def did_web(base_url: str) -> str:
    """did:web identifier for a site: "https://training.example.com" -> "did:web:training.example.com".
    A port is percent-encoded ("%3A5000"); path segments become ':'-separated."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"did:web needs an http(s) base URL, got {base_url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"did:web base URL must not carry credentials, a query or a fragment: {base_url!r}")
    host = parts.netloc.lower()
    segments = [quote(seg, safe="") for seg in parts.path.split("/") if seg]
    return ":".join(["did:web", quote(host, safe="[]"), *segments])


def verification_method_id(issuer_id: str) -> str:
    return f"{issuer_id}#key-1"


def did_document(issuer_id: str, key: IssuerKey) -> dict:
    """The DID document to serve at /.well-known/did.json (or <path>/did.json for a did:web with a path)."""
    vm_id = verification_method_id(issuer_id)
    return {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
        "id": issuer_id,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": issuer_id,
                "publicKeyMultibase": key.public_key_multibase,
            }
        ],
        "assertionMethod": [vm_id],
    }


def jwks(key: IssuerKey, issuer_id: str) -> dict:
    return {"keys": [key.public_jwk(kid=verification_method_id(issuer_id))]}


# --------------------------------------------------------------------------- Data Integrity proof


def iso_utc(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC with seconds precision: 2025-01-31T09:30:00Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timezone-aware datetime required")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash_data(proof_config: dict, unsecured: dict) -> bytes:
    return (
        hashlib.sha256(jcs_canonicalize(proof_config)).digest() + hashlib.sha256(jcs_canonicalize(unsecured)).digest()
    )


def sign_credential(credential: dict, key: IssuerKey, verification_method: str, created: datetime) -> dict:
    """A copy of the credential with an eddsa-jcs-2022 DataIntegrityProof added as "proof"."""
    if "proof" in credential:
        raise ValueError("credential already carries a proof")
    unsecured = copy.deepcopy(credential)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": iso_utc(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    proof["proofValue"] = multibase_b58_encode(key.sign(_hash_data(proof, unsecured)))
    return {**unsecured, "proof": proof}


def verify_credential(signed: dict, public_key_multibase: str) -> bool:
    """True only if the eddsa-jcs-2022 proof verifies with this Ed25519 Multikey and nothing was altered.

    Stricter than the spec in one respect: the proof's @context must equal the document's (the spec only needs
    it to be a prefix), so appending a context to a signed credential is also detected."""
    try:
        if not isinstance(signed, dict):
            return False
        proof = signed.get("proof")
        if not isinstance(proof, dict):
            return False
        if (
            proof.get("type") != PROOF_TYPE
            or proof.get("cryptosuite") != CRYPTOSUITE
            or proof.get("proofPurpose") != PROOF_PURPOSE
            or not isinstance(proof.get("verificationMethod"), str)
        ):
            return False
        created = proof.get("created")
        if created is not None and (not isinstance(created, str) or _parse_datetime(created) is None):
            return False
        signature = multibase_b58_decode(proof.get("proofValue"))
        if len(signature) != 64:
            return False
        proof_config = {k: v for k, v in proof.items() if k != "proofValue"}
        unsecured = {k: v for k, v in signed.items() if k != "proof"}
        if proof_config.get("@context") != unsecured.get("@context"):
            return False
        public_key = Ed25519PublicKey.from_public_bytes(public_key_from_multibase(public_key_multibase))
        public_key.verify(signature, _hash_data(proof_config, unsecured))
        return True
    except (InvalidSignature, ValueError, TypeError, AttributeError, RecursionError):
        return False


def _parse_datetime(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
