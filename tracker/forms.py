"""WTForms: the shape of input only. Business rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign in")


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=120)])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    submit = SubmitField("Save profile")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")]
    )
    submit = SubmitField("Change password")


class ApiTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])
    submit = SubmitField("Create token")


class ConfirmForm(FlaskForm):
    """A POST button with nothing but its CSRF token (mark as read, start quiz, sign out, revoke)."""

    submit = SubmitField("Confirm")


class ReissueRequestForm(FlaskForm):
    note = TextAreaField("What changed (optional)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Request a reissue")


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Revoke certificate")


class ReissueForm(FlaskForm):
    reason = TextAreaField("Reason for reissuing", validators=[DataRequired(), Length(max=1000)])
    learner_name = StringField(
        "Name to print (leave empty for the learner's current name)", validators=[Optional(), Length(max=120)]
    )
    submit = SubmitField("Reissue certificate")


class VerifyCodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    code = StringField("Certificate code", validators=[DataRequired(), Length(max=40)])


class VerifyFileForm(FlaskForm):
    file = FileField("Certificate PDF", validators=[FileRequired(), FileAllowed(["pdf"], "Upload a PDF file.")])
    submit = SubmitField("Check the file")


class AssignmentForm(FlaskForm):
    item = SelectField("Course or learning path", validators=[DataRequired(message="Choose a course or a path.")])
    target_type = SelectField("Assign to", validators=[DataRequired()])
    team = SelectField("Team", validators=[Optional()])
    person_email = EmailField("Person's email", validators=[Optional(), Length(max=254)])
    job_role = StringField("Job role", validators=[Optional(), Length(max=120)])
    due_on = DateField("Due date", validators=[DataRequired(message="Enter a due date.")])
    submit = SubmitField("Assign")
