"""Course content administration."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    HiddenField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from . import Form

# Large enough for any real course file (the seed courses are under 100 kB), small enough to refuse accidents.
MAX_COURSE_TEXT = 400_000


class CourseSourceForm(Form):
    file = FileField(
        "Course file",
        validators=[Optional(), FileAllowed(["yaml", "yml"], "Upload a .yaml or .yml file.")],
    )
    text = TextAreaField(
        "Course YAML",
        validators=[Optional(), Length(max=MAX_COURSE_TEXT)],
        render_kw={"class": "content-yaml", "rows": 30, "spellcheck": "false", "autocapitalize": "off"},
    )
    source = HiddenField(validators=[Optional(), Length(max=120)])  # the file name shown in problem messages
    submit = SubmitField("Preview")


class PublishForm(Form):
    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Publish")


class VisibilityForm(Form):
    published = HiddenField(validators=[AnyOf(["yes", "no"])])
    submit = SubmitField("Save")
