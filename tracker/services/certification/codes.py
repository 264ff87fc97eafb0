"""Certificate codes: 100 random bits in Crockford base32, grouped for reading aloud and typing."""

from __future__ import annotations

import re
import secrets

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_GROUPS, CODE_GROUP_LENGTH = 4, 5  # 20 symbols x 5 bits = 100 bits from the CSPRNG


def new_code() -> str:
    value = secrets.randbits(CODE_GROUPS * CODE_GROUP_LENGTH * 5)
    symbols = []
    for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH):
        value, index = divmod(value, 32)
        symbols.append(CODE_ALPHABET[index])
    text = "".join(symbols)
    return "-".join(text[i : i + CODE_GROUP_LENGTH] for i in range(0, len(text), CODE_GROUP_LENGTH))


def normalise_code(text: str) -> str | None:
    """Accept what people type: any case, spaces or no hyphens, O for 0 and I/L for 1."""
    cleaned = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("OIL", "011"))
    if len(cleaned) != CODE_GROUPS * CODE_GROUP_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + CODE_GROUP_LENGTH] for i in range(0, len(cleaned), CODE_GROUP_LENGTH))
