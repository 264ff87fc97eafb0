"""Chinese, Japanese and Korean text in the PDFs built with ReportLab.

The packaged DejaVu fonts have no CJK glyphs: 山田 太郎 would print as empty boxes. Runs of CJK characters are set
in WenQuanYi Micro Hei instead, a TrueType font shipped beside DejaVu (Apache-2.0; Han ideographs, kana and Hangul),
embedded as a subset of the glyphs used, so every reader shows the names without fonts of its own. Everything else
stays in DejaVu. The font is read on first use: most reports have no CJK text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont

CJK = "WenQuanYiMicroHei"
_FILE = Path(__file__).resolve().parents[2] / "certificates" / "fonts" / "wqy-microhei.ttc"

_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_PUNCTUATION = "\u3000-\u303f\uff00-\uff65\uffe0-\uffef"  # CJK punctuation, full-width forms
CJK_RUN = re.compile(f"[{_HANGUL}{_KANA}{_HAN}{_PUNCTUATION}]+(?:\\s+[{_HANGUL}{_KANA}{_HAN}{_PUNCTUATION}]+)*")


@cache
def _registered() -> str:
    pdfmetrics.registerFont(TTFont(CJK, str(_FILE), subfontIndex=0))
    registerFontFamily(CJK, normal=CJK, bold=CJK, italic=CJK, boldItalic=CJK)  # <b> inside a run keeps it
    return CJK


def cjk_font(text: str) -> str | None:
    """The font for the CJK characters of `text`, or None when it has none."""
    return _registered() if CJK_RUN.search(text) else None


def runs(text: str) -> list[tuple[str | None, str]]:
    """`text` in pieces: (None, text in the document's font) and (the CJK font's name, CJK text)."""
    font = cjk_font(text)
    if font is None:
        return [(None, text)] if text else []
    pieces: list[tuple[str | None, str]] = []
    at = 0
    for match in CJK_RUN.finditer(text):
        if match.start() > at:
            pieces.append((None, text[at : match.start()]))
        pieces.append((font, match.group(0)))
        at = match.end()
    if at < len(text):
        pieces.append((None, text[at:]))
    return pieces


def markup(text: str | None) -> str:
    """`text` escaped for a ReportLab Paragraph, its CJK runs in a <font> of their own."""
    return "".join(
        escape(piece) if font is None else f'<font name="{font}">{escape(piece)}</font>'
        for font, piece in runs(text or "")
    )


def width(text: str, font: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(piece, name or font, size) for name, piece in runs(text))


def draw(canvas, x: float, y: float, text: str, font: str, size: float, *, right: bool = False) -> None:
    """Draw one line on a canvas (page headers and footers), switching fonts for the CJK runs."""
    if right:
        x -= width(text, font, size)
    for name, piece in runs(text):
        canvas.setFont(name or font, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, name or font, size)
    canvas.setFont(font, size)
