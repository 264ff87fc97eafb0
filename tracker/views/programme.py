"""Coverage of AI systems by training, its export, and the signed evidence pack (managers and admins)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..authz import can_view_team, manager_scope, role_required
from ..enums import CoverageStatus, Role
from ..extensions import db, issuing
from ..forms import options
from ..forms.programme import EvidencePackForm
from ..services import audit
from ..services.organisation import teams
from ..services.programme import coverage, evidence_pack, inventory, privacy
from ..services.reporting import evidence
from ..services.reporting.records import csv_text
from . import download_response
from .reports import scope_from_request

bp = Blueprint("programme", __name__, url_prefix="/programme")

MANAGERS = (Role.MANAGER, Role.ADMIN)


def _filters() -> coverage.Filters:
    filters = coverage.Filters.from_query(request.args)
    if filters.team_id is not None and not can_view_team(current_user, filters.team_id):
        abort(404)
    return filters


@bp.route("/coverage")
@role_required(*MANAGERS)
def coverage_page():
    scope = manager_scope(current_user)
    filters = _filters()
    result = coverage.build(scope, filters)
    if result.filters.page != filters.page:
        return redirect(url_for("programme.coverage_page", **{**request.args.to_dict(), "page": result.filters.page}))
    return render_template(
        "programme/coverage.html",
        coverage=result,
        teams=teams.filter_choices(scope, filters.team_id),
        system_choices=inventory.system_choices(),
        statuses=CoverageStatus.labels(),
        per_page_choices=coverage.PER_PAGE_CHOICES,
        role_column=coverage.ROLE_COLUMN,
    )


@bp.route("/coverage.csv")
@role_required(*MANAGERS)
def coverage_csv():
    scope = manager_scope(current_user)
    result = coverage.build(scope, _filters(), paged=False)
    settings = privacy.settings()
    lines = coverage.export_rows(result, pseudonymise=settings.pseudonymise_exports)
    audit.record(
        "coverage.exported",
        actor=current_user,
        target_type="coverage",
        details={
            "system": result.filters.system_id,
            "team": result.filters.team_id,
            "status": result.filters.status,
            "rows": len(lines),
        },
    )
    db.session.commit()
    body = "".join(csv_text(coverage.EXPORT_COLUMNS, lines)).encode("utf-8")
    return download_response(body, f"ai-system-coverage-{date.today().isoformat()}.csv", "text/csv")


@bp.route("/evidence-pack")
@role_required(*MANAGERS)
def evidence_pack_page():
    scope = manager_scope(current_user)
    form = EvidencePackForm(formdata=None)
    choices = evidence.choosable_teams(scope)
    form.team.choices = options(
        ((str(team_id), label) for team_id, label in choices),
        evidence.organisation_scope().label if scope is None else None,
    )
    return render_template(
        "programme/evidence_pack.html",
        form=form,
        settings=privacy.settings(),
        public_key=issuing.current.key.public_key_multibase,
    )


@bp.route("/evidence-pack.zip")
@role_required(*MANAGERS)
def evidence_pack_zip():
    scope = scope_from_request()
    pack = evidence_pack.build_pack(scope, issuing.current)
    audit.record(
        "report.evidence_pack_downloaded",
        actor=current_user,
        target_type="team" if scope.team_id else "organisation",
        target_id=scope.team_id,
        details={
            **scope.as_details(),
            "files": len(pack.manifest["files"]),
            "pseudonymised": pack.manifest["pseudonymised"],
        },
    )
    db.session.commit()
    return download_response(pack.data, pack.file_name, "application/zip")
