"""Asking for a password reset, and choosing a password through an invitation or reset link."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from . import Form


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email address.")), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class LinkPasswordForm(Form):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set my password"))
