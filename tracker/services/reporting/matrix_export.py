"""CSV and XLSX exports of the team matrix: one row per person and course, dates in ISO 8601 UTC."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from openpyxl import Workbook

from .matrix import Matrix

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


def _iso(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # stored in UTC
    return value.isoformat()


def rows(matrix: Matrix) -> Iterator[list]:
    titles = {cid: title for cid, _, title in matrix.courses}
    for row in matrix.rows:
        for course_id, cell in row.cells.items():
            yield [
                row.name,
                row.email,
                row.team or "",
                row.job_role or "",
                titles[course_id],
                cell.label,
                "yes" if cell.assigned else "no",
                _iso(cell.due_on),
                cell.percent,
                "" if cell.score is None else cell.score,
                _iso(cell.completed_at),
                cell.certificate_code or "",
                _iso(cell.expires_at),
            ]


def csv_lines(matrix: Matrix) -> Iterator[str]:
    """Streamed CSV, so a 100,000-row export never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for index, values in enumerate(rows(matrix)):
        writer.writerow(values)
        if index % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(matrix: Matrix, scope_label: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Matrix")
    sheet.append(list(COLUMNS))
    for values in rows(matrix):
        sheet.append(values)
    summary = workbook.create_sheet("Summary")
    summary.append(["Scope", scope_label])
    summary.append(["Generated at (UTC)", _iso(matrix.generated_at)])
    summary.append(["People", matrix.total_people])
    summary.append([])
    summary.append(["course", "assigned", "completed", "completion_rate_percent", "overdue", "expiring", "expired"])
    for course_id, _, title in matrix.courses:
        totals = matrix.totals[course_id]
        summary.append(
            [
                title,
                totals.assigned,
                totals.completed,
                totals.rate,
                totals.by_status["overdue"],
                totals.by_status["expiring"],
                totals.by_status["expired"],
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
