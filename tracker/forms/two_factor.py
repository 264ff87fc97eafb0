"""The second factor's code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from . import Form


class CodeForm(Form):
    code = StringField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=32)])
    submit = SubmitField(_l("Confirm"))


class SecondFactorForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    remember = BooleanField(_l("Do not ask again on this browser"))
    submit = SubmitField(_l("Sign in"))
