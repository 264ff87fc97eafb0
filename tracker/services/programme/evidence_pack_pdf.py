"""The training plan of the evidence pack as a PDF: plan data in, PDF bytes out (ReportLab platypus, A4).

The plan is generated from the requirements. It cites Article 4 as amended, is dated, and claims no compliance:
the product records measures, it certifies nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ...certificates.typefaces import SANS, SANS_BOLD  # importing registers the packaged DejaVu fonts
from ...enums import RiskClass

INK = colors.HexColor("#1E293B")
MUTED = colors.HexColor("#5B6472")
LINE = colors.HexColor("#D3D8DE")
ACCENT = colors.HexColor("#1D4E89")
NOTE_BG = colors.HexColor("#EEF3FA")

_BASE = ParagraphStyle("base", fontName=SANS, fontSize=8.5, leading=11.5, textColor=INK)
STYLES = {
    "body": _BASE,
    "cell": ParagraphStyle("cell", _BASE, fontSize=7.2, leading=9),
    "head": ParagraphStyle("head", _BASE, fontName=SANS_BOLD, fontSize=7.2, leading=9, textColor=colors.white),
    "title": ParagraphStyle("title", _BASE, fontName=SANS_BOLD, fontSize=18, leading=23, spaceAfter=4),
    "h2": ParagraphStyle("h2", _BASE, fontName=SANS_BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=4),
    "note": ParagraphStyle("note", _BASE, fontSize=7.5, leading=10, textColor=MUTED),
}

# Article 4 as amended by Regulation (EU) 2026/1744 (in force 27 July 2026), quoted in part.
ARTICLE_4_AS_AMENDED = (
    "Providers and deployers of AI systems shall take measures to support the development of AI literacy of their "
    "staff and other persons dealing with the operation and use of AI systems on their behalf, taking into account "
    "their technical knowledge, experience, education and training and the context the AI systems are to be used "
    "in …"
)


@dataclass(frozen=True)
class PlanDocument:
    organisation: str
    scope_label: str
    generated_at: datetime
    inventory: list[dict]
    requirements: list[dict]
    courses: list[dict]
    policies: list[dict]
    coverage: list[tuple]  # (system, risk class, users, covered, expiring, missing, no requirement)
    people: int
    completions: int
    attempts: int
    acknowledgements: int
    expiring_by_month: dict[str, int] = field(default_factory=dict)
    pseudonymised: bool = False


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _day(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def _table(headings: list[str], rows: list[list], widths: list[float]) -> Table:
    data = [[_p(_e(h), "head") for h in headings]] + [[_p(_e(v), "cell") for v in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _statement(plan: PlanDocument) -> Table:
    text = _(
        "Article 4 of Regulation (EU) 2024/1689 (the AI Act), as amended by Regulation (EU) 2026/1744, reads in "
        "part: “%(quote)s” The obligation has applied since 2 February 2025; as amended, it does not require any "
        "specific level of AI literacy of any individual to be guaranteed. This plan records the measures "
        "%(organisation)s has set to support AI literacy. It is an internal record of measures taken, not a "
        "certification of compliance with the AI Act or any other law.",
        quote=ARTICLE_4_AS_AMENDED,
        organisation=plan.organisation,
    )
    box = Table([[_p(_e(text))]], colWidths=[515])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), NOTE_BG),
                ("BOX", (0, 0), (-1, -1), 0.5, LINE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


def render_plan_pdf(plan: PlanDocument) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=40,
        rightMargin=40,
        topMargin=40,
        bottomMargin=40,
        title=_("AI-literacy training plan"),
        author=plan.organisation,
        invariant=1,  # the same plan gives the same bytes: the manifest's fingerprints stay meaningful
    )
    story: list = [
        _p(_e(_("AI-literacy training plan")), "title"),
        _p(
            _e(
                _(
                    "%(organisation)s · %(scope)s · as of %(date)s (UTC)",
                    organisation=plan.organisation,
                    scope=plan.scope_label,
                    date=_day(plan.generated_at),
                )
            )
        ),
        Spacer(1, 8),
        _statement(plan),
        _p(_e(_("1. Scope")), "h2"),
        _p(
            _e(
                _(
                    "%(systems)s AI systems in the inventory (%(in_use)s in use); %(people)s active people in "
                    "scope; %(requirements)s training requirements; %(completions)s course completions, "
                    "%(attempts)s quiz attempts and %(acks)s policy acknowledgements recorded.",
                    systems=len(plan.inventory),
                    in_use=sum(1 for s in plan.inventory if s["status"].in_use),
                    people=plan.people,
                    requirements=len(plan.requirements),
                    completions=plan.completions,
                    attempts=plan.attempts,
                    acks=plan.acknowledgements,
                )
            )
        ),
    ]
    if plan.pseudonymised:
        story.append(_p(_e(_("People are named by pseudonyms in this pack, as the privacy settings ask.")), "note"))
    story += [
        _p(_e(_("2. Measures per AI system and job role")), "h2"),
        _p(
            _e(
                _(
                    "What each group must hold: a course or learning path (current, not expired) or the "
                    "acknowledgement of the current version of a policy, within the days given from the start of use."
                )
            )
        ),
        Spacer(1, 4),
        _table(
            [_("AI system"), _("Job role"), _("Requirement"), _("Item"), _("Within (days)")],
            [
                [r["system"] or _("(any)"), r["job_role"] or _("(every user)"), r["kind"], r["title"], r["due_days"]]
                for r in plan.requirements
            ]
            or [[_("No requirements are set."), "", "", "", ""]],
            [120, 110, 70, 170, 45],
        ),
        _p(_e(_("3. AI-system inventory")), "h2"),
        _table(
            [_("AI system"), _("Provider"), _("Our role"), _("Risk class"), _("Status"), _("Owner"), _("Used by")],
            [
                [
                    s["name"],
                    s["vendor"],
                    s["organisation_role"].label,
                    s["risk_class"].label,
                    s["status"].label,
                    s["owner"],
                    "; ".join(s["teams"] + s["job_roles"]),
                ]
                for s in plan.inventory
            ]
            or [[_("The inventory is empty."), "", "", "", "", "", ""]],
            [85, 65, 55, 85, 50, 80, 95],
        ),
        _p(_e(_("Risk classes as recorded by the organisation. Orientation, as of the plan's date:")), "note"),
    ]
    for risk in RiskClass:
        story.append(_p(f"<b>{_e(risk.label)}</b>: {_e(risk.guide)}", "note"))
    story += [
        _p(_e(_("4. Curriculum")), "h2"),
        _table(
            [_("Course"), _("Version"), _("Content fingerprint (SHA-256)"), _("Valid (months)"), _("Facts checked")],
            [
                [
                    c["title"],
                    c["version"],
                    c["fingerprint"],
                    c["valid_months"] or _("no expiry"),
                    c["facts_checked"].isoformat() if c["facts_checked"] else "",
                ]
                for c in plan.courses
            ],
            [150, 40, 205, 55, 65],
        ),
        _p(_e(_("5. Policies")), "h2"),
        _table(
            [_("Policy"), _("Version"), _("Published"), _("Text fingerprint (SHA-256)")],
            [[p["title"], p["number"], _day(p["published_at"]), p["body_sha256"]] for p in plan.policies]
            or [[_("No policies are published."), "", "", ""]],
            [160, 45, 70, 240],
        ),
        _p(_e(_("6. Coverage on the date")), "h2"),
        _table(
            [
                _("AI system"),
                _("Risk class"),
                _("Users"),
                _("Trained and acknowledged"),
                _("Expiring"),
                _("Missing"),
                _("No requirement set"),
            ],
            [
                [name, risk.label, users, covered, expiring, missing, none]
                for name, risk, users, covered, expiring, missing, none in plan.coverage
            ]
            or [[_("No AI system in use."), "", "", "", "", "", ""]],
            [120, 110, 45, 75, 50, 50, 65],
        ),
        _p(_e(_("7. Refresher schedule")), "h2"),
        _p(
            _e(
                _(
                    "Certificates expire after the months given per course; renewal opens 30 days before. "
                    "Current certificates expiring per month (details in refresher-schedule.csv):"
                )
            )
        ),
        Spacer(1, 4),
        _table(
            [_("Month"), _("Certificates expiring")],
            [[month, count] for month, count in sorted(plan.expiring_by_month.items())] or [[_("None"), ""]],
            [120, 120],
        ),
        Spacer(1, 10),
        _p(
            _e(
                _(
                    "The completion, attempt and acknowledgement logs and the audit excerpt are in the CSV files of "
                    "this pack; manifest.json lists the SHA-256 of every file and is signed with the organisation's "
                    "Ed25519 key."
                )
            ),
            "note",
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
