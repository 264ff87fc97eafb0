"""Certificates for their holders and their managers: list, download (PDF, Open Badges JSON), ZIP, reissue request."""

from __future__ import annotations

import io
import re
import zipfile

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from ..authz import get_certificate_or_404
from ..extensions import db
from ..forms import ReissueRequestForm
from ..models import Certificate, Role, Team, User
from ..services import DomainError, certification, teams

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


def _file_name(cert: Certificate, extension: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", cert.learner_name).strip("-") or "learner"
    return f"certificate-{cert.code}-{name}.{extension}"


def _team_certificates(team_ids: set[int], *, with_pdf: bool = False) -> list[Certificate]:
    if not team_ids:
        return []
    query = (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(User.team_id.in_(team_ids), Certificate.superseded_at.is_(None))
        .options(joinedload(Certificate.user).joinedload(User.team))
        .order_by(User.display_name, Certificate.issued_at.desc())
    )
    if with_pdf:
        query = query.options(undefer(Certificate.pdf))
    return list(db.session.scalars(query).unique())


@bp.route("/")
@login_required
def mine():
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == current_user.id, Certificate.superseded_at.is_(None))
        .order_by(Certificate.issued_at.desc())
    ).all()
    return render_template("certificates/mine.html", certificates=certificates, form=ReissueRequestForm(formdata=None))


def _download(cert: Certificate, body: bytes | str | None, mimetype: str, extension: str) -> Response:
    if body is None:  # a certificate still waiting for an admin has no files yet
        abort(404)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{_file_name(cert, extension)}"'},
    )


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
                "Your request is sent. An administrator will reissue the certificate with your current name.", "success"
            )
    return redirect(url_for("certificates.mine"))


def _managed_scope() -> tuple[set[int], list[Team]]:
    if current_user.role == Role.ADMIN:
        all_teams = list(db.session.scalars(select(Team).order_by(Team.name)))
        return {t.id for t in all_teams}, all_teams
    team_ids = teams.managed_team_ids(current_user)
    if not team_ids:
        abort(403)
    return team_ids, list(db.session.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.name)))


def _selected_team_ids(scope: set[int]) -> set[int]:
    team_id = request.args.get("team", type=int)
    if team_id is None:
        return scope
    if team_id not in scope:
        abort(404)
    return {team_id}


@bp.route("/team")
@login_required
def team():
    scope, visible_teams = _managed_scope()
    selected = _selected_team_ids(scope)
    return render_template(
        "certificates/team.html",
        certificates=_team_certificates(selected),
        teams=visible_teams,
        selected_team=request.args.get("team", type=int),
    )


@bp.route("/team.zip")
@login_required
def team_zip():
    scope, _ = _managed_scope()
    certificates = [c for c in _team_certificates(_selected_team_ids(scope), with_pdf=True) if c.pdf]
    if not certificates:
        flash("There are no certificates to download for this selection.", "info")
        return redirect(url_for("certificates.team", **request.args))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for cert in certificates:
            archive.writestr(_file_name(cert, "pdf"), cert.pdf)
    return Response(
        buffer.getvalue(),
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="team-certificates.zip"'},
    )
