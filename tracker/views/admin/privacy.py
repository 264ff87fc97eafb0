"""Privacy settings agreed with the works council."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import role_required
from ...enums import Role
from ...extensions import db
from ...forms.programme import PrivacyForm
from ...services import FieldError
from ...services.programme import privacy

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _render(form: PrivacyForm, status: int = 200):
    return render_template(
        "admin/privacy/edit.html", form=form, settings=privacy.settings(), pending=privacy.pending_retention()
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def edit():
    current = privacy.settings()
    form = PrivacyForm(
        formdata=None,
        data={
            "manager_visibility": current.manager_visibility.value,
            "aggregate_min_people": current.aggregate_min_people,
            "pseudonymise_exports": current.pseudonymise_exports,
            "attempt_retention_months": current.attempt_retention_months,
        },
    )
    return _render(form)


@bp.route("/", methods=["POST"])
@role_required(Role.ADMIN)
def update():
    form = PrivacyForm()
    if form.validate_on_submit():
        try:
            changes = privacy.save(current_user, form.to_settings())
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(_("Privacy settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.privacy.edit"))
    return _render(form, status=400)
