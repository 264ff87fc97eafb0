"""CSV and XLSX exports of the team matrix: one row per person and course. CSV dates are ISO 8601 UTC; XLSX cells
are typed (dates, numbers, text), never formulas."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from openpyxl import Workbook

from ...enums import CellStatus
from ...extensions import db
from ...models import utcnow
from ..programme import privacy
from . import matrix as matrix_service
from . import status_table
from .cells import BOM, CSV_CHUNK_ROWS, csv_cell, csv_text, neutralise, xlsx_row
from .matrix import Filters, Matrix, Row

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


EXPORT_BATCH = 2000  # database rows fetched at a time by the streamed export


def csv_stream(scope: set[int] | None, filters: Filters, now: datetime | None = None) -> Iterator[str]:
    """The matrix CSV of every filtered person, straight from one streamed query over the maintained tables.

    The same file as `csv_lines` of the whole matrix, made for size: plain tuples rather than row objects, a
    person's text cells neutralised once for all their courses, dates formatted once per distinct day, and the
    row of a course a person has not started prepared once per course, dates written by the database. Memory
    holds one batch of rows."""
    now = now or utcnow()
    status_table.sync(now)
    courses = matrix_service.export_courses(filters)
    course_ids = [c[0] for c in courses]
    pseudonymise, scores_hidden, totals_only = matrix_service.export_settings(scope, filters, course_ids)
    scratch = io.StringIO()
    fields = csv.writer(scratch, lineterminator="\r\n")  # the file's: text holding \r or \n gets quoted

    def csv_fields(values) -> str:
        """Cells as the csv module writes them (quoted when needed), for text met again and again."""
        scratch.seek(0)
        scratch.truncate()
        fields.writerow(values)
        return scratch.getvalue()[:-2]

    labels = {status.value: csv_fields([neutralise(str(label))]) for status, label in CellStatus.labels().items()}
    titles = {cid: csv_fields([neutralise(title)]) for cid, _, title in courses}
    untouched = {  # a course with no stored cell: not started, not assigned, nothing to show
        cid: f"{titles[cid]},{labels[CellStatus.NOT_STARTED.value]},no,,0,,,,\r\n" for cid in course_ids
    }
    out: list[str] = [BOM, csv_fields(COLUMNS), "\r\n"]
    if totals_only:  # too few people for rows under the works-council settings: the page shows totals only
        yield "".join(out)
        return
    current, person, found = None, "", {}
    for batch in _driver_rows(matrix_service.export_query(scope, filters, course_ids)):
        for (
            user_id,
            name,
            email,
            team,
            job_role,
            course_id,
            status,
            assigned,
            due_on,
            percent,
            score,
            completed_at,
            code,
            expires_at,
        ) in batch:
            if user_id != current:
                if current is not None:
                    out += [person + found.get(course_id, untouched[course_id]) for course_id in course_ids]
                current, found = user_id, {}
                if pseudonymise:
                    name, email = privacy.pseudonym(user_id), ""
                person = csv_fields([csv_cell(v) for v in (name, email, team, job_role)]) + ","
            if course_id is None or course_id not in titles:
                continue
            if code is not None:
                code = neutralise(code)
                if _NEEDS_QUOTES.search(code):
                    code = csv_fields([code])
            found[course_id] = (
                f"{titles[course_id]},{labels[status]},{'yes' if assigned else 'no'},{due_on or ''},{percent or 0},"
                f"{'' if score is None or scores_hidden else score},{completed_at or ''},{code or ''},"
                f"{expires_at or ''}\r\n"
            )
        if len(out) >= CSV_CHUNK_ROWS:
            yield "".join(out)
            out = []
    if current is not None:
        out += [person + found.get(course_id, untouched[course_id]) for course_id in course_ids]
    yield "".join(out)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _driver_rows(query) -> Iterator[list[tuple]]:
    """The rows of a query in batches, as the database driver gives them (plain tuples): a million rows through
    SQLAlchemy's result objects cost seconds more. The statement's values are ids and status names chosen by the
    application (never text typed by someone), written into the SQL; PostgreSQL streams them from a server-side
    cursor, SQLite reads as it goes. It runs on the session's connection, in its transaction."""
    connection = db.session.connection()
    sql = str(query.compile(connection.engine, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.dbapi_connection
    name = connection.engine.dialect.name
    cursor = raw.cursor(name="matrix_export") if name == "postgresql" else raw.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(EXPORT_BATCH):
            yield batch
    finally:
        cursor.close()


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
