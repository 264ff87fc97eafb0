"""The second factor: asked between the password and the session (a half-signed-in state kept in the signed
cookie, which is not a session: nothing is reachable with it), set up at sign-in when the organisation requires
it, and managed on the person's account page. Wrong codes are throttled like wrong passwords."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import sign_in_limits
from ..extensions import db
from ..forms import ConfirmForm
from ..forms.two_factor import CodeForm, SecondFactorForm
from ..models import User, utcnow
from ..services import DomainError, audit
from ..services.identity import two_factor
from .auth import _after_sign_in, finish_sign_in, start_session

bp = Blueprint("two_factor", __name__)

PENDING_KEY = "_half_signed_in"
PENDING_SECONDS = 600  # time to open the authenticator app and type a code
REMEMBER_COOKIE = "tracker_2fa_remembered"


# --- the half-signed-in state --------------------------------------------------------------------------------


def await_second_factor(user: User, next_url: str | None):
    """After the right password: remember who (and their session token, so a password reset or deactivation in
    between ends it), then ask for the code, or for setting up the app when the role requires it."""
    session[PENDING_KEY] = {"user": user.id, "token": user.session_token, "at": int(time.time()), "next": next_url}
    if two_factor.is_enrolled(user):
        return redirect(url_for("two_factor.challenge"))
    return redirect(url_for("two_factor.setup_at_sign_in"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_token != pending.get("token"):
        session.pop(PENDING_KEY, None)
        return None
    return user


def _start_again():
    flash(_("Sign in again to continue."), "info")
    return redirect(url_for("auth.login"))


def _wait_message(seconds: int) -> str:
    if seconds < 120:
        return ngettext(
            "Too many wrong codes. Wait %(num)d second before you try again.",
            "Too many wrong codes. Wait %(num)d seconds before you try again.",
            seconds,
        )
    return ngettext(
        "Too many wrong codes. Wait %(num)d minute before you try again.",
        "Too many wrong codes. Wait %(num)d minutes before you try again.",
        -(-seconds // 60),
    )


def _limits_key(user: User) -> str:
    # Per account only, wherever the guesses come from: whoever is here already knows the password.
    return f"second-factor:{user.id}"


@bp.route("/login/two-factor", methods=["GET", "POST"])
def challenge():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("two_factor.setup_at_sign_in"))
    form = SecondFactorForm()
    remember_days = two_factor.remember_days()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("two_factor/challenge.html", form=form, remember_days=remember_days), status
    limits = sign_in_limits.for_app()
    key = _limits_key(user)
    attempt = limits.begin(key, key)
    if isinstance(attempt, sign_in_limits.Refusal):
        form.code.errors.append(_wait_message(attempt.retry_after))
        page = render_template("two_factor/challenge.html", form=form, remember_days=remember_days)
        return page, 429, {"Retry-After": str(attempt.retry_after)}
    try:
        kind = two_factor.verify(user, form.code.data)
    except two_factor.WrongCode as exc:
        limits.failed(attempt)
        audit.record(
            "auth.second_factor_failed",
            actor=user,
            target_type="user",
            target_id=user.id,
            details={"reason": "code_reused" if isinstance(exc, two_factor.CodeAlreadyUsed) else "wrong_code"},
        )
        db.session.commit()
        form.code.errors.append(str(exc))
        return render_template("two_factor/challenge.html", form=form, remember_days=remember_days), 400
    except BaseException:
        limits.ended(attempt)
        raise
    limits.succeeded(attempt)
    next_url = session.get(PENDING_KEY, {}).get("next")
    remembered = two_factor.remember_token(user) if form.remember.data else None
    user.last_login_at = utcnow()
    response = finish_sign_in(user, next_url, "password", second_factor=kind)
    if remembered:
        _set_remembered(response, remembered)
    if kind == "recovery_code":
        left = two_factor.recovery_codes_left(user)
        flash(
            _("You used a recovery code; %(num)d left. Make new ones on your account page.", num=left),
            "warning" if left < 3 else "info",
        )
    return response


def _set_remembered(response, token: str) -> None:
    response.set_cookie(
        REMEMBER_COOKIE,
        token,
        max_age=int(two_factor.remember_days() * 86400),
        httponly=True,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        samesite="Lax",
        path="/login",
    )


@bp.route("/login/two-factor/setup", methods=["GET", "POST"])
def setup_at_sign_in():
    """The organisation requires a second factor and this person has none yet: set it up before the session."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if two_factor.is_enrolled(user):
        return redirect(url_for("two_factor.challenge"))
    form = CodeForm()
    if not form.validate_on_submit():
        enrolment = two_factor.pending_enrolment(user) if form.is_submitted() else None
        if enrolment is None:
            enrolment = two_factor.begin_enrolment(user)
            db.session.commit()
        status = 400 if form.is_submitted() else 200
        return render_template("two_factor/setup.html", form=form, enrolment=enrolment, at_sign_in=True), status
    try:
        codes = two_factor.confirm_enrolment(user, form.code.data)
    except DomainError as exc:
        db.session.rollback()
        form.code.errors.append(str(exc))
        enrolment = two_factor.pending_enrolment(user) or two_factor.begin_enrolment(user)
        db.session.commit()
        return render_template("two_factor/setup.html", form=form, enrolment=enrolment, at_sign_in=True), 400
    next_url = session.get(PENDING_KEY, {}).get("next")
    user.last_login_at = utcnow()
    start_session(user, "password", second_factor="totp_enrolled")
    db.session.commit()
    return render_template("two_factor/recovery_codes.html", codes=codes, continue_url=_after_sign_in(user, next_url))


# --- the person's own second factor --------------------------------------------------------------------------


def _render_manage(enrolment=None, form=None, codes=None, error: str | None = None, status: int = 200):
    return render_template(
        "two_factor/manage.html",
        enrolled=two_factor.is_enrolled(current_user),
        required=two_factor.required_for(current_user),
        codes_left=two_factor.recovery_codes_left(current_user),
        enrolment=enrolment,
        form=form or CodeForm(formdata=None),
        codes=codes,
        error=error,
    ), status


@bp.route("/account/two-factor")
@login_required
def manage():
    return _render_manage(enrolment=two_factor.pending_enrolment(current_user))


@bp.route("/account/two-factor/setup", methods=["POST"])
@login_required
def begin_setup():
    if not ConfirmForm().validate_on_submit():
        return _render_manage(error=_("The form had expired; try again."), status=400)
    try:
        enrolment = two_factor.begin_enrolment(current_user)
    except DomainError as exc:
        return _render_manage(error=str(exc), status=400)
    db.session.commit()
    return _render_manage(enrolment=enrolment)


@bp.route("/account/two-factor/confirm", methods=["POST"])
@login_required
def confirm_setup():
    form = CodeForm()
    if not form.validate_on_submit():
        return _render_manage(enrolment=two_factor.pending_enrolment(current_user), form=form, status=400)
    try:
        codes = two_factor.confirm_enrolment(current_user, form.code.data)
    except DomainError as exc:
        db.session.rollback()
        form.code.errors.append(str(exc))
        return _render_manage(enrolment=two_factor.pending_enrolment(current_user), form=form, status=400)
    db.session.commit()
    flash(_("Two-factor sign-in is on."), "success")
    return _render_manage(codes=codes)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes():
    if not ConfirmForm().validate_on_submit():
        return _render_manage(error=_("The form had expired; try again."), status=400)
    try:
        codes = two_factor.regenerate_recovery_codes(current_user)
    except DomainError as exc:
        return _render_manage(error=str(exc), status=400)
    db.session.commit()
    return _render_manage(codes=codes)


@bp.route("/account/two-factor/disable", methods=["POST"])
@login_required
def disable():
    if not ConfirmForm().validate_on_submit():
        return _render_manage(error=_("The form had expired; try again."), status=400)
    try:
        two_factor.disable(current_user)
    except DomainError as exc:
        return _render_manage(error=str(exc), status=400)
    db.session.commit()
    flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("two_factor.manage"))
