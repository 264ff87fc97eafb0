"""A visible status stamp on a copy of an issued certificate PDF, kept verifiable.

The stamp is added as a PDF incremental update (pypdf): the issued file's bytes stay, unchanged, at the start of
the copy and the stamp is appended after them. The output is deterministic, so the verification-by-upload check
can recognise a stamped copy by making it again and comparing the bytes (see services/certification/verification).
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen.canvas import Canvas

from .typefaces import SANS, SANS_BOLD

STAMP_RED = (0.70, 0.07, 0.09)


def _overlay(width: float, height: float, word: str, sentence: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.saveState()
    canvas.setFillColorRGB(*STAMP_RED)
    canvas.setStrokeColorRGB(*STAMP_RED)
    canvas.setFillAlpha(0.18)
    canvas.setStrokeAlpha(0.18)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(28)
    size = min(110.0, 0.9 * width / max(1, len(word)) * 1.6)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawCentredString(0, -size * 0.35, word)
    canvas.restoreState()
    # A solid band at the foot of the page with the full statement, readable when printed.
    band = 34.0
    canvas.setFillColorRGB(*STAMP_RED)
    canvas.rect(0, 0, width, band, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    font_size = 11.0
    while font_size > 6 and canvas.stringWidth(sentence, SANS, font_size) > width - 40:
        font_size -= 0.5
    canvas.setFont(SANS, font_size)
    canvas.drawCentredString(width / 2, (band - font_size) / 2 + 2, sentence)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def stamp_pdf(pdf: bytes, word: str, sentence: str) -> bytes:
    """The issued PDF with `word` across every page and `sentence` in a band at its foot, as an appended update."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    overlays: dict[tuple[float, float], object] = {}
    for page in writer.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        if size not in overlays:
            overlays[size] = PdfReader(io.BytesIO(_overlay(*size, word, sentence))).pages[0]
        page.merge_page(overlays[size])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
