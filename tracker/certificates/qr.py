"""QR code matrices for certificates: segno's output (error level M, no Micro QR), with a faster mask choice.

segno chooses the data mask by scoring all eight candidates in pure-Python loops (6-7 ms for a verify URL,
more than the rest of a certificate). qr_matrix() makes exactly the same choice -- segno's encoder with mask 0,
then ISO/IEC 18004 penalty scores computed like segno.encoder.mask_scores, but on one byte string and a
few big integers per candidate -- and lets segno write the format information for the winner.
The unit tests compare the result with segno.make() for many inputs (all eight masks, versions 1 to 10+).
"""

from __future__ import annotations

import re
from functools import lru_cache

import segno

__all__ = ["qr_matrix", "qr_runs"]

_N3_PATTERN = b"\x01\x00\x01\x01\x01\x00\x01"  # dark-light-dark x3-light-dark (1:1:3:1:1)
# runs of 5+ light or dark modules; spelled out so that re finds them by their literal prefix (3x faster)
_LIGHT_RUN = re.compile(rb"\x00\x00\x00\x00\x00+")
_DARK_RUN_5 = re.compile(rb"\x01\x01\x01\x01\x01+")
_DARK_RUN = re.compile(rb"\x01+")


def _sequences(matrix, separator: int) -> int:
    """All rows, then all columns, of `matrix` (one byte per module) joined by `separator`, as one integer."""
    rows = [bytes(row) for row in matrix]
    columns = [bytes(column) for column in zip(*matrix, strict=True)]
    return int.from_bytes(bytes([separator]).join(rows + columns), "big")


@lru_cache(maxsize=48)
def _qr_layout(width: int) -> tuple[int, int, tuple[int, ...]]:
    """(function patterns with 0x02 separators, encoding region, per-mask flipped modules) for a QR size."""
    from segno import encoder

    template = encoder.make_matrix(width, width)  # timing pattern, format/version areas reserved (0)
    encoder.add_finder_patterns(template, width, width)
    encoder.add_alignment_patterns(template, width, width)
    fixed = _sequences([[0 if v == 2 else v for v in row] for row in template], separator=2)
    region = _sequences([[int(v == 2) for v in row] for row in template], separator=0)
    flips = tuple(
        _sequences([[int(v == 2 and bool(fn(i, j))) for j, v in enumerate(row)] for i, row in enumerate(template)], 0)
        for fn in encoder.get_data_mask_functions(False)
    )
    return fixed, region, flips


def _mask_penalty(symbol: bytes, width: int) -> int:
    """segno.encoder.evaluate_mask() for `symbol`: rows then columns, each followed by a 0x02 byte."""
    stride = width + 1
    score = 0
    for pattern in (_LIGHT_RUN, _DARK_RUN_5):  # N1: 3 + (length - 5) per run of 5+ modules of one colour
        runs = pattern.findall(symbol)
        score += sum(map(len, runs)) - 2 * len(runs)
    index = symbol.find(_N3_PATTERN)  # N3: 40 per finder-like pattern with 4 light modules on one side
    while index != -1:
        start = index - index % stride
        offset = index + 7
        if (
            index - start in (0, width - 7)
            or 1 not in symbol[max(index - 4, start) : index]
            or 1 not in symbol[offset : min(offset + 4, start + width)]
        ):
            score += 40
        else:
            offset = index + 4
        index = symbol.find(_N3_PATTERN, offset)
    rows = symbol[: width * stride - 1]
    modules = int.from_bytes(rows.replace(b"\x00", b"\x01").replace(b"\x02", b"\x00"), "big")
    dark = int.from_bytes(rows, "big") & modules
    light = modules ^ dark
    shift = 8 * stride
    for colour in (dark, light):  # N2: 3 per 2x2 block of one colour
        pairs = colour & (colour >> 8)
        score += 3 * (pairs & (pairs >> shift)).bit_count()
    percent = float(dark.bit_count()) / (width**2)  # N4: 10 per 5 % away from half dark
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def _qr_matrix_fast(url: str) -> tuple[bytes, ...]:
    from segno import consts, encoder

    qr = segno.make(url, error="m", micro=False, mask=0)
    width = len(qr.matrix)
    fixed, region, flips = _qr_layout(width)
    length = 2 * width * (width + 1) - 1
    encoded = _sequences(qr.matrix, separator=0)
    data = (encoded & region) ^ flips[0]  # unmasked data and error correction modules
    scores = [_mask_penalty((fixed | (data ^ flip)).to_bytes(length, "big"), width) for flip in flips]
    best = scores.index(min(scores))  # the first of equals, like segno
    symbol = ((encoded & ~region) | (data ^ flips[best])).to_bytes(length, "big")
    matrix = tuple(bytearray(symbol[i * (width + 1) : i * (width + 1) + width]) for i in range(width))
    encoder.add_format_info(matrix, qr.version, consts.ERROR_MAPPING[qr.error], best)
    return tuple(bytes(row) for row in matrix)


def qr_matrix(url: str) -> tuple[bytes, ...]:
    """segno.make(url, error="m", micro=False).matrix, about three times as fast (see the module docstring)."""
    try:
        return _qr_matrix_fast(url)
    except (ImportError, AttributeError, KeyError, TypeError):  # segno internals changed: slow but same result
        return tuple(bytes(row) for row in segno.make(url, error="m", micro=False).matrix)


@lru_cache(maxsize=256)
def qr_runs(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """(modules per side, horizontal runs of dark modules as (row, first column, length))."""
    matrix = qr_matrix(url)
    runs = []
    for row_index, row in enumerate(matrix):
        for run in _DARK_RUN.finditer(row):
            runs.append((row_index, run.start(), run.end() - run.start()))
    return len(matrix), tuple(runs)
