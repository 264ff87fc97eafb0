"""The published revocation list (W3C Bitstring Status List) of every certificate's Open Badges credential.

Bit i is set when the certificate with database id i is revoked: the same rule (`status.is_revoked`) that the
verification page, the API and the CLI read through `status.status()`. Superseded certificates are not revoked
(they were valid when issued), so their bit stays 0. The list is computed from the database on every request, so
it is right in every worker at once after a revocation; each process keeps the signed document of the latest
content, so an unchanged list costs two small queries and no signing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from ...certificates import badges, signing
from ...certificates import status_list as bitstring
from ...certificates.encoding import b64url_encode
from ...extensions import db, issuing
from ...models import Certificate
from .status import is_revoked

# Before any certificate exists the list still needs a validFrom; any fixed moment will do.
EMPTY_LIST_VALID_FROM = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ListContent:
    list_url: str
    issuer_id: str
    issuer_key: str  # the public key: apps in one process (tests) may share a URL but not a key
    length: int
    revoked_ids: tuple[int, ...]
    valid_from: datetime  # the latest revocation (when the list last changed), else the first certificate


@dataclass(frozen=True)
class PublishedList:
    content: ListContent
    body: bytes  # the signed credential as JSON
    etag: str


_cache: PublishedList | None = None  # this process's latest list; replaced whole, so no lock is needed


def entry_for(cert: Certificate) -> dict:
    """The `credentialStatus` a certificate's credential carries: its database id is its index in the list."""
    if cert.id is None:
        raise ValueError("the certificate needs its database id before its credential is signed")
    return bitstring.status_entry(issuing.current.status_list_url, cert.id)


def current_content() -> ListContent:
    highest_id, latest_revocation, first_created = db.session.execute(
        select(func.max(Certificate.id), func.max(Certificate.revoked_at), func.min(Certificate.created_at))
    ).one()
    revoked = tuple(db.session.scalars(select(Certificate.id).where(is_revoked()).order_by(Certificate.id)))
    issuer = issuing.current
    return ListContent(
        list_url=issuer.status_list_url,
        issuer_id=issuer.did,
        issuer_key=issuer.key.public_key_multibase,
        length=bitstring.list_length(highest_id or 0),
        revoked_ids=revoked,
        valid_from=latest_revocation or first_created or EMPTY_LIST_VALID_FROM,
    )


def published() -> PublishedList:
    """The signed list as it stands in the database now (signed again only when its content changed)."""
    global _cache
    content = current_content()
    cached = _cache
    if cached is not None and cached.content == content:
        return cached
    issuer = issuing.current
    encoded = bitstring.encode_list(content.revoked_ids, content.length)
    credential = bitstring.build_list_credential(content.list_url, content.issuer_id, encoded, content.valid_from)
    signed = signing.sign_credential(
        credential, issuer.key, signing.verification_method_id(issuer.did), content.valid_from
    )
    body = badges.credential_json(signed)
    _cache = PublishedList(content, body, b64url_encode(hashlib.sha256(body).digest())[:32])
    return _cache


def is_listed_revoked(cert: Certificate) -> bool:
    """Whether the published list, as a verifier reads it, marks this certificate revoked."""
    subject = json.loads(published().body)["credentialSubject"]
    return bitstring.bit_is_set(bitstring.decode_list(subject["encodedList"]), cert.id)
