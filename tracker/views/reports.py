"""Evidence of AI-literacy training (Article 4 of the EU AI Act): PDF and CSV reports for the organisation or a team.

Admins choose the whole organisation or any team; managers one of their teams (with its sub-teams), or all of them.
A team outside the viewer's reach answers 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..authz import get_team_or_404, manager_scope, role_required
from ..enums import Role
from ..extensions import db
from ..inputs import bounded_int
from ..services import audit
from ..services.organisation import teams
from ..services.reporting import evidence
from ..services.reporting.evidence_pdf import render_evidence_pdf
from ..services.reporting.records import EVIDENCE_CSV_HEADER, csv_text, evidence_csv_rows
from . import download_response

bp = Blueprint("reports", __name__, url_prefix="/reports")


def scope_from_request() -> evidence.Scope:
    """The report's scope from `?team=` (a team the viewer may see), else everything the viewer may see; the
    evidence pack uses the same."""
    raw = request.args.get("team", "").strip()
    if raw:
        return evidence.team_scope(get_team_or_404(raw))  # the loader finds no team for an id nobody can have
    team_ids = manager_scope(current_user)
    return evidence.organisation_scope() if team_ids is None else evidence.managed_scope(current_user, team_ids)


def _report(scope: evidence.Scope):
    return evidence.build(scope, current_app.config["ORGANISATION_NAME"])


def _download(scope: evidence.Scope, report, extension: str, body, mimetype: str) -> Response:
    audit.record(
        "report.evidence_downloaded",
        actor=current_user,
        target_type="team" if scope.team_id else "organisation",
        target_id=scope.team_id,
        details={**scope.as_details(), "format": extension, "people": len(report.people)},
    )
    db.session.commit()
    return download_response(body, evidence.file_name(scope, report, extension), mimetype)


@bp.route("/evidence")
@role_required(Role.MANAGER, Role.ADMIN)
def evidence_page():
    scope = scope_from_request()
    number = bounded_int(request.args.get("page"), 1)
    result = evidence.page(scope, current_app.config["ORGANISATION_NAME"], number)
    if result.page.number != number:  # a page past the end: show the last one at its own address
        return redirect(url_for("reports.evidence_page", **{**request.args.to_dict(), "page": result.page.number}))
    return render_template(
        "reports/evidence.html",
        scope=scope,
        report=result.report,
        headline=result.headline,
        page=result.page,
        teams=teams.filter_choices(manager_scope(current_user), scope.team_id),
    )


@bp.route("/evidence.pdf")
@role_required(Role.MANAGER, Role.ADMIN)
def evidence_pdf():
    scope = scope_from_request()
    report = _report(scope)
    return _download(scope, report, "pdf", render_evidence_pdf(report), "application/pdf")


@bp.route("/evidence.csv")
@role_required(Role.MANAGER, Role.ADMIN)
def evidence_csv():
    scope = scope_from_request()
    report = _report(scope)
    body = "".join(csv_text(EVIDENCE_CSV_HEADER, evidence_csv_rows(report))).encode("utf-8")
    return _download(scope, report, "csv", body, "text/csv")
