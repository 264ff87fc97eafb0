"""Forgotten passwords and invitations: ask for a link by email, then choose a password through it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..extensions import db, limiter
from ..forms.password_links import ForgotPasswordForm, LinkPasswordForm
from ..services import DomainError, invitations

bp = Blueprint("password_links", __name__, url_prefix="/password")


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("password_links/forgot.html", form=form), 400 if form.is_submitted() else 200
    invitations.request_reset(form.email.data)
    db.session.commit()
    # The same answer whether or not the address has an account.
    flash(
        _("If an account uses that address, a link to choose a new password is on its way. Check your email."),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/choose/<token>", methods=["GET", "POST"])
def choose(token: str):
    try:
        person, purpose = invitations.read_token(token)
    except invitations.LinkInvalid as exc:
        return render_template("password_links/invalid.html", reason=str(exc)), 410
    form = LinkPasswordForm()
    if form.validate_on_submit():
        try:
            invitations.set_password(token, form.new_password.data)
        except DomainError as exc:
            form.new_password.errors = [*form.new_password.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("password_links/choose.html", form=form, person=person, purpose=purpose), status
