"""Certificates: reissue requests, revocation, reissue and public verification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from . import Confirmation, Form


class ReissueRequestForm(Form):
    note = TextAreaField(_l("What changed (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Request a reissue"))


class RevokeForm(Confirmation, Form):
    reason = TextAreaField(_l("Reason for revoking (internal)"), validators=[DataRequired(), Length(max=1000)])
    public_reason = TextAreaField(_l("Reason shown publicly (optional)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Revoke certificate"))


class ReissueForm(Confirmation, Form):
    reason = TextAreaField(_l("Reason for reissuing"), validators=[DataRequired(), Length(max=1000)])
    learner_name = StringField(
        _l("Name to print (leave empty for the learner's current name)"), validators=[Optional(), Length(max=120)]
    )
    submit = SubmitField(_l("Reissue certificate"))


class VerifyCodeForm(Form):
    class Meta:
        csrf = False  # a GET search form

    code = StringField(_l("Certificate code"), validators=[DataRequired(), Length(max=40)])


class VerifyFileForm(Form):
    file = FileField(_l("Certificate PDF"), validators=[FileRequired(), FileAllowed(["pdf"], _l("Upload a PDF file."))])
    submit = SubmitField(_l("Check the file"))


class DecisionForm(Form):
    note = TextAreaField(_l("Note to the person (optional)"), validators=[Optional(), Length(max=500)])
