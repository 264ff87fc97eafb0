"""Chinese, Japanese and Korean text in the PDFs built with ReportLab.

The packaged DejaVu fonts have no CJK glyphs: 山田 太郎 would print as empty boxes. Runs of CJK characters are set
in one of ReportLab's built-in CID fonts instead (Adobe's standard Asian fonts, which PDF readers provide; no font
file is shipped), chosen per string: Korean when it has Hangul, Japanese when it has kana or its Han characters are
in JIS X 0208, otherwise Simplified or Traditional Chinese. Everything else stays in DejaVu.
"""

from __future__ import annotations

import re
from functools import cache
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfmetrics import registerFontFamily

JAPANESE = "HeiseiKakuGo-W5"
SIMPLIFIED_CHINESE = "STSong-Light"
TRADITIONAL_CHINESE = "MSung-Light"
KOREAN = "HYGothic-Medium"

_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_PUNCTUATION = "\u3000-\u303f\uff00-\uff65\uffe0-\uffef"  # CJK punctuation, full-width forms
CJK_RUN = re.compile(f"[{_HANGUL}{_KANA}{_HAN}{_PUNCTUATION}]+(?:\\s+[{_HANGUL}{_KANA}{_HAN}{_PUNCTUATION}]+)*")
_HAS_HANGUL = re.compile(f"[{_HANGUL}]")
_HAS_KANA = re.compile(f"[{_KANA}]")


@cache
def _registered(name: str) -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(name))
    registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)  # <b> inside a run keeps it
    return name


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def cjk_font(text: str) -> str | None:
    """The CID font for the CJK characters of `text`, or None when it has none."""
    runs = "".join(m.group(0) for m in CJK_RUN.finditer(text)).replace(" ", "")
    if not runs:
        return None
    if _HAS_HANGUL.search(runs):
        name = KOREAN
    elif _HAS_KANA.search(runs) or _encodes(runs, "shift_jis"):
        name = JAPANESE
    elif _encodes(runs, "gb2312"):
        name = SIMPLIFIED_CHINESE
    elif _encodes(runs, "big5"):
        name = TRADITIONAL_CHINESE
    else:
        name = SIMPLIFIED_CHINESE  # the largest of the fonts (GB 18030 ideographs)
    return _registered(name)


def runs(text: str) -> list[tuple[str | None, str]]:
    """`text` in pieces: (None, text in the document's font) and (CID font name, CJK text)."""
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
