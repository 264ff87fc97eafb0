"""The certificate fonts: packaged DejaVu TTFs registered with ReportLab, with cached per-subset PDF objects.

Importing this module registers the fonts (the evidence report uses them too).
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas

__all__ = ["FONTS", "FONTS_DIR", "SANS", "SANS_BOLD", "start_font_states"]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
SANS = "TrackerDejaVuSans"
SANS_BOLD = "TrackerDejaVuSans-Bold"

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
    program = FONTS[font_name].face.makeSubset(list(subset))
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
    widths = pdfdoc.PDFArray([FONTS[font_name].face.getCharWidth(code) for code in subset])
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


FONTS = _register_fonts()


def start_font_states(canvas: Canvas) -> None:
    """Keep subset 0 of each font ASCII-only (so it is identical, and cached, across documents)."""
    for font in FONTS.values():
        state = font._assignState(canvas._doc, asciiReadable=True)
        state.nextCode = 256  # the next new character opens subset 1
