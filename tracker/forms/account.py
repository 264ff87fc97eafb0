"""Signing in and the account page."""

from __future__ import annotations

from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from . import Form


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign in")


class ProfileForm(Form):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=120)])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    language = SelectField("Language", validators=[Optional()], validate_choice=False)
    submit = SubmitField("Save profile")


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")]
    )
    submit = SubmitField("Change password")


class ApiTokenForm(Form):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])
    submit = SubmitField("Create token")
