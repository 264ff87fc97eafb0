"""Course content administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as WTForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..enums import QuestionKind, ReviewLevel
from ..services.content.schema import MAX_CHOICES
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
    # The version and fingerprint the text was opened from ("3:ab12..."): the preview says if it is no longer current.
    base = HiddenField(validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Preview"))


class PublishForm(Form):
    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Publish"))


class VisibilityForm(Form):
    published = HiddenField(validators=[AnyOf(["yes", "no"])])
    submit = SubmitField(_l("Save"))


# --- The structured editor ----------------------------------------------------------------------------------------
# Input shape only: every value goes into the course file and through the same checks as a YAML edit.

LINES_HINT = _l("One per line.")


def _choices_of(enum) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum]


class CourseSettingsForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=400)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=2000)], render_kw={"rows": 4})
    audience = StringField(_l("Audience"), validators=[Length(max=400)])
    facts_checked = DateField(_l("Facts checked on"), validators=[Optional()])
    certificate_valid_months = IntegerField(_l("Certificate valid for (months)"), validators=[Optional()])
    language = SelectField(_l("Language of the course"))
    submit = SubmitField(_l("Save to draft"))


class ModuleForm(Form):
    slug = StringField(_l("Slug"), validators=[Length(max=200)])
    title = StringField(_l("Title"), validators=[Length(max=400)])
    submit = SubmitField(_l("Save to draft"))


class NewModuleForm(ModuleForm):
    pass_mark = IntegerField(_l("Pass mark (%)"), default=80, validators=[Optional()])
    questions_per_attempt = IntegerField(_l("Questions per attempt"), default=1, validators=[Optional()])
    submit = SubmitField(_l("Add module"))


class QuizForm(Form):
    pass_mark = IntegerField(_l("Pass mark (%)"), validators=[Optional()])
    questions_per_attempt = IntegerField(_l("Questions per attempt"), validators=[Optional()])
    max_attempts = IntegerField(_l("Attempts allowed (empty: unlimited)"), validators=[Optional()])
    cooldown_minutes = IntegerField(_l("Wait after failed attempts (minutes)"), validators=[Optional()])
    cooldown_after_failures = IntegerField(_l("Failed attempts before the wait"), validators=[Optional()])
    review_after_fail = SelectField(_l("Review after a failed attempt"))
    review_after_pass = SelectField(_l("Review after a passed attempt"))
    submit = SubmitField(_l("Save to draft"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.review_after_fail.choices = self.review_after_pass.choices = _choices_of(ReviewLevel)


class SourceForm(WTForm):
    citation = StringField(_l("Citation"), validators=[Length(max=2000)])
    url = StringField(_l("Link (optional)"), validators=[Length(max=2000)])


class LessonForm(Form):
    slug = StringField(_l("Slug"), validators=[Length(max=200)])
    title = StringField(_l("Title"), validators=[Length(max=400)])
    objectives = TextAreaField(_l("Objectives"), validators=[Length(max=10_000)], render_kw={"rows": 4})
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Length(max=200_000)],
        render_kw={"rows": 24, "class": "content-yaml", "spellcheck": "true"},
    )
    key_points = TextAreaField(_l("Key points"), validators=[Length(max=10_000)], render_kw={"rows": 4})
    sources = FieldList(FormField(SourceForm), min_entries=1, max_entries=40)
    preview = SubmitField(_l("Show the text as learners see it"))
    submit = SubmitField(_l("Save to draft"))


class ChoiceForm(WTForm):
    text = StringField(_l("Choice"), validators=[Length(max=1000)])
    correct = BooleanField(_l("Correct"))


class QuestionForm(Form):
    key = StringField(_l("Id"), validators=[Length(max=200)])
    kind = SelectField(_l("Type"))
    scenario = BooleanField(_l("A workplace scenario that asks for a decision"))
    prompt = TextAreaField(_l("Prompt"), validators=[Length(max=2000)], render_kw={"rows": 3})
    choices = FieldList(FormField(ChoiceForm), min_entries=MAX_CHOICES, max_entries=MAX_CHOICES)
    answer = RadioField(
        _l("Answer (true or false questions)"),
        choices=[SelectChoice("true", _l("True")), SelectChoice("false", _l("False"))],
    )
    explanation = TextAreaField(_l("Explanation"), validators=[Length(max=6000)], render_kw={"rows": 4})
    submit = SubmitField(_l("Save to draft"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices_of(QuestionKind)
        self.answer.validators = [Optional()]


class ItemForm(Form):
    """Which module, lesson or question a move or a removal is about."""

    kind = HiddenField(validators=[AnyOf(["module", "lesson", "question"])])
    module = HiddenField(validators=[Optional(), Length(max=200)])
    key = HiddenField(validators=[DataRequired(), Length(max=200)])
    direction = HiddenField(validators=[Optional(), AnyOf(["up", "down"])])


class DraftTextForm(Form):
    text = TextAreaField(
        _l("Course YAML"),
        validators=[Length(max=MAX_COURSE_TEXT)],
        render_kw={"class": "content-yaml", "rows": 30, "spellcheck": "false", "autocapitalize": "off"},
    )
    submit = SubmitField(_l("Save to draft"))
