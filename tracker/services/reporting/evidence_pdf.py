"""The evidence report as a PDF: report data in, PDF bytes out (ReportLab platypus, DejaVu fonts, A4 landscape).

One long table, a group of rows per person, with the column headings repeated on every page; a person's rows
are kept on one page (very long groups continue under a "continued" heading). Every page says "Page N of M".
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from functools import partial

from babel.dates import format_date as babel_format_date
from babel.dates import format_timedelta as babel_format_timedelta
from flask import has_app_context
from flask_babel import format_date, format_timedelta, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from ...certificates.typefaces import SANS, SANS_BOLD  # importing registers the packaged DejaVu fonts
from ...i18n import LANGUAGES, current_language
from . import pdf_scripts
from .records import DUE_NEXT_EXPLAINED, CompletedCourse, EvidenceReport, PersonRecord

__all__ = ["render_evidence_pdf"]

registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)

PAGE = landscape(A4)
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 36, 46, 44
TITLE = _l("AI-literacy training record")

INK = colors.HexColor("#1E293B")
MUTED = colors.HexColor("#5B6472")
LINE = colors.HexColor("#D3D8DE")
ACCENT = colors.HexColor("#1D4E89")
TINT = colors.HexColor("#F4F6F9")
NOTE_BG = colors.HexColor("#EEF3FA")
STATUS_COLOURS = {
    "valid": "#166534",
    "expiring": "#92400E",
    "expired": "#B91C1C",
    "revoked": "#B91C1C",
    "superseded": "#5B6472",
    "pending": "#5B6472",
    None: "#5B6472",
}
OVERDUE = "#B91C1C"

# Person, Team / job role, Course, Completed, Score, Certificate, Status, Valid until, Due next (770 pt in all)
COLUMN_WIDTHS = (134, 96, 144, 58, 36, 70, 70, 58, 104)
HEADINGS = (_l("Person"), _l("Team · job role"), _l("Course"), _l("Completed"), _l("Score"), _l("Certificate"),
            _l("Status"), _l("Valid until"), _l("Due next"))  # fmt: skip
ROWS_PER_GROUP = 14  # a longer group is split so that it always fits on a page

_BASE = ParagraphStyle("base", fontName=SANS, fontSize=7.5, leading=9.4, textColor=INK)
STYLES = {
    "cell": _BASE,
    "small": ParagraphStyle("small", _BASE, fontSize=6.8, leading=8.4, textColor=MUTED),
    "head": ParagraphStyle("head", _BASE, fontName=SANS_BOLD, fontSize=7.2, textColor=colors.white),
    "number": ParagraphStyle("number", _BASE, alignment=TA_RIGHT),
    "title": ParagraphStyle("title", _BASE, fontName=SANS_BOLD, fontSize=19, leading=24, spaceAfter=8),
    "fact_key": ParagraphStyle("fact_key", _BASE, fontSize=7, leading=9, textColor=MUTED),
    "fact": ParagraphStyle("fact", _BASE, fontName=SANS_BOLD, fontSize=9, leading=11.5),
    "statement": ParagraphStyle("statement", _BASE, fontSize=9, leading=12.5),
    "body": ParagraphStyle("body", _BASE, fontSize=8.5, leading=11.5),
    "note": ParagraphStyle("note", _BASE, fontSize=7.5, leading=10, textColor=MUTED),
}


def _day(value: date | datetime | None) -> str:
    """A day in the report's language (the report's dates are in UTC, and say so)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    if not has_app_context():  # rendered outside the app (tests of the renderer): British English
        return babel_format_date(value, "medium", locale="en_GB")
    return format_date(value, "medium")


def _span(value: timedelta) -> str:
    """A span of time in words, in the report's language ("3 hours")."""
    if not has_app_context():
        return babel_format_timedelta(value, granularity="second", threshold=1, locale="en_GB")
    return format_timedelta(value, granularity="second", threshold=1)


def _evidence_line(course: CompletedCourse) -> str:
    """How the completion was earned: quiz attempts, and the time from the first lesson to the pass. (Completions
    recorded before this evidence was kept have no attempts counted, and show no such line.)"""
    parts = [ngettext("%(num)d quiz attempt", "%(num)d quiz attempts", course.attempts)]
    if course.time_to_complete is not None:
        parts.append(_("%(time)s from first lesson to pass", time=_span(course.time_to_complete)))
    return " · ".join(parts)


def _moment(value: datetime) -> str:
    value = value.astimezone(UTC)
    return _("%(day)s, %(time)s UTC", day=_day(value), time=value.strftime("%H:%M"))


def _p(text: str, style: str = "cell") -> Paragraph:
    return Paragraph(text, STYLES[style])


def _e(text: str | None) -> str:
    """Text for a Paragraph: escaped, and Chinese, Japanese or Korean runs in a font that has them."""
    return pdf_scripts.markup(text)


def _one_line(text: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis to fit `width` (page headers and footers have one line)."""
    if pdf_scripts.width(text, SANS, size) <= width:
        return text
    while text and pdf_scripts.width(text + "…", SANS, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


# --------------------------------------------------------------------------- page furniture


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, so that each can say "Page N of M"."""

    def __init__(self, *args, footer: str = "", running_head: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._running_head = running_head
        self._saved_pages: list[dict] = []

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._furniture(total)
            super().showPage()
        super().save()

    def _furniture(self, total: int) -> None:
        width, height = PAGE
        self.saveState()
        self.setStrokeColor(LINE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, MARGIN_BOTTOM - 14, width - MARGIN_X, MARGIN_BOTTOM - 14)
        self.setFillColor(MUTED)
        self.setFont(SANS, 7)
        footer = _one_line(self._footer, 7, width - 2 * MARGIN_X - 90)
        pdf_scripts.draw(self, MARGIN_X, MARGIN_BOTTOM - 25, footer, SANS, 7)
        self.drawRightString(
            width - MARGIN_X, MARGIN_BOTTOM - 25, _("Page %(page)s of %(pages)s", page=self._pageNumber, pages=total)
        )
        if self._pageNumber > 1:
            head = _one_line(self._running_head, 7, width - 2 * MARGIN_X)
            pdf_scripts.draw(self, MARGIN_X, height - MARGIN_TOP + 18, head, SANS, 7)
            self.line(MARGIN_X, height - MARGIN_TOP + 12, width - MARGIN_X, height - MARGIN_TOP + 12)
        self.restoreState()


# --------------------------------------------------------------------------- the opening block


def _facts(report: EvidenceReport) -> Table:
    facts = [
        (_("Organisation"), report.organisation_name),
        (_("Scope"), report.scope_label),
        (_("Generated"), _moment(report.generated_at)),
        (_("People in scope"), str(len(report.people))),
    ]
    row = [[_p(_e(key).upper(), "fact_key"), _p(_e(value), "fact")] for key, value in facts]
    table = Table([row], colWidths=(170, 300, 150, 150))
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 7.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 14),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _statement(report: EvidenceReport) -> Table:
    box = Table([[_p(_e(report.statement), "statement")]], colWidths=(PAGE[0] - 2 * MARGIN_X,))
    box.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 9),
                ("BACKGROUND", (0, 0), (-1, -1), NOTE_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 3, ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
            ]
        )
    )
    return box


def _summary(report: EvidenceReport) -> Paragraph:
    count = len(report.people)
    parts = [
        ngettext("<b>%(num)d</b> person in scope", "<b>%(num)d</b> people in scope", count),
        _("<b>%(num)d</b> with at least one completed course", num=report.with_completion),
        _("<b>%(num)d</b> with no completed course", num=report.without_completion),
        _("<b>%(num)d</b> with overdue training", num=report.with_overdue),
    ]
    text = " · ".join(parts) + "."
    if report.inactive_excluded:
        text += " " + ngettext(
            "%(num)d deactivated account is not included.",
            "%(num)d deactivated accounts are not included.",
            report.inactive_excluded,
        )
    else:
        text += " " + _("Deactivated accounts are not included.")
    return _p(text, "body")


# --------------------------------------------------------------------------- the table


def _person_cell(person: PersonRecord, continued: bool) -> list[Paragraph]:
    more = " <font size=6.8 color='#5B6472'>" + _e(_("(continued)")) + "</font>" if continued else ""
    name = f"<b>{_e(person.name)}</b>" + more
    return [_p(name), _p(_e(person.email), "small")]


def _team_cell(person: PersonRecord) -> list[Paragraph]:
    cell = [_p(_e(person.team) if person.team else "<font color='#5B6472'>" + _e(_("No team")) + "</font>")]
    details = [part for part in (person.job_role, person.role) if part]
    cell.append(_p(_e(" · ".join(details)), "small"))
    return cell


def _due_cell(person: PersonRecord) -> list[Paragraph]:
    item = person.due_next
    if item is None:
        return [_p(_e(_("Nothing due")), "small")]
    when = (
        f"<font color='{OVERDUE}'>" + _("<b>Overdue</b> since %(date)s", date=_day(item.due_on)) + "</font>"
        if item.overdue
        else _e(_("by %(date)s", date=_day(item.due_on)))
    )
    cell = [_p(_e(item.label)), _p(when, "small" if not item.overdue else "cell")]
    more = len(person.due) - 1
    if more:
        cell.append(_p(_e(ngettext("+ %(num)d more open item", "+ %(num)d more open items", more)), "small"))
    return cell


def _code(code: str | None) -> Paragraph:
    if not code:
        return _p("—", "small")
    middle = code.find("-", len(code) // 2 - 1)
    text = f"{code[: middle + 1]}<br/>{code[middle + 1 :]}" if middle > 0 else code
    return _p(text, "small")


def _status(status: str | None, label: str) -> Paragraph:
    return _p(f"<font color='{STATUS_COLOURS.get(status, '#5B6472')}'><b>{_e(label)}</b></font>")


def _table(report: EvidenceReport) -> Table:
    data: list[list] = [[_p(h, "head") for h in HEADINGS]]
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), SANS, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    shade = False
    for person in report.people:
        rows = [
            [
                [
                    _p(_e(course.course_title)),
                    _p(
                        _e(
                            _(
                                "Version %(version)s · %(language)s",
                                version=course.course_version,
                                language=LANGUAGES.get(course.language, course.language),
                            )
                        ),
                        "small",
                    ),
                    *([_p(_e(_evidence_line(course)), "small")] if course.attempts else []),
                ],
                _day(course.completed_at),
                "—" if course.score is None else f"{course.score}%",
                _code(course.certificate_code),
                _status(course.status, course.status_label),
                _day(course.expires_at) if course.expires_at else _("No expiry"),
            ]
            for course in person.completed
        ] or [[_p(_e(_("No completed course recorded")), "small"), "", "", "", "", ""]]
        for start in range(0, len(rows), ROWS_PER_GROUP):
            chunk = rows[start : start + ROWS_PER_GROUP]
            first, last = len(data), len(data) + len(chunk) - 1
            for index, row in enumerate(chunk):
                people_columns = index == 0
                data.append(
                    [
                        _person_cell(person, continued=start > 0) if people_columns else "",
                        _team_cell(person) if people_columns else "",
                        *[_p(_e(v)) if isinstance(v, str) else v for v in row],
                        _due_cell(person) if people_columns and start == 0 else "",
                    ]
                )
            commands += [
                ("SPAN", (0, first), (0, last)),
                ("SPAN", (1, first), (1, last)),
                ("SPAN", (8, first), (8, last)),
                ("LINEBELOW", (0, last), (-1, last), 0.5, LINE),
            ]
            if not person.completed:
                commands.append(("SPAN", (2, first), (7, first)))
            if shade:
                commands.append(("BACKGROUND", (0, first), (-1, last), TINT))
        shade = not shade
    table = Table(data, colWidths=COLUMN_WIDTHS, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def render_evidence_pdf(report: EvidenceReport) -> bytes:
    buffer = io.BytesIO()
    generated = _moment(report.generated_at)
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{TITLE}: {report.scope_label}",
        author=report.organisation_name,
        subject=_("Record of AI-literacy training (Article 4, Regulation (EU) 2024/1689)"),
        creator="tracker",
        keywords=[_("AI literacy"), _("training record"), _("Article 4"), _("AI Act")],
        lang=current_language(),
        displayDocTitle=True,
        initialFontName=SANS,  # otherwise every page also names Helvetica
    )
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, doc.width, doc.height, 0, 0, 0, 0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    story = [
        _p(_e(str(TITLE)), "title"),
        _facts(report),
        Spacer(1, 12),
        _statement(report),
        Spacer(1, 10),
        _summary(report),
        Spacer(1, 3),
        _p(
            _e(_("Certificate status on %(date)s. Dates are in UTC.", date=_day(report.generated_at)))
            + " "
            + _e(str(DUE_NEXT_EXPLAINED)),
            "note",
        ),
        Spacer(1, 10),
    ]
    story.append(_table(report) if report.people else _p(_e(_("Nobody is in this scope.")), "body"))
    canvas = partial(
        _NumberedCanvas,
        footer=_(
            "%(organisation)s · %(title)s · generated %(generated)s · internal record",
            organisation=report.organisation_name,
            title=TITLE,
            generated=generated,
        ),
        running_head=f"{report.organisation_name} · {TITLE} · {report.scope_label}",
    )
    doc.build(story, canvasmaker=canvas)
    return buffer.getvalue()
