"""Fitting a line or a paragraph of text into a width, with ReportLab's font metrics (no kerning)."""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics

__all__ = ["fit", "shrink", "text_width", "wrap"]


def text_width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _break_word(word: str, font: str, size: float, max_width: float) -> list[str]:
    """Split a word wider than `max_width` between characters (widths add up: ReportLab does not kern)."""
    pieces: list[str] = []
    start, width = 0, 0.0
    for index, char in enumerate(word):
        char_width = text_width(char, font, size)
        if width + char_width > max_width and index > start:
            pieces.append(word[start:index])
            start, width = index, 0.0
        width += char_width
    pieces.append(word[start:])
    return pieces


def wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap; words wider than a line are broken between characters."""
    if text_width(text, font, size) <= max_width:
        return [text] if text else []
    space = text_width(" ", font, size)
    lines: list[str] = []
    current, current_width = "", 0.0
    for word in text.split(" "):
        word_width = text_width(word, font, size)
        if current and current_width + space + word_width <= max_width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        if word_width > max_width:
            *full, word = _break_word(word, font, size, max_width)
            lines.extend(full)
            word_width = text_width(word, font, size)
        current, current_width = word, word_width
    if current:
        lines.append(current)
    return lines


def _ellipsize(line: str, font: str, size: float, max_width: float) -> str:
    while line and text_width(line + "…", font, size) > max_width:
        line = line[:-1].rstrip()
    return line + "…"


def fit(
    text: str, font: str, max_width: float, sizes: list[tuple[int, int]], max_lines: int
) -> tuple[float, list[str]]:
    """Largest size (from `sizes`: (size, allowed lines) in decreasing order) at which `text` fits.

    When nothing fits, the smallest size is used and the last allowed line ends with an ellipsis.
    """
    for size, allowed in sizes:
        lines = wrap(text, font, size, max_width)
        if len(lines) <= allowed:
            return size, lines
    size = sizes[-1][0]
    lines = wrap(text, font, size, max_width)
    kept = lines[:max_lines]
    kept[-1] = _ellipsize(kept[-1], font, size, max_width)
    return size, kept


def shrink(text: str, font: str, size: float, min_size: float, max_width: float) -> float:
    """Largest size from `size` down to `min_size` (in 0.25 pt steps) at which `text` fits on one line."""
    while size > min_size and text_width(text, font, size) > max_width:
        size -= 0.25
    return size
