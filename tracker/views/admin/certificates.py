"""Certificate administration: revoke, reissue, learners' requests and names waiting for a printable spelling."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import get_certificate_or_404, role_required
from ...enums import Role
from ...extensions import db
from ...forms.certificates import DecisionForm, ReissueForm, RevokeForm
from ...services import DomainError, FieldError, certification
from ...services.certification import listing
from ...services.organisation import names

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


@bp.route("")  # /admin/certificates, as before the admin pages became one package
@role_required(Role.ADMIN)
def index():
    shown = request.args.get("show", listing.AdminView.ATTENTION)
    view = listing.AdminView(shown) if shown in set(listing.AdminView) else listing.AdminView.ATTENTION
    search = request.args.get("q", "").strip()
    return render_template(
        "admin/certificates/index.html",
        certificates=listing.admin_list(view, search),
        shown=view,
        filters={v.value: v.label for v in listing.AdminView},
        search=search,
        name_requests=names.pending_requests() if view == listing.AdminView.ATTENTION else [],
        decision_form=DecisionForm(formdata=None),
    )


@bp.route("/<code>")
@role_required(Role.ADMIN)
def show(code: str):
    cert = get_certificate_or_404(code)
    return render_template("admin/certificates/show.html", cert=cert)


# Revoking and reissuing each have a confirmation page (GET) that says what will happen and holds the form; the
# POST acts only when it comes from that page (`confirmed`), otherwise it shows the page again.


def _confirm_page(template: str, cert, form, status: int = 200, refusal: str | None = None):
    return render_template(template, cert=cert, form=form, refusal=refusal), status


@bp.route("/<code>/revoke", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def revoke(code: str):
    cert = get_certificate_or_404(code)
    if request.method == "GET":
        return _confirm_page("admin/certificates/revoke.html", cert, RevokeForm(formdata=None))
    form = RevokeForm()
    if not form.validate_on_submit():
        return _confirm_page("admin/certificates/revoke.html", cert, form, 400)
    if not form.is_confirmed:
        return _confirm_page("admin/certificates/revoke.html", cert, form)
    try:
        certification.revoke(cert, current_user, form.reason.data, form.public_reason.data or "")
    except FieldError as exc:
        form.error_on(exc.field, str(exc))
        return _confirm_page("admin/certificates/revoke.html", cert, form, 400)
    except DomainError as exc:
        # About the certificate, not the input: revoked or superseded meanwhile (another admin was quicker). The page
        # says why in place of the form, which no longer applies.
        return _confirm_page("admin/certificates/revoke.html", cert, form, 400, refusal=str(exc))
    db.session.commit()
    flash(_("Certificate %(code)s is revoked.", code=cert.code), "success")
    return redirect(url_for("admin.certificates.show", code=cert.code))


@bp.route("/<code>/reissue", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def reissue(code: str):
    cert = get_certificate_or_404(code)
    if request.method == "GET":
        return _confirm_page("admin/certificates/reissue.html", cert, ReissueForm(formdata=None))
    form = ReissueForm()
    if not form.validate_on_submit():
        return _confirm_page("admin/certificates/reissue.html", cert, form, 400)
    if not form.is_confirmed:
        return _confirm_page("admin/certificates/reissue.html", cert, form)
    try:
        new = certification.reissue(cert, current_user, form.reason.data, form.learner_name.data)
    except FieldError as exc:
        form.error_on(exc.field, str(exc))
        return _confirm_page("admin/certificates/reissue.html", cert, form, 400)
    except DomainError as exc:  # as for revoking: the certificate changed meanwhile
        return _confirm_page("admin/certificates/reissue.html", cert, form, 400, refusal=str(exc))
    db.session.commit()
    flash(_("Reissued as %(code)s; %(code2)s is marked superseded.", code=new.code, code2=cert.code), "success")
    return redirect(url_for("admin.certificates.show", code=new.code))
