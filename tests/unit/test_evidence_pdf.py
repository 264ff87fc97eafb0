"""The evidence report PDF (tracker.reports.evidence_pdf): report data in, PDF bytes out; no app needed."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from tracker.services.reporting.evidence_pdf import render_evidence_pdf
from tracker.services.reporting.records import CompletedCourse, DueItem, EvidenceReport, PersonRecord, evidence_csv_rows

NOW = datetime(2026, 11, 22, 21, 46, tzinfo=UTC)
STATEMENT = (
    "This report records training provided and completed to support the organisation's AI-literacy measures "
    "under Article 4 of Regulation (EU) 2024/1689 (the AI Act). "
    "It is an internal record and not a certification of compliance."
)
NAMES = ["Zoë Ñúñez-Łukasiewicz", "Фёдор Достоевский", "Σωκράτης Παπαδόπουλος", "Ada <Lovelace> & Co"]


def _course(title: str, days_ago: int, status: str, label: str, expires_in: int | None = 200) -> CompletedCourse:
    return CompletedCourse(
        course_title=title,
        course_version=3,
        completed_at=NOW - timedelta(days=days_ago),
        score=90,
        certificate_code="7KQ2M-X9HDC-4RTVB-N8WFZ",
        status=status,
        status_label=label,
        expires_at=NOW + timedelta(days=expires_in) if expires_in is not None else None,
    )


def _person(index: int, name: str, completed=(), due=()) -> PersonRecord:
    return PersonRecord(
        index, name, f"p{index}@example.org", "Sales", "Analyst", "Learner", tuple(completed), tuple(due)
    )


def _report(people) -> EvidenceReport:
    return EvidenceReport("Northwind Logistics Ltd", NOW, "Team Sales and its sub-teams North", tuple(people), 1)


def _text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_prints_names_statement_and_metadata():
    people = [
        _person(1, NAMES[0], [_course("AI literacy essentials", 10, "valid", "Valid")]),
        _person(
            2,
            NAMES[1],
            [_course("Responsible use", 400, "expired", "Expired", expires_in=-35)],
            [DueItem("renewal", "Responsible use", (NOW - timedelta(days=35)).date(), True)],
        ),
        _person(3, NAMES[2], due=[DueItem("assignment", "AI literacy essentials", date(2026, 12, 31), False)]),
        _person(4, NAMES[3]),
    ]
    reader, pages = _text(render_evidence_pdf(_report(people)))
    text = _flat("\n".join(pages))

    for name in NAMES:
        assert name in text
    assert STATEMENT in text
    assert "compliant" not in text.lower()
    assert text.lower().count("compliance") == 1  # only in the negated statement
    assert "certified" not in text.lower()
    assert "Northwind Logistics Ltd" in text
    assert "Team Sales and its sub-teams North" in text
    assert "22 Nov 2026, 21:46 UTC" in text
    assert "Overdue since 18 Oct 2026" in text
    assert "Complete AI literacy essentials" in text and "by 31 Dec 2026" in text
    assert "No completed course recorded" in text
    assert "1 deactivated account is not included" in text
    assert reader.metadata.title == "AI-literacy training record: Team Sales and its sub-teams North"
    assert reader.metadata.author == "Northwind Logistics Ltd"
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (842, 595)  # A4 landscape
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert all("DejaVu" in font for font in fonts), fonts


@pytest.mark.slow
def test_many_people_give_numbered_pages_with_the_table_header_on_each():
    people = [
        _person(i, f"{NAMES[i % 3]} {i}", [_course(f"Course {k}", k, "valid", "Valid") for k in range(1 + i % 3)])
        for i in range(60)
    ]
    people.append(_person(99, "Many Courses", [_course(f"Course {k}", k, "valid", "Valid") for k in range(40)]))
    _, pages = _text(render_evidence_pdf(_report(people)))

    total = len(pages)
    assert total >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "Valid until" in page and "Due next" in page  # repeated header row
    text = _flat("\n".join(pages))
    for i in range(60):
        assert f"{NAMES[i % 3]} {i}" in text
    assert "Many Courses (continued)" in text  # a group longer than a page continues with the name repeated
    assert len(re.findall(r"Course 39\b", text)) == 1


def test_empty_scope_still_makes_a_report():
    _, pages = _text(render_evidence_pdf(_report([])))
    text = _flat(pages[0])
    assert "Nobody is in this scope." in text
    assert STATEMENT in text
    assert "Page 1 of 1" in text


def test_csv_rows_one_per_person_and_course():
    people = [
        _person(1, NAMES[0], [_course("A", 10, "valid", "Valid"), _course("B", 20, "expiring", "Expiring", 10)]),
        _person(2, "=cmd|' /C calc'!A0"),
    ]
    rows = list(evidence_csv_rows(_report(people)))
    assert [row[5] for row in rows] == ["A", "B", ""]
    assert rows[0][7] == (NOW - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert rows[2][0] == "=cmd|' /C calc'!A0"  # neutralised only when written (csv_cell)


# --------------------------------------------------------------------------- Chinese, Japanese and Korean names


def _pdftotext(pdf: bytes, tmp_path) -> str:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "evidence.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_cjk_names_print_in_a_font_that_has_them(tmp_path):
    people = [
        _person(1, "山田 太郎", [_course("AI literacy essentials", 10, "valid", "Valid")]),
        _person(2, "张伟", [_course("Prompting", 3, "valid", "Valid")]),
        _person(3, "김민준", [_course("Prompting", 3, "valid", "Valid")]),
        _person(4, "すずき ゆい (Suzuki Yui)", []),
        _person(5, NAMES[1], []),
    ]
    report = EvidenceReport("株式会社サンプル", NOW, "チーム 東京", tuple(people), 0)
    pdf = render_evidence_pdf(report)
    text = _pdftotext(pdf, tmp_path)
    printed = ("山田 太郎", "张伟", "김민준", "すずき ゆい (Suzuki Yui)", NAMES[1], "株式会社サンプル", "チーム 東京")
    for name in printed:
        assert name in text, name
    assert "\ufffd" not in text  # no character without a glyph mapping
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    cjk = [font for name, font in fonts.items() if "+WenQuanYiMicroHei" in name]
    # Embedded (a subset of the glyphs used), so the names print in any reader, with no font of its own.
    assert cjk and all("/FontFile2" in font["/FontDescriptor"] for font in cjk)


def test_cjk_runs_get_the_cjk_font_which_has_their_glyphs():
    from reportlab.pdfbase import pdfmetrics

    from tracker.services.reporting import pdf_scripts

    assert pdf_scripts.cjk_font("Zoë Ñúñez") is None
    for name in ("山田 太郎", "张伟", "김민준", "すずき ゆい", "髙橋"):
        assert pdf_scripts.cjk_font(name) == pdf_scripts.CJK
        glyphs = pdfmetrics.getFont(pdf_scripts.CJK).face.charToGlyph
        assert all(ord(c) in glyphs for c in name.replace(" ", "")), name
    assert pdf_scripts.runs("Ada 山田 <b>") == [(None, "Ada "), (pdf_scripts.CJK, "山田"), (None, " <b>")]
    assert pdf_scripts.markup("A & 山田") == 'A &amp; <font name="WenQuanYiMicroHei">山田</font>'
