"""Certificates for their holders and their managers: list, download (PDF, Open Badges JSON), ZIP, reissue request."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..authz import get_certificate_or_404, manager_scope
from ..enums import Role
from ..extensions import db
from ..forms import ConfirmForm
from ..forms.certificates import ReissueRequestForm
from ..models import Certificate
from ..services import DomainError, certification, jobs
from ..services.certification import listing, packaging
from ..services.organisation import teams
from . import download_response

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


@bp.route("/")
@login_required
def mine():
    return render_template(
        "certificates/mine.html",
        certificates=listing.of_learner(current_user.id),
        form=ReissueRequestForm(formdata=None),
    )


def _download(cert: Certificate, body: bytes | str | None, mimetype: str, extension: str):
    if body is None:  # a certificate still waiting for an admin has no files yet
        abort(404)
    return download_response(body, packaging.file_name(cert, extension), mimetype)


@bp.route("/<code>.pdf")
@login_required
def pdf(code: str):
    cert = get_certificate_or_404(code)
    return _download(cert, cert.pdf, "application/pdf", "pdf")


@bp.route("/<code>/credential.json")
@login_required
def credential(code: str):
    cert = get_certificate_or_404(code)
    return _download(cert, cert.credential, "application/json", "json")


@bp.route("/<code>/request-reissue", methods=["POST"])
@login_required
def request_reissue(code: str):
    cert = get_certificate_or_404(code)
    if cert.user_id != current_user.id:
        abort(404)
    form = ReissueRequestForm()
    if form.validate_on_submit():
        try:
            certification.request_reissue(cert, current_user, form.note.data or "")
        except DomainError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                _("Your request is sent. An administrator will reissue the certificate with your current name."),
                "success",
            )
    return redirect(url_for("certificates.mine"))


def _selected_team_ids(scope: set[int] | None) -> set[int] | None:
    """The team chosen in the query string (404 outside the scope), or the whole scope."""
    team_id = request.args.get("team", type=int)
    if team_id is None:
        return scope
    if scope is not None and team_id not in scope:
        abort(404)
    return teams.descendant_ids_of(team_id) & scope if scope is not None else teams.descendant_ids_of(team_id)


@bp.route("/team")
@login_required
def team():
    scope = manager_scope(current_user)
    return render_template(
        "certificates/team.html",
        certificates=listing.of_teams(_selected_team_ids(scope)),
        teams=teams.teams_in_scope(scope),
        selected_team=request.args.get("team", type=int),
    )


@bp.route("/team.zip/prepare", methods=["POST"])
@login_required
def prepare_team_zip():
    """The team's certificates as a ZIP made in the background; the progress page links to it when ready."""
    scope = manager_scope(current_user)
    selected = _selected_team_ids(scope)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    job = jobs.submit(
        "export.certificates_zip",
        {
            "team_ids": None if selected is None else sorted(selected),
            "scope": None if scope is None else sorted(scope),
            "roles": [Role.MANAGER.value, Role.ADMIN.value],
        },
        requested_by=current_user,
    )
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/team.zip")
@login_required
def team_zip():
    scope = manager_scope(current_user)
    certificates = [c for c in listing.of_teams(_selected_team_ids(scope), with_pdf=True) if c.pdf]
    if not certificates:
        flash(_("There are no certificates to download for this selection."), "info")
        return redirect(url_for("certificates.team", **request.args))
    return download_response(packaging.zip_of(certificates), "team-certificates.zip", "application/zip")
