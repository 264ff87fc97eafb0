"""Certificates: reissue requests, revocation, reissue and public verification."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from . import Form


class ReissueRequestForm(Form):
    note = TextAreaField("What changed (optional)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Request a reissue")


class RevokeForm(Form):
    reason = TextAreaField("Reason for revoking", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Revoke certificate")


class ReissueForm(Form):
    reason = TextAreaField("Reason for reissuing", validators=[DataRequired(), Length(max=1000)])
    learner_name = StringField(
        "Name to print (leave empty for the learner's current name)", validators=[Optional(), Length(max=120)]
    )
    submit = SubmitField("Reissue certificate")


class VerifyCodeForm(Form):
    class Meta:
        csrf = False  # a GET search form

    code = StringField("Certificate code", validators=[DataRequired(), Length(max=40)])


class VerifyFileForm(Form):
    file = FileField("Certificate PDF", validators=[FileRequired(), FileAllowed(["pdf"], "Upload a PDF file.")])
    submit = SubmitField("Check the file")
