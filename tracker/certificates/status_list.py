"""W3C Bitstring Status List v1.0: the revocation list credential and the entry each credential carries.

Per the Recommendation: bit i of the list is the status of the credential whose ``statusListIndex`` is i, index 0
is the left-most (most significant) bit of the first byte, the uncompressed list is at least 131,072 bits (16 KB),
and ``encodedList`` is multibase base64url (prefix ``u``, no padding) of the GZIP-compressed bitstring. Its terms
are part of the VC 2.0 context, so no other JSON-LD context is needed. No library for this exists in Python that
the app could depend on; the format is two standard encodings, written out here.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from datetime import datetime

from .encoding import b64url_decode, b64url_encode
from .signing import iso_utc

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MIN_BITS = 131_072  # the Recommendation's minimum (herd privacy): 16 KB uncompressed
PURPOSE_REVOCATION = "revocation"


def list_length(highest_index: int) -> int:
    """Bits needed to hold `highest_index`, in whole blocks of the minimum size."""
    blocks = max(1, -(-(highest_index + 1) // MIN_BITS))
    return blocks * MIN_BITS


def encode_list(set_indexes: Iterable[int], length: int) -> str:
    """The ``encodedList`` of a bitstring of `length` bits with the given indexes set."""
    if length < MIN_BITS or length % 8:
        raise ValueError(f"a status list has at least {MIN_BITS} bits, in whole bytes")
    bits = bytearray(length // 8)
    for index in set_indexes:
        if not 0 <= index < length:
            raise ValueError(f"status list index {index} is outside the list of {length} bits")
        bits[index // 8] |= 0x80 >> (index % 8)  # index 0 is the left-most bit
    return "u" + b64url_encode(gzip.compress(bytes(bits), compresslevel=6, mtime=0))  # mtime=0: same input, same bytes


def decode_list(encoded_list: str) -> bytes:
    """The uncompressed bitstring of an ``encodedList``."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    return gzip.decompress(b64url_decode(encoded_list[1:]))


def bit_is_set(bitstring: bytes, index: int) -> bool:
    if not 0 <= index < len(bitstring) * 8:
        raise ValueError(f"status list index {index} is outside the list")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int) -> dict:
    """The ``credentialStatus`` of a credential whose revocation is bit `index` of the list at `list_url`."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE_REVOCATION,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_list_credential(
    list_url: str, issuer_id: str, encoded_list: str, valid_from: datetime, purpose: str = PURPOSE_REVOCATION
) -> dict:
    """The unsigned BitstringStatusListCredential (sign it with signing.sign_credential)."""
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": iso_utc(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }
