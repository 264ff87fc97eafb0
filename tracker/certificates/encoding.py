"""Encodings used by the proofs and DID documents: base58btc / multibase, base64url and RFC 8785 JCS."""

from __future__ import annotations

import base64
import json
from typing import Any

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles; larger integers would lose precision


# --------------------------------------------------------------------------- encodings


def b58encode(data: bytes) -> str:
    """Bitcoin base58 (the alphabet multibase calls base58btc). Each leading zero byte becomes a leading '1'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of b58encode; raises ValueError on a character outside the alphabet."""
    n = 0
    for char in text:
        try:
            n = n * 58 + _B58_INDEX[char]
        except KeyError:
            raise ValueError(f"invalid base58 character {char!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def multibase_b58_encode(data: bytes) -> str:
    return "z" + b58encode(data)


def multibase_b58_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("not a multibase base58-btc value (must start with 'z')")
    return b58decode(text[1:])


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --------------------------------------------------------------------------- RFC 8785 (JCS)


def _check_string(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("JCS: string contains a lone surrogate (not valid I-JSON)") from None
    return value


def _jcs_parts(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise ValueError("JCS: integer outside the IEEE 754 safe range")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise ValueError("JCS: floating-point numbers are not allowed in credentials")
    elif isinstance(value, str):
        # Python's escaping with ensure_ascii=False matches ECMAScript JSON.stringify, which RFC 8785 adopts:
        # \b \t \n \f \r \" \\ as short escapes, other C0 controls as \u00xx (lowercase hex), the rest verbatim.
        out.append(json.dumps(_check_string(value), ensure_ascii=False))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError("JCS: object keys must be strings")
            _check_string(key)
        # RFC 8785 3.2.3: sort by UTF-16 code units (big-endian byte order compares unit by unit).
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        out.append("{")
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _jcs_parts(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs_parts(item, out)
        out.append("]")
    else:
        raise ValueError(f"JCS: cannot canonicalize {type(value).__name__}")


def jcs_canonicalize(value: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme, UTF-8 encoded. Floats are rejected (our data never needs them)."""
    out: list[str] = []
    _jcs_parts(value, out)
    return "".join(out).encode("utf-8")
