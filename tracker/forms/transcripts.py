"""Actions on a person's training record: allow another quiz attempt, reopen a course."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from . import Confirmation, Form


class AllowAttemptForm(Confirmation, Form):
    reason = TextAreaField(_l("Reason (optional, kept in the audit log)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Allow another attempt"))


class ReopenCourseForm(Confirmation, Form):
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(max=1000)])
    # The cycle the page was shown for: a second submit of the same page finds it replaced and changes nothing.
    cycle = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Reopen the course"))
