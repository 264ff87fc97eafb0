"""The signed-in user's own account: profile, password and API tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..authz import get_own_api_token_or_404
from ..extensions import db
from ..forms import ConfirmForm
from ..forms.account import ApiTokenForm, CertificateNameForm, PasswordChangeForm, ProfileForm
from ..i18n import LANGUAGES
from ..services import FieldError, accounts
from ..services.organisation import names

bp = Blueprint("account", __name__, url_prefix="/account")


def _profile_form(**kwargs) -> ProfileForm:
    form = ProfileForm(**kwargs)
    form.timezone.choices = list(accounts.available_timezones())
    form.language.choices = [("", _("The organisation's language"))] + list(LANGUAGES.items())
    return form


def _render(profile_form=None, password_form=None, token_form=None, new_token=None, name_form=None, status=200):
    tokens = accounts.api_tokens_of(current_user)
    return render_template(
        "account/show.html",
        profile_form=profile_form or _profile_form(obj=current_user, data={"language": current_user.locale or ""}),
        password_form=password_form or PasswordChangeForm(formdata=None),
        token_form=token_form or ApiTokenForm(formdata=None),
        tokens=list(tokens),
        new_token=new_token,
        name_form=name_form or CertificateNameForm(formdata=None),
        name_request=names.pending_request(current_user),
        name_self_service=current_app.config["CERTIFICATE_NAME_SELF_SERVICE"],
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


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except accounts.WrongPassword as exc:
            form.current_password.errors.append(str(exc))
        except accounts.WeakPassword as exc:
            form.new_password.errors.append(str(exc))
        else:
            db.session.commit()
            # Other sessions ended with the token change; this one continues under the new token.
            login_user(current_user._get_current_object())  # the user, not the proxy (which would recurse)
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("account.show"))
    return _render(password_form=form, status=400)


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
        accounts.revoke_api_token(token)
        db.session.commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("account.show"))
