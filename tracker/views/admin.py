"""Administration: certificates (revoke, reissue, requests and pending names)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..authz import get_certificate_or_404, role_required
from ..extensions import db
from ..forms import ReissueForm, RevokeForm
from ..models import Certificate, Course, Role, Team, User
from ..services import DomainError, certification

bp = Blueprint("admin", __name__, url_prefix="/admin")

CERTIFICATE_FILTERS = {
    "attention": "Needs attention",
    "all": "All current",
    "revoked": "Revoked",
}


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    counts = {
        "people": db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "teams": db.session.scalar(select(func.count()).select_from(Team)),
        "courses": db.session.scalar(select(func.count()).select_from(Course)),
        "attention": db.session.scalar(
            select(func.count())
            .select_from(Certificate)
            .where(
                Certificate.superseded_at.is_(None),
                Certificate.revoked_at.is_(None),
                or_(Certificate.pending_reason.is_not(None), Certificate.reissue_requested_at.is_not(None)),
            )
        ),
    }
    return render_template("admin/index.html", counts=counts)


@bp.route("/certificates")
@role_required(Role.ADMIN)
def certificates():
    shown = request.args.get("show", "attention")
    if shown not in CERTIFICATE_FILTERS:
        shown = "attention"
    search = request.args.get("q", "").strip()
    query = (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .options(joinedload(Certificate.user))
        .order_by(Certificate.created_at.desc())
    )
    if shown == "attention":
        query = query.where(
            Certificate.superseded_at.is_(None),
            Certificate.revoked_at.is_(None),
            or_(Certificate.pending_reason.is_not(None), Certificate.reissue_requested_at.is_not(None)),
        )
    elif shown == "revoked":
        query = query.where(Certificate.revoked_at.is_not(None))
    else:
        query = query.where(Certificate.superseded_at.is_(None))
    if search:
        like = f"%{search.lower()}%"
        query = query.where(
            or_(User.email.like(like), Certificate.learner_name.ilike(like), Certificate.code == search.upper())
        )
    return render_template(
        "admin/certificates.html",
        certificates=db.session.scalars(query.limit(200)).all(),
        shown=shown,
        filters=CERTIFICATE_FILTERS,
        search=search,
        revoke_form=RevokeForm(formdata=None),
        reissue_form=ReissueForm(formdata=None),
    )


@bp.route("/certificates/<code>")
@role_required(Role.ADMIN)
def certificate(code: str):
    cert = get_certificate_or_404(code)
    return _render_certificate(cert)


def _render_certificate(cert, revoke_form=None, reissue_form=None, status=200):
    return render_template(
        "admin/certificate.html",
        cert=cert,
        revoke_form=revoke_form or RevokeForm(formdata=None),
        reissue_form=reissue_form or ReissueForm(formdata=None),
    ), status


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke(code: str):
    cert = get_certificate_or_404(code)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            certification.revoke(cert, current_user, form.reason.data)
        except DomainError as exc:
            form.reason.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Certificate {cert.code} is revoked.", "success")
            return redirect(url_for("admin.certificate", code=cert.code))
    return _render_certificate(cert, revoke_form=form, status=400)


@bp.route("/certificates/<code>/reissue", methods=["POST"])
@role_required(Role.ADMIN)
def reissue(code: str):
    cert = get_certificate_or_404(code)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            new = certification.reissue(cert, current_user, form.reason.data, form.learner_name.data)
        except DomainError as exc:
            form.learner_name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Reissued as {new.code}; {cert.code} is marked superseded.", "success")
            return redirect(url_for("admin.certificate", code=new.code))
    return _render_certificate(cert, reissue_form=form, status=400)
