"""Certificate PDFs: data in, PDF bytes out (ReportLab, embedded DejaVu fonts, vector QR code).

The output is deterministic: the same `CertificateData` always gives byte-identical PDFs (ReportLab's
invariant mode, creation date taken from `issued_at`), because the app stores a SHA-256 of the file.
Fonts live in typefaces.py, the QR matrix in qr.py, line wrapping and fitting in textfit.py.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from .qr import qr_runs
from .textfit import fit, shrink, text_width, wrap
from .typefaces import FONTS, SANS, SANS_BOLD, start_font_states

__all__ = ["CertificateData", "CertificateLabels", "qr_rectangles", "render_certificate", "unprintable_characters"]

# Fonts the learner name and the course title are drawn with: a character must be in all of their cmaps.
_TEXT_FONTS = (SANS, SANS_BOLD)

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
class CertificateLabels:
    """Every word printed on a certificate besides the data, in one language (the caller translates; this module
    knows no languages). `{organisation}` and `{revision}` are filled in."""

    heading: str = "Certificate of completion"
    has_completed: str = "has completed the course"
    date_of_award: str = "Date of award"
    score: str = "Score"
    valid_until: str = "Valid until"
    does_not_expire: str = "Does not expire"
    course_version: str = "Course version"
    certificate_code: str = "Certificate code"
    verify: str = "Verify this certificate"
    scan_hint: str = "Scan the code or visit the address above"
    reissued: str = "Reissued (revision {revision})"
    disclaimer: str = (
        "This certificate is an internal record of training completed with {organisation}. "
        "It is not a legal certification or accreditation."
    )
    document_title: str = "Certificate {code}: {title}"
    document_subject: str = "Certificate of completion {code} for {name}"
    attachment_description: str = "Machine-readable credential for certificate {code}"


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
    language: str = "en"  # the PDF's declared language
    labels: CertificateLabels = CertificateLabels()
    # Dates as printed, in the certificate's language; None prints the English form ("1 December 2026").
    awarded_on: str | None = None
    expires_on: str | None = None


# --------------------------------------------------------------------------- text helpers


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def unprintable_characters(text: str) -> list[str]:
    """Characters of `text` the certificate fonts cannot draw (so a name is never printed as empty boxes).

    Checked against the cmap of every font the learner name and course title are drawn with; ordinary
    spaces are ignored. Each character is reported once, in order of first appearance.
    """
    cmaps = [FONTS[name].face.charToGlyph for name in _TEXT_FONTS]
    missing: list[str] = []
    for char in _normalise(text):
        if char == " " or char in missing:
            continue
        code = ord(char)
        if not all(cmap.get(code) for cmap in cmaps):
            missing.append(char)
    return missing


def _date(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _pdf_date(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value
    return f"D:{value:%Y%m%d%H%M%S}+00'00'"


# --------------------------------------------------------------------------- QR code


def qr_rectangles(url: str) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules of the QR code for `url`: (row, col_start, length), row 0 at the top.

    The matrix is segno's (`segno.make(url, error="m", micro=False)`), without the quiet zone.
    """
    return list(qr_runs(url)[1])


@lru_cache(maxsize=256)
def _qr_operators(url: str) -> str:
    """PDF path operators for the dark modules, in module units with y growing downwards (see _draw_qr)."""
    _modules, runs = qr_runs(url)
    # one "re" per horizontal run; the height 1.02 closes hairline seams between rows in some viewers
    return "\n".join(f"{col} {row} {length} 1.02 re" for row, col, length in runs) + "\nf"


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector rectangles filling the square with lower-left corner (x, y)."""
    modules, _runs = qr_runs(url)
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
            "Desc": pdfdoc.PDFString(data.labels.attachment_description.format(code=data.code)),
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
    width = text_width(text, font, size) + spacing * (len(text) - 1)
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
        lang=data.language,
    )
    start_font_states(c)
    c.setTitle(data.labels.document_title.format(code=data.code, title=title))
    c.setAuthor(data.organisation_name)
    c.setSubject(data.labels.document_subject.format(code=data.code, name=name))
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
    while size > 7 and text_width(organisation, SANS_BOLD, size) + tracking * size * len(organisation) > 640:
        size -= 0.25
    while text_width(organisation, SANS_BOLD, size) + tracking * size * len(organisation) > 640:
        organisation = organisation[:-2].rstrip() + "…"
    c.setFillColorRGB(*MUTED)
    _spaced(c, organisation, SANS_BOLD, size, cx, h - 86, tracking * size, "centre")
    c.setFillColorRGB(*INK)
    c.setFont(SANS, 28)
    labels = data.labels
    c.setFont(SANS, shrink(labels.heading, SANS, 28, 18, 660))
    c.drawCentredString(cx, h - 134, labels.heading)
    c.setStrokeColorRGB(*ACCENT)
    c.setLineWidth(1.5)
    c.line(cx - 24, h - 152, cx + 24, h - 152)

    # central block: name, "has completed the course", title; vertically centred in its band
    name_sizes = [(s, 1) for s in range(34, 21, -2)] + [(22, 2), (20, 2)]
    name_size, name_lines = fit(name, SANS_BOLD, 660, name_sizes, 2)
    title_sizes = [(s, 2) for s in range(20, 14, -1)] + [(s, 3) for s in range(15, 10, -1)]
    title_size, title_lines = fit(title, SANS_BOLD, 640, title_sizes, 3)
    # (lines, font, size, colour, line height, gap from the last baseline to the next cap height)
    items = [
        (name_lines, SANS_BOLD, name_size, INK, name_size * 1.2, 22),
        ([labels.has_completed], SANS, 12, MUTED, 14, 18),
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
    details = [(labels.date_of_award, data.awarded_on or _date(data.issued_at))]
    if data.score is not None:
        details.append((labels.score, f"{data.score}%"))
    if data.expires_at:
        details.append((labels.valid_until, data.expires_on or _date(data.expires_at)))
    else:
        details.append((labels.valid_until, labels.does_not_expire))
    details.append((labels.course_version, str(data.course_version)))
    col_width, row_y = 150, 196
    left = cx - col_width * len(details) / 2
    c.setStrokeColorRGB(*LIGHT)
    c.setLineWidth(0.6)
    for i, (label, value) in enumerate(details):
        x = left + col_width * (i + 0.5)
        c.setFillColorRGB(*MUTED)
        _spaced(
            c, label.upper(), SANS, shrink(label.upper(), SANS, 7.5, 5.5, col_width - 20), x, row_y + 18, 1.0, "centre"
        )
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
    _spaced(c, labels.certificate_code.upper(), SANS, 7.5, margin, 126, 1.0, "left")
    c.setFillColorRGB(*INK)
    c.setFont(SANS_BOLD, shrink(data.code, SANS_BOLD, 14, 8, 300))
    c.drawString(margin, 106, data.code)
    if data.revision > 1:
        c.setFillColorRGB(*MUTED)
        c.setFont(SANS, 8)
        c.drawString(margin, 90, labels.reissued.format(revision=data.revision))

    text_right = qr_x - 14
    c.setFillColorRGB(*MUTED)
    _spaced(c, labels.verify.upper(), SANS, 7.5, text_right, 126, 1.0, "right")
    url_size = shrink(data.verify_url, SANS, 9, 6.5, 330)
    url_lines = wrap(data.verify_url, SANS, url_size, 330)[:2]
    c.setFillColorRGB(*INK)
    c.setFont(SANS, url_size)
    y = 108 + (len(url_lines) - 1) * url_size * 1.2
    for line in url_lines:
        c.drawRightString(text_right, y, line)
        y -= url_size * 1.2
    c.setFillColorRGB(*MUTED)
    c.setFont(SANS, 8)
    c.drawRightString(text_right, 94, labels.scan_hint)

    # footer: hairline and the disclaimer
    c.setStrokeColorRGB(*LIGHT)
    c.setLineWidth(0.5)
    c.line(margin, 56, w - margin, 56)
    footer = labels.disclaimer.format(organisation=data.organisation_name)
    size = shrink(footer, SANS, 7.5, 6.5, w - 2 * margin)
    lines = wrap(footer, SANS, size, w - 2 * margin)[:2]
    c.setFillColorRGB(*MUTED)
    c.setFont(SANS, size)
    y = 42 if len(lines) == 1 else 45
    for line in lines:
        c.drawCentredString(cx, y, line)
        y -= size * 1.25
