"""Certificates for their holders and their managers: list, download (PDF, Open Badges JSON), ZIP, reissue request."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..authz import can_download_withdrawn_files, get_certificate_or_404, manager_scope
from ..enums import Role
from ..extensions import db
from ..forms import ConfirmForm
from ..forms.certificates import ReissueRequestForm
from ..inputs import bounded_int, database_id
from ..models import Certificate
from ..services import DomainError, audit, certification, jobs
from ..services.certification import issuing, listing, packaging, standing, verification
from ..services.certification.status import pending
from ..services.organisation import teams
from . import download_response

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


@bp.route("/")
@login_required
def mine():
    certificates = listing.of_learner(current_user.id)
    return render_template(
        "certificates/mine.html",
        certificates=certificates,
        after_revocation=standing.after_revocation(current_user.id, certificates),
        form=ReissueRequestForm(formdata=None),
    )


def _download(cert: Certificate, extension: str, mimetype: str):
    """The file as issued (made now if this is its first use); for a revoked or superseded certificate, only admins
    get it, as a copy marked with its status (holders and managers see the status and, for a reissue, the current
    revision)."""
    if pending(cert):  # waiting for an admin: no files
        abort(404)
    mark = packaging.withdrawn_status(cert)
    if mark is not None and not can_download_withdrawn_files(current_user):
        current = verification.latest_revision(cert) if cert.superseded_at else None
        return render_template("certificates/withdrawn.html", cert=cert, status=mark, current=current), 410
    if not issuing.ensure_files(cert):
        db.session.commit()  # rendering found a name the font cannot print: the certificate is pending from now on
        abort(404)
    body = cert.pdf if extension == "pdf" else cert.credential
    audit.record(
        "certificate.downloaded",
        actor=current_user,
        target_type="certificate",
        target_id=cert.code,
        details={
            "format": extension,
            "holder": cert.user_id == current_user.id,
            "status": mark.value if mark else None,
        },
    )
    db.session.commit()
    if mark is None:
        return download_response(body, packaging.file_name(cert, extension), mimetype)
    if extension == "pdf":
        body = packaging.marked_pdf(cert, mark)
    # The signed credential stays byte for byte as issued (its proof covers every byte); its name says the status.
    return download_response(body, packaging.file_name(cert, extension, mark), mimetype)


@bp.route("/<code>.pdf")
@login_required
def pdf(code: str):
    return _download(get_certificate_or_404(code), "pdf", "application/pdf")


@bp.route("/<code>/credential.json")
@login_required
def credential(code: str):
    return _download(get_certificate_or_404(code), "json", "application/json")


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
    team_id = database_id(request.args.get("team"))
    if team_id is None:
        return scope
    if scope is not None and team_id not in scope:
        abort(404)
    return teams.descendant_ids_of(team_id) & scope if scope is not None else teams.descendant_ids_of(team_id)


@bp.route("/team")
@login_required
def team():
    scope = manager_scope(current_user)
    selected = database_id(request.args.get("team"))
    page = listing.page_of_teams(_selected_team_ids(scope), bounded_int(request.args.get("page"), 1))
    return render_template(
        "certificates/team.html",
        certificates=page,
        teams=teams.filter_choices(scope, selected),
        selected_team=selected,
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
    certificates = [c for c in listing.of_teams(_selected_team_ids(scope), with_pdf=True) if not pending(c)]
    if not certificates:
        flash(_("There are no certificates to download for this selection."), "info")
        return redirect(url_for("certificates.team", **request.args))
    # Packed before the commit, which expires the loaded rows: afterwards each would be read again, twice.
    body = packaging.zip_of(certificates, include_withdrawn=can_download_withdrawn_files(current_user))
    audit.record(
        "certificate.zip_downloaded",
        actor=current_user,
        details={"team_id": database_id(request.args.get("team")), "certificates": len(certificates)},
    )
    db.session.commit()  # with the files made for the ZIP of certificates that had none
    return download_response(body, "team-certificates.zip", "application/zip")
