"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import sign_in_limits
from ..extensions import db
from ..forms import ConfirmForm
from ..forms.account import LoginForm
from ..i18n import SESSION_KEY, current_language
from ..login import current_session, sign_in, sign_out
from ..models import User
from ..services import accounts, audit, sessions
from ..services.identity import sso, two_factor
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


def start_session(user: User, method: str, second_factor: str | None = None):
    """Every way of signing in ends here once the person is known (and has passed the second factor): a new
    session in a fresh cookie, recorded. The caller commits."""
    new_session = sign_in(user)
    details = {"session_id": new_session.id, "method": method}
    if second_factor:
        details["second_factor"] = second_factor
    audit.record("auth.signed_in", actor=user, target_type="user", target_id=user.id, details=details)
    return new_session


def finish_sign_in(user: User, next_url: str | None, method: str, second_factor: str | None = None):
    start_session(user, method, second_factor)
    db.session.commit()
    return redirect(_after_sign_in(user, next_url))


def render_login(form=None, status: int = 200, sso_error: str | None = None, headers=None):
    config = current_app.config
    page = render_template(
        "auth/login.html",
        form=form or LoginForm(formdata=None),
        sso_enabled=sso.configured(config),
        sso_provider_name=config["OIDC_PROVIDER_NAME"] or config["ORGANISATION_NAME"],
        passwords_for_everyone=bool(config["PASSWORD_SIGN_IN"]),
        sso_error=sso_error,
        next_url=request.args.get("next") if is_safe_next(request.args.get("next")) else None,
    )
    return page, status, headers or {}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = LoginForm()
    next_url = request.args.get("next")
    if not form.validate_on_submit():  # the form, or an incomplete one: nothing is counted
        return render_login(form)
    email = accounts.normalise_email(form.email.data)
    if not sso.password_sign_in_allowed(email, current_app.config):
        # Checked before any password, and the same answer whether the account exists or not.
        form.password.errors.append(
            _(
                "Sign in with %(provider)s: passwords are not used here.",
                provider=current_app.config["OIDC_PROVIDER_NAME"] or current_app.config["ORGANISATION_NAME"],
            )
        )
        return render_login(form)
    limits = sign_in_limits.for_app()
    attempt = limits.begin(email, request.remote_addr or "")
    if isinstance(attempt, sign_in_limits.Refusal):
        # Refused before any password is checked, and not counted.
        form.password.errors.append(_wait_message(attempt.retry_after))
        return render_login(form, 429, headers={"Retry-After": str(attempt.retry_after)})
    try:
        user = accounts.authenticate(email, form.password.data)
    except accounts.WrongCredentials as exc:
        limits.failed(attempt)
        # The typed email only: never the password, and no hint whether the account exists.
        audit.record("auth.sign_in_failed", actor_email=email)
        db.session.commit()
        form.password.errors.append(str(exc))
        return render_login(form)
    except accounts.SignInRefused as exc:  # the right password, for an account that cannot sign in now
        limits.ended(attempt)
        audit.record("auth.sign_in_failed", actor_email=email, details={"reason": exc.reason})
        db.session.commit()
        form.password.errors.append(str(exc))
        return render_login(form)
    except BaseException:  # a failure of ours (the database is down...) is not the person's
        limits.ended(attempt)
        raise
    limits.succeeded(attempt)
    if two_factor.asked_at_password_sign_in(user):
        from .two_factor import REMEMBER_COOKIE, await_second_factor

        if two_factor.is_remembered(user, request.cookies.get(REMEMBER_COOKIE)):
            return finish_sign_in(user, next_url, "password", second_factor="remembered_browser")
        # Half signed in: the password was right, no session yet. Nothing is committed until the second factor.
        return await_second_factor(user, next_url)
    return finish_sign_in(user, next_url, "password")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.login"))
    running = current_session()
    id_token = sso.id_token_of(running)  # read before the session (and what goes with it) ends
    if running is not None:
        sessions.end(running, actor=current_user, reason="signed_out")
    db.session.commit()
    message = _("You are signed out.")  # in the person's language, before they become anonymous
    language = current_language()
    sign_out()
    session[SESSION_KEY] = language  # the sign-in page that follows stays in it
    flash(message, "info")
    if id_token is not None:
        from .sso import provider_logout

        # Signed in through the organisation's provider: sign out there too, where it offers that.
        leaving = provider_logout(id_token)
        if leaving is not None:
            return leaving
    return redirect(url_for("auth.login"))
