"""Course content administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
        _l("Course file"),
        validators=[Optional(), FileAllowed(["yaml", "yml"], _l("Upload a .yaml or .yml file."))],
    )
    text = TextAreaField(
        _l("Course YAML"),
        validators=[Optional(), Length(max=MAX_COURSE_TEXT)],
        render_kw={"class": "content-yaml", "rows": 30, "spellcheck": "false", "autocapitalize": "off"},
    )
    source = HiddenField(validators=[Optional(), Length(max=120)])  # the file name shown in problem messages
    submit = SubmitField(_l("Preview"))


class PublishForm(Form):
    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Publish"))


class VisibilityForm(Form):
    published = HiddenField(validators=[AnyOf(["yes", "no"])])
    submit = SubmitField(_l("Save"))
