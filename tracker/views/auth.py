"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import sign_in_limits
from ..extensions import db
from ..forms import ConfirmForm
from ..forms.account import LoginForm
from ..i18n import SESSION_KEY, current_language
from ..login import current_session, sign_in, sign_out
from ..services import accounts, audit, sessions
from . import is_safe_next

bp = Blueprint("auth", __name__)


def _wait_message(seconds: int) -> str:
    if seconds < 120:
        return ngettext(
            "Too many failed sign-ins. Wait %(num)d second before you try again.",
            "Too many failed sign-ins. Wait %(num)d seconds before you try again.",
            seconds,
        )
    return ngettext(
        "Too many failed sign-ins. Wait %(num)d minute before you try again.",
        "Too many failed sign-ins. Wait %(num)d minutes before you try again.",
        -(-seconds // 60),
    )


def _after_sign_in(user, next_url: str | None) -> str:
    if user.must_change_password:
        return url_for("account.choose_password")
    return next_url if is_safe_next(next_url) else url_for("learner.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = LoginForm()
    next_url = request.args.get("next")
    if not form.validate_on_submit():  # the form, or an incomplete one: nothing is counted
        return render_template("auth/login.html", form=form)
    email = accounts.normalise_email(form.email.data)
    limits = sign_in_limits.for_app()
    attempt = limits.begin(email, request.remote_addr or "")
    if isinstance(attempt, sign_in_limits.Refusal):
        # Refused before any password is checked, and not counted.
        form.password.errors.append(_wait_message(attempt.retry_after))
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(attempt.retry_after)}
    try:
        user = accounts.authenticate(email, form.password.data)
    except accounts.WrongCredentials as exc:
        limits.failed(attempt)
        # The typed email only: never the password, and no hint whether the account exists.
        audit.record("auth.sign_in_failed", actor_email=email)
        db.session.commit()
        form.password.errors.append(str(exc))
        return render_template("auth/login.html", form=form), 200
    except accounts.SignInRefused as exc:  # the right password, for an account that cannot sign in now
        limits.ended(attempt)
        audit.record("auth.sign_in_failed", actor_email=email, details={"reason": exc.reason})
        db.session.commit()
        form.password.errors.append(str(exc))
        return render_template("auth/login.html", form=form), 200
    except BaseException:  # a failure of ours (the database is down...) is not the person's
        limits.ended(attempt)
        raise
    limits.succeeded(attempt)
    new_session = sign_in(user)
    audit.record(
        "auth.signed_in", actor=user, target_type="user", target_id=user.id, details={"session_id": new_session.id}
    )
    db.session.commit()
    return redirect(_after_sign_in(user, next_url))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        running = current_session()
        if running is not None:
            sessions.end(running, actor=current_user, reason="signed_out")
        db.session.commit()
        message = _("You are signed out.")  # in the person's language, before they become anonymous
        language = current_language()
        sign_out()
        session[SESSION_KEY] = language  # the sign-in page that follows stays in it
        flash(message, "info")
    return redirect(url_for("auth.login"))
