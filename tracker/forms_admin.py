"""WTForms of the team and content administration pages: the shape of input only; the rules live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

# Large enough for any real course file (the seed courses are under 100 kB), small enough to refuse accidents.
MAX_COURSE_TEXT = 400_000


def optional_id(value: object) -> int | None:
    """'' (the "none" option) becomes None; anything else must be a whole number."""
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[arg-type]  # a ValueError becomes a field error


class TeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    # The service checks the chosen ids (existence, cycles, roles) and explains a refusal in words,
    # so the select does not reject values outside its options with a bare "Not a valid choice".
    parent_id = SelectField("Part of", coerce=optional_id, validate_choice=False)
    manager_id = SelectField("Manager", coerce=optional_id, validate_choice=False)
    submit = SubmitField("Save team")


class CourseSourceForm(FlaskForm):
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


class PublishForm(FlaskForm):
    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Publish")


class VisibilityForm(FlaskForm):
    published = HiddenField(validators=[AnyOf(["yes", "no"])])
    submit = SubmitField("Save")
