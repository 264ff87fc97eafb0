"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..forms.account import LoginForm
from ..i18n import SESSION_KEY, current_language
from ..services import accounts, audit
from . import is_safe_next

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login-account:" + accounts.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed sign-ins count against the limits; a successful one redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key, methods=["POST"], deduct_when=_failed
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            audit.record("auth.signed_in", actor=user, target_type="user", target_id=user.id)
            db.session.commit()
            login_user(user)
            return redirect(next_url if is_safe_next(next_url) else url_for("learner.dashboard"))
        # The typed email only: never the password, and no hint whether the account exists.
        audit.record("auth.sign_in_failed", actor_email=accounts.normalise_email(form.email.data))
        db.session.commit()
        form.password.errors.append(_("The email or password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.end_all_sessions(current_user)
        audit.record("auth.signed_out", actor=current_user, target_type="user", target_id=current_user.id)
        db.session.commit()
        message = _("You are signed out.")  # in the person's language, before they become anonymous
        language = current_language()
        logout_user()
        session[SESSION_KEY] = language  # the sign-in page that follows stays in it
        flash(message, "info")
    return redirect(url_for("auth.login"))
