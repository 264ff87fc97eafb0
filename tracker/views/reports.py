"""Evidence of AI-literacy training (Article 4 of the EU AI Act): PDF and CSV reports for the organisation or a team.

Admins choose the whole organisation or any team; managers one of their teams (with its sub-teams), or all of them.
A team outside the viewer's reach answers 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from ..authz import get_team_or_404, role_required
from ..extensions import db
from ..models import Role
from ..reports import EVIDENCE_CSV_HEADER, csv_text, evidence_csv_rows
from ..reports.evidence_pdf import render_evidence_pdf
from ..services import audit, evidence

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _scope() -> evidence.Scope:
    raw = request.args.get("team", "").strip()
    if raw:
        if not raw.isdigit():
            abort(404)
        return evidence.team_scope(get_team_or_404(int(raw)))
    if current_user.role == Role.ADMIN:
        return evidence.organisation_scope()
    scope = evidence.managed_scope(current_user)
    if scope is None:
        abort(403)
    return scope


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
    name = evidence.file_name(scope, report, extension)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/evidence")
@role_required(Role.MANAGER, Role.ADMIN)
def evidence_page():
    scope = _scope()
    return render_template(
        "reports/evidence.html",
        scope=scope,
        report=_report(scope),
        teams=evidence.choosable_teams(current_user),
    )


@bp.route("/evidence.pdf")
@role_required(Role.MANAGER, Role.ADMIN)
def evidence_pdf():
    scope = _scope()
    report = _report(scope)
    return _download(scope, report, "pdf", render_evidence_pdf(report), "application/pdf")


@bp.route("/evidence.csv")
@role_required(Role.MANAGER, Role.ADMIN)
def evidence_csv():
    scope = _scope()
    report = _report(scope)
    body = "".join(csv_text(EVIDENCE_CSV_HEADER, evidence_csv_rows(report))).encode("utf-8")
    return _download(scope, report, "csv", body, "text/csv")
