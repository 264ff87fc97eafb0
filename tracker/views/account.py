"""The signed-in user's own account: profile, password, sessions and API tokens; and the first password after a
one-time password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..authz import get_own_api_token_or_404, get_own_session_or_404
from ..extensions import db
from ..forms import ConfirmForm, options
from ..forms.account import ApiTokenForm, CertificateNameForm, PasswordChangeForm, ProfileForm
from ..i18n import LANGUAGES
from ..login import current_session, sign_out, timeouts
from ..services import FieldError, accounts, sessions
from ..services.organisation import names

bp = Blueprint("account", __name__, url_prefix="/account")


def _profile_form(**kwargs) -> ProfileForm:
    form = ProfileForm(**kwargs)
    form.timezone.choices = list(accounts.available_timezones())
    form.language.choices = options(LANGUAGES.items(), _("The organisation's language"))
    return form


def _render(profile_form=None, password_form=None, token_form=None, new_token=None, name_form=None, status=200):
    running = current_session()
    return render_template(
        "account/show.html",
        profile_form=profile_form or _profile_form(obj=current_user, data={"language": current_user.locale or ""}),
        password_form=password_form or PasswordChangeForm(formdata=None),
        token_form=token_form or ApiTokenForm(formdata=None),
        tokens=accounts.api_tokens_of(current_user),
        new_token=new_token,
        name_form=name_form or CertificateNameForm(formdata=None),
        name_request=names.pending_request(current_user),
        name_self_service=current_app.config["CERTIFICATE_NAME_SELF_SERVICE"],
        user_sessions=sessions.active_of(current_user, timeouts()),
        this_session_id=running.id if running is not None else None,
    ), status


@bp.route("/certificate-name", methods=["POST"])
@login_required
def request_certificate_name():
    form = CertificateNameForm()
    if form.validate_on_submit():
        self_service = current_app.config["CERTIFICATE_NAME_SELF_SERVICE"]
        try:
            names.request_change(
                current_user, form.requested_name.data, form.note.data or "", self_service=self_service
            )
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            if self_service:
                flash(_("The name on your certificates is changed; your current certificates are reissued."), "success")
            else:
                flash(_("Your request is sent. An administrator will review it."), "success")
            return redirect(url_for("account.show"))
    return _render(name_form=form, status=400)


@bp.route("/")
@login_required
def show():
    return _render()


@bp.route("/profile", methods=["POST"])
@login_required
def update_profile():
    form = _profile_form()
    if form.validate_on_submit():
        try:
            accounts.update_profile(current_user, form.display_name.data, form.timezone.data, form.language.data)
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("account.show"))
    return _render(profile_form=form, status=400)


def _change_password(form: PasswordChangeForm) -> accounts.PasswordChanged | None:
    """Apply a valid form; None (with the errors on the form) when it is refused."""
    if not form.validate_on_submit():
        return None
    running = current_session()
    try:
        changed = accounts.change_password(
            current_user, form.current_password.data, form.new_password.data, running.id if running else None
        )
    except accounts.WrongPassword as exc:
        form.current_password.errors.append(str(exc))
        return None
    except accounts.WeakPassword as exc:
        form.new_password.errors.append(str(exc))
        return None
    db.session.commit()
    return changed


def _changed_message(changed: accounts.PasswordChanged) -> str:
    message = _("Your password is changed. You are signed out on every other device.")
    if changed.tokens_revoked:
        message += " " + ngettext(
            "%(num)d API token was revoked: create a new one for your integration.",
            "Your %(num)d API tokens were revoked: create new ones for your integrations.",
            changed.tokens_revoked,
        )
    return message


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    changed = _change_password(form)
    if changed is None:
        return _render(password_form=form, status=400)
    flash(_changed_message(changed), "success")
    return redirect(url_for("account.show"))


@bp.route("/choose-password", methods=["GET", "POST"])
@login_required
def choose_password():
    """The first page after signing in with a one-time password: choose one's own, then go on learning."""
    if not current_user.must_change_password:
        return redirect(url_for("account.show"))
    form = PasswordChangeForm()
    changed = _change_password(form)
    if changed is not None:
        flash(_("Your password is set. Welcome!"), "success")
        return redirect(url_for("learner.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("account/choose_password.html", form=form), status


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    ended = get_own_session_or_404(session_id)
    if ConfirmForm().validate_on_submit():
        running = current_session()
        this_one = running is not None and running.id == ended.id
        sessions.end(ended, actor=current_user, reason="signed_out" if this_one else "ended_elsewhere")
        db.session.commit()
        if this_one:
            sign_out()
            flash(_("You are signed out."), "info")
            return redirect(url_for("auth.login"))
        flash(_("That session is signed out."), "success")
    return redirect(url_for("account.show") + "#sessions-heading")


@bp.route("/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    running = current_session()
    if ConfirmForm().validate_on_submit() and running is not None:
        count = sessions.end_others(current_user, keep_id=running.id)
        db.session.commit()
        flash(
            ngettext(
                "You are signed out on %(num)d other device.", "You are signed out on %(num)d other devices.", count
            ),
            "success",
        )
    return redirect(url_for("account.show") + "#sessions-heading")


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    form = ApiTokenForm()
    if form.validate_on_submit():
        _token, plain = accounts.create_api_token(current_user, form.name.data)
        db.session.commit()
        # Shown once, on this response only; it is not stored in plain text anywhere.
        return _render(new_token=plain, status=201)
    return _render(token_form=form, status=400)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = get_own_api_token_or_404(token_id)
    if ConfirmForm().validate_on_submit():
        accounts.revoke_api_token(token, actor=current_user)
        db.session.commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("account.show"))
