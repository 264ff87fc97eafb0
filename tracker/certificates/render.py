"""Certificate PDFs: data in, PDF bytes out (ReportLab, embedded DejaVu fonts, vector QR code).

The output is deterministic: the same `CertificateData` always gives byte-identical PDFs (ReportLab's
invariant mode, creation date taken from `issued_at`), because the app stores a SHA-256 of the file.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas

__all__ = ["CertificateData", "qr_rectangles", "render_certificate", "unprintable_characters"]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
SANS = "TrackerDejaVuSans"
SANS_BOLD = "TrackerDejaVuSans-Bold"

# --------------------------------------------------------------------------- fonts
#
# ReportLab subsets TrueType fonts for every document, in pure Python, and Flate-compresses the font
# program each time: about 2 ms per font and document. Two things make that cheap and still deterministic:
# - every document starts each font's "state" with the ASCII-only subset 0 (ReportLab's asciiReadable
#   layout) and sends all other characters to subset 1 and up, so subset 0 is the same in every
#   certificate, whatever the learner name;
# - the compressed font program and the /Widths array of a subset are cached (keyed by the exact
#   subset), so subset 0 is built once per process and a subset 1 only for new character sets.
# The PDF objects are the ones ReportLab would write; only the work is not repeated.


@lru_cache(maxsize=64)
def _font_program(font_name: str, subset: tuple[int, ...]) -> tuple[int, bytes]:
    """(uncompressed length, Flate-compressed TrueType program) of one subset of a certificate font."""
    program = _FONTS[font_name].face.makeSubset(list(subset))
    return len(program), zlib.compress(program)


class _CachingFace(TTFontFace):
    """TTFontFace whose subset font programs come from `_font_program` (same objects as ReportLab makes)."""

    font_name: str

    def addSubsetObjects(self, doc, fontname, subset):
        length, compressed = _font_program(self.font_name, tuple(subset))
        font_file = pdfdoc.PDFStream(
            pdfdoc.PDFDictionary({"Length1": length, "Filter": pdfdoc.PDFName("FlateDecode")}), content=compressed
        )
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


class _Literal(pdfdoc.PDFObject):
    """Already formatted PDF syntax."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document):
        return self.data


@lru_cache(maxsize=64)
def _widths_array(font_name: str, subset: tuple[int, ...]) -> _Literal:
    """The /Widths array of a subset, formatted once (ReportLab formats each number in pure Python)."""
    widths = pdfdoc.PDFArray([_FONTS[font_name].face.getCharWidth(code) for code in subset])
    return _Literal(widths.format(pdfdoc.DummyDoc()))


class _CertificateFont(TTFont):
    """DejaVu font with cached per-subset objects (see above); output is identical to ReportLab's own."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename, asciiReadable=True)
        self.face.__class__ = _CachingFace  # same data and behaviour, plus cached subset programs
        self.face.font_name = name

    def addObjects(self, doc):
        state = self._assignState(doc)
        subsets = [(self.getSubsetInternalName(n, doc)[1:], tuple(subset)) for n, subset in enumerate(state.subsets)]
        super().addObjects(doc)  # (this drops the document's state)
        for internal_name, subset in subsets:
            doc.idToObject[internal_name].Widths = _widths_array(self.fontName, subset)


def _register_fonts() -> dict[str, TTFont]:
    fonts = {}
    for name, filename in ((SANS, "DejaVuSans.ttf"), (SANS_BOLD, "DejaVuSans-Bold.ttf")):
        font = _CertificateFont(name, str(FONTS_DIR / filename))
        pdfmetrics.registerFont(font)
        fonts[name] = font
    return fonts


_FONTS = _register_fonts()
# Fonts the learner name and the course title are drawn with: a character must be in all of their cmaps.
_TEXT_FONTS = (SANS, SANS_BOLD)


def _start_font_states(canvas: Canvas) -> None:
    """Keep subset 0 of each font ASCII-only (so it is identical, and cached, across documents)."""
    for font in _FONTS.values():
        state = font._assignState(canvas._doc, asciiReadable=True)
        state.nextCode = 256  # the next new character opens subset 1


PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
_CAP = 0.73  # DejaVu Sans cap height, in em

INK = (0.118, 0.161, 0.231)  # #1E293B
MUTED = (0.392, 0.431, 0.490)  # #646E7D
LIGHT = (0.827, 0.847, 0.871)  # #D3D8DE
ACCENT = (0.114, 0.306, 0.537)  # #1D4E89

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class CertificateData:
    code: str  # e.g. "7KQ2M-X9HDC-4RTVB-N8WFZ"
    learner_name: str
    course_title: str
    course_version: int
    score: int | None  # percent, None when the course has no quiz
    issued_at: datetime  # timezone-aware UTC; only the date is printed
    expires_at: datetime | None  # None = "Does not expire"
    organisation_name: str
    verify_url: str  # encoded in the QR code and printed as text
    revision: int = 1  # >1 for a reissue
    attachment: bytes | None = None  # a JSON file embedded in the PDF as an attached file
    attachment_name: str = "open-badge-credential.json"


# --------------------------------------------------------------------------- text helpers


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def unprintable_characters(text: str) -> list[str]:
    """Characters of `text` the certificate fonts cannot draw (so a name is never printed as empty boxes).

    Checked against the cmap of every font the learner name and course title are drawn with; ordinary
    spaces are ignored. Each character is reported once, in order of first appearance.
    """
    cmaps = [_FONTS[name].face.charToGlyph for name in _TEXT_FONTS]
    missing: list[str] = []
    for char in _normalise(text):
        if char == " " or char in missing:
            continue
        code = ord(char)
        if not all(cmap.get(code) for cmap in cmaps):
            missing.append(char)
    return missing


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _break_word(word: str, font: str, size: float, max_width: float) -> list[str]:
    """Split a word wider than `max_width` between characters (widths add up: ReportLab does not kern)."""
    pieces: list[str] = []
    start, width = 0, 0.0
    for index, char in enumerate(word):
        char_width = _width(char, font, size)
        if width + char_width > max_width and index > start:
            pieces.append(word[start:index])
            start, width = index, 0.0
        width += char_width
    pieces.append(word[start:])
    return pieces


def _wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap; words wider than a line are broken between characters."""
    if _width(text, font, size) <= max_width:
        return [text] if text else []
    space = _width(" ", font, size)
    lines: list[str] = []
    current, current_width = "", 0.0
    for word in text.split(" "):
        word_width = _width(word, font, size)
        if current and current_width + space + word_width <= max_width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        if word_width > max_width:
            *full, word = _break_word(word, font, size, max_width)
            lines.extend(full)
            word_width = _width(word, font, size)
        current, current_width = word, word_width
    if current:
        lines.append(current)
    return lines


def _ellipsize(line: str, font: str, size: float, max_width: float) -> str:
    while line and _width(line + "…", font, size) > max_width:
        line = line[:-1].rstrip()
    return line + "…"


def _fit(
    text: str, font: str, max_width: float, sizes: list[tuple[int, int]], max_lines: int
) -> tuple[float, list[str]]:
    """Largest size (from `sizes`: (size, allowed lines) in decreasing order) at which `text` fits.

    When nothing fits, the smallest size is used and the last allowed line ends with an ellipsis.
    """
    for size, allowed in sizes:
        lines = _wrap(text, font, size, max_width)
        if len(lines) <= allowed:
            return size, lines
    size = sizes[-1][0]
    lines = _wrap(text, font, size, max_width)
    kept = lines[:max_lines]
    kept[-1] = _ellipsize(kept[-1], font, size, max_width)
    return size, kept


def _date(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _pdf_date(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value
    return f"D:{value:%Y%m%d%H%M%S}+00'00'"


# --------------------------------------------------------------------------- QR code


# segno chooses the data mask by scoring all eight candidates in pure-Python loops (6-7 ms for a verify URL,
# more than the rest of a certificate). _qr_matrix() makes exactly the same choice -- segno's encoder with mask 0,
# then ISO/IEC 18004 penalty scores computed like segno.encoder.mask_scores, but on one byte string and a
# few big integers per candidate -- and lets segno write the format information for the winner.
# The unit tests compare the result with segno.make() for many inputs (all eight masks, versions 1 to 10+).

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


def _qr_matrix(url: str) -> tuple[bytes, ...]:
    """segno.make(url, error="m", micro=False).matrix, about three times as fast (see above)."""
    try:
        return _qr_matrix_fast(url)
    except (ImportError, AttributeError, KeyError, TypeError):  # segno internals changed: slow but same result
        return tuple(bytes(row) for row in segno.make(url, error="m", micro=False).matrix)


@lru_cache(maxsize=256)
def _qr(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """(modules per side, horizontal runs of dark modules as (row, first column, length))."""
    matrix = _qr_matrix(url)
    runs = []
    for row_index, row in enumerate(matrix):
        for run in _DARK_RUN.finditer(row):
            runs.append((row_index, run.start(), run.end() - run.start()))
    return len(matrix), tuple(runs)


def qr_rectangles(url: str) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules of the QR code for `url`: (row, col_start, length), row 0 at the top.

    The matrix is segno's (`segno.make(url, error="m", micro=False)`), without the quiet zone.
    """
    return list(_qr(url)[1])


@lru_cache(maxsize=256)
def _qr_operators(url: str) -> str:
    """PDF path operators for the dark modules, in module units with y growing downwards (see _draw_qr)."""
    _modules, runs = _qr(url)
    # one "re" per horizontal run; the height 1.02 closes hairline seams between rows in some viewers
    return "\n".join(f"{col} {row} {length} 1.02 re" for row, col, length in runs) + "\nf"


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector rectangles filling the square with lower-left corner (x, y)."""
    modules, _runs = _qr(url)
    unit = size / modules
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(unit, 0, 0, -unit, x, y + size)  # module units, origin at the top-left corner
    canvas.addLiteral(_qr_operators(url))
    canvas.restoreState()


# --------------------------------------------------------------------------- attachment


def _attach(canvas: Canvas, data: CertificateData, payload: bytes) -> None:
    """Embed `payload` as an embedded file: an /EmbeddedFiles name tree in the catalog's /Names.

    ReportLab has no public API for file attachments, so the objects are built with its pdfdoc classes.
    """
    doc = canvas._doc
    params = pdfdoc.PDFDictionary(
        {
            "Size": len(payload),
            "CheckSum": f"<{hashlib.md5(payload, usedforsecurity=False).hexdigest()}>",
            "CreationDate": pdfdoc.PDFString(_pdf_date(data.issued_at)),
            "ModDate": pdfdoc.PDFString(_pdf_date(data.issued_at)),
        }
    )
    stream = pdfdoc.PDFStream(
        pdfdoc.PDFDictionary(
            {
                "Type": pdfdoc.PDFName("EmbeddedFile"),
                "Subtype": "/application#2Fjson",  # PDFName() would not escape the slash
                "Params": params,
            }
        ),
        content=payload,
        filters=[pdfdoc.PDFZCompress],
    )
    stream_ref = doc.Reference(stream)
    filespec = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("Filespec"),
            "F": pdfdoc.PDFString(data.attachment_name),
            "UF": pdfdoc.PDFString(data.attachment_name),
            "Desc": pdfdoc.PDFString(f"Machine-readable credential for certificate {data.code}"),
            "EF": pdfdoc.PDFDictionary({"F": stream_ref, "UF": stream_ref}),
            "AFRelationship": pdfdoc.PDFName("Data"),
        }
    )
    filespec_ref = doc.Reference(filespec)
    names = pdfdoc.PDFArray([pdfdoc.PDFString(data.attachment_name), filespec_ref])
    names.multiline = False
    doc.Catalog.Names = pdfdoc.PDFDictionary({"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": names})})


# --------------------------------------------------------------------------- drawing


def _spaced(canvas: Canvas, text: str, font: str, size: float, x: float, y: float, spacing: float, anchor: str) -> None:
    """Draw letter-spaced text; anchor is "left", "centre" or "right"."""
    width = _width(text, font, size) + spacing * (len(text) - 1)
    if anchor == "centre":
        x -= width / 2
    elif anchor == "right":
        x -= width
    t = canvas.beginText(x, y)
    t.setFont(font, size)
    t.setCharSpace(spacing)
    t.textOut(text)
    t.setCharSpace(0)  # Tc is part of the text state and would leak into later text
    canvas.drawText(t)


def _flate_only(canvas: Canvas) -> None:
    """Compress the page content with Flate only: ReportLab's default ASCII85 layer costs time and 25% size.

    (rl_config.useA85 is process-wide, so the filter is set on this document's page instead.)
    """
    for page in canvas._doc.Pages.pages:
        stream = getattr(page, "stream", None)
        if stream and not page.Contents:
            page.Contents = pdfdoc.PDFStream(content=stream, filters=[pdfdoc.PDFZCompress])


def render_certificate(data: CertificateData) -> bytes:
    """Render the certificate as PDF bytes.

    Raise ValueError naming the characters if learner_name or course_title has characters the fonts cannot draw.
    """
    name = _normalise(" ".join(data.learner_name.split()))
    title = _normalise(" ".join(data.course_title.split()))
    bad = {"learner name": unprintable_characters(name), "course title": unprintable_characters(title)}
    problems = [f"{what}: {' '.join(chars)}" for what, chars in bad.items() if chars]
    if problems:
        raise ValueError("Cannot print these characters on a certificate (" + "; ".join(problems) + ")")

    buffer = io.BytesIO()
    c = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName=SANS,
        pdfVersion=(1, 7),  # /UF and /AFRelationship of the attached file
        lang="en",
    )
    _start_font_states(c)
    c.setTitle(f"Certificate {data.code}: {title}")
    c.setAuthor(data.organisation_name)
    c.setSubject(f"Certificate of completion {data.code} for {name}")
    c.setKeywords(f"certificate, {data.code}")
    c.setCreator("tracker")
    created = _pdf_date(data.issued_at)
    c.setDateFormatter(lambda *_: created)

    _draw_page(c, data, name, title)
    if data.attachment is not None:
        _attach(c, data, data.attachment)
    c.showPage()
    _flate_only(c)
    c.save()
    return buffer.getvalue()


def _shrink(text: str, font: str, size: float, min_size: float, max_width: float) -> float:
    """Largest size from `size` down to `min_size` (in 0.25 pt steps) at which `text` fits on one line."""
    while size > min_size and _width(text, font, size) > max_width:
        size -= 0.25
    return size


def _draw_page(c: Canvas, data: CertificateData, name: str, title: str) -> None:
    w, h = PAGE_WIDTH, PAGE_HEIGHT
    cx = w / 2
    margin = 60  # left and right edge of the content

    # frame: a thin accent line with a hairline inside it
    c.setStrokeColorRGB(*ACCENT)
    c.setLineWidth(1.2)
    c.rect(22, 22, w - 44, h - 44, stroke=1, fill=0)
    c.setStrokeColorRGB(*LIGHT)
    c.setLineWidth(0.4)
    c.rect(28, 28, w - 56, h - 56, stroke=1, fill=0)

    # header: organisation, heading, short accent rule
    organisation = data.organisation_name.upper()
    tracking = 0.16  # letter spacing, in em
    size = 10.0
    while size > 7 and _width(organisation, SANS_BOLD, size) + tracking * size * len(organisation) > 640:
        size -= 0.25
    while _width(organisation, SANS_BOLD, size) + tracking * size * len(organisation) > 640:
        organisation = organisation[:-2].rstrip() + "…"
    c.setFillColorRGB(*MUTED)
    _spaced(c, organisation, SANS_BOLD, size, cx, h - 86, tracking * size, "centre")
    c.setFillColorRGB(*INK)
    c.setFont(SANS, 28)
    c.drawCentredString(cx, h - 134, "Certificate of completion")
    c.setStrokeColorRGB(*ACCENT)
    c.setLineWidth(1.5)
    c.line(cx - 24, h - 152, cx + 24, h - 152)

    # central block: name, "has completed the course", title; vertically centred in its band
    name_sizes = [(s, 1) for s in range(34, 21, -2)] + [(22, 2), (20, 2)]
    name_size, name_lines = _fit(name, SANS_BOLD, 660, name_sizes, 2)
    title_sizes = [(s, 2) for s in range(20, 14, -1)] + [(s, 3) for s in range(15, 10, -1)]
    title_size, title_lines = _fit(title, SANS_BOLD, 640, title_sizes, 3)
    # (lines, font, size, colour, line height, gap from the last baseline to the next cap height)
    items = [
        (name_lines, SANS_BOLD, name_size, INK, name_size * 1.2, 22),
        (["has completed the course"], SANS, 12, MUTED, 14, 18),
        (title_lines, SANS_BOLD, title_size, ACCENT, title_size * 1.3, 0),
    ]
    height = sum(_CAP * size + (len(lines) - 1) * lead + gap for lines, _f, size, _c, lead, gap in items)
    band_top, band_bottom = h - 162, 248
    top = band_top - (band_top - band_bottom - height) / 2
    for lines, font, size, colour, lead, gap in items:
        y = top - _CAP * size
        c.setFillColorRGB(*colour)
        c.setFont(font, size)
        for line in lines:
            c.drawCentredString(cx, y, line)
            y -= lead
        top = y + lead - gap

    # details row: label over value, thin separators
    details = [("Date of award", _date(data.issued_at))]
    if data.score is not None:
        details.append(("Score", f"{data.score}%"))
    details.append(("Valid until", _date(data.expires_at) if data.expires_at else "Does not expire"))
    details.append(("Course version", str(data.course_version)))
    col_width, row_y = 150, 196
    left = cx - col_width * len(details) / 2
    c.setStrokeColorRGB(*LIGHT)
    c.setLineWidth(0.6)
    for i, (label, value) in enumerate(details):
        x = left + col_width * (i + 0.5)
        c.setFillColorRGB(*MUTED)
        _spaced(c, label.upper(), SANS, 7.5, x, row_y + 18, 1.0, "centre")
        c.setFillColorRGB(*INK)
        c.setFont(SANS, 12)
        c.drawCentredString(x, row_y, value)
        if i:
            c.line(left + col_width * i, row_y - 6, left + col_width * i, row_y + 28)

    # bottom band: certificate code on the left; verification address and QR code on the right
    qr_size = 80
    qr_x, qr_y = w - margin - qr_size, 68
    _draw_qr(c, data.verify_url, qr_x, qr_y, qr_size)
    c.setFillColorRGB(*MUTED)
    _spaced(c, "CERTIFICATE CODE", SANS, 7.5, margin, 126, 1.0, "left")
    c.setFillColorRGB(*INK)
    c.setFont(SANS_BOLD, _shrink(data.code, SANS_BOLD, 14, 8, 300))
    c.drawString(margin, 106, data.code)
    if data.revision > 1:
        c.setFillColorRGB(*MUTED)
        c.setFont(SANS, 8)
        c.drawString(margin, 90, f"Reissued (revision {data.revision})")

    text_right = qr_x - 14
    c.setFillColorRGB(*MUTED)
    _spaced(c, "VERIFY THIS CERTIFICATE", SANS, 7.5, text_right, 126, 1.0, "right")
    url_size = _shrink(data.verify_url, SANS, 9, 6.5, 330)
    url_lines = _wrap(data.verify_url, SANS, url_size, 330)[:2]
    c.setFillColorRGB(*INK)
    c.setFont(SANS, url_size)
    y = 108 + (len(url_lines) - 1) * url_size * 1.2
    for line in url_lines:
        c.drawRightString(text_right, y, line)
        y -= url_size * 1.2
    c.setFillColorRGB(*MUTED)
    c.setFont(SANS, 8)
    c.drawRightString(text_right, 94, "Scan the code or visit the address above")

    # footer: hairline and the disclaimer
    c.setStrokeColorRGB(*LIGHT)
    c.setLineWidth(0.5)
    c.line(margin, 56, w - margin, 56)
    footer = (
        f"This certificate is an internal record of training completed with {data.organisation_name}. "
        "It is not a legal certification or accreditation."
    )
    size = _shrink(footer, SANS, 7.5, 6.5, w - 2 * margin)
    lines = _wrap(footer, SANS, size, w - 2 * margin)[:2]
    c.setFillColorRGB(*MUTED)
    c.setFont(SANS, size)
    y = 42 if len(lines) == 1 else 45
    for line in lines:
        c.drawCentredString(cx, y, line)
        y -= size * 1.25
