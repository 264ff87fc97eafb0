"""CSV and XLSX exports of the team matrix: one row per person and course. CSV dates are ISO 8601 UTC; XLSX cells
are typed (dates, numbers, text), never formulas."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from openpyxl import Workbook

from .cells import csv_text, xlsx_row
from .matrix import Matrix, Row

COLUMNS = (
    "person",
    "email",
    "team",
    "job_role",
    "course",
    "status",
    "assigned",
    "due_on",
    "progress_percent",
    "score",
    "completed_at_utc",
    "certificate_code",
    "certificate_expires_at_utc",
)


def rows(matrix: Matrix) -> Iterator[list]:
    """Typed values (text, numbers, dates, datetimes in UTC); the writers turn them into cells."""
    return _values(matrix.courses, matrix.rows)


def _values(courses, people: Iterable[Row]) -> Iterator[list]:
    titles = {cid: title for cid, _, title in courses}
    for row in people:
        for course_id, cell in row.cells.items():
            yield [
                row.name,
                row.email,
                row.team,
                row.job_role,
                titles[course_id],
                cell.label,
                cell.assigned,
                cell.due_on,
                cell.percent,
                cell.score,
                cell.completed_at,
                cell.certificate_code,
                cell.expires_at,
            ]


def csv_lines(matrix: Matrix) -> Iterator[str]:
    """Streamed CSV, so a 100,000-row export never sits in memory whole."""
    return csv_text(COLUMNS, rows(matrix))


def streamed_csv_lines(courses, people: Iterable[Row]) -> Iterator[str]:
    """The CSV of people read in batches (`matrix.iter_rows`): memory bounded by a batch, whatever the size."""
    return csv_text(COLUMNS, _values(courses, people))


def xlsx_bytes(matrix: Matrix, scope_label: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Matrix")
    xlsx_row(sheet, COLUMNS)
    for values in rows(matrix):
        xlsx_row(sheet, values)
    summary = workbook.create_sheet("Summary")
    xlsx_row(summary, ["Scope", scope_label])
    xlsx_row(summary, ["Generated at (UTC)", matrix.generated_at])
    xlsx_row(summary, ["People", matrix.total_people])
    xlsx_row(summary, [])
    xlsx_row(summary, ["course", "assigned", "completed", "completion_rate_percent", "overdue", "expiring", "expired"])
    for course_id, _, title in matrix.courses:
        totals = matrix.totals[course_id]
        xlsx_row(
            summary,
            [
                title,
                totals.assigned,
                totals.completed,
                totals.rate,
                totals.by_status["overdue"],
                totals.by_status["expiring"],
                totals.by_status["expired"],
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
