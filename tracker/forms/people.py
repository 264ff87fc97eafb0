"""WTForms for people administration: the shape of input only; the rules live in services/people*.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..inputs import database_id
from ..models import Role
from . import Form

ROLE_CHOICES = [
    SelectChoice(Role.LEARNER.value, _l("Learner")),
    SelectChoice(Role.MANAGER.value, _l("Manager")),
    SelectChoice(Role.ADMIN.value, _l("Admin")),
]
PASSWORD_CHOICES = [
    SelectChoice("invite", _l("Email an invitation to choose a password (a link that works once)")),
    SelectChoice("generate", _l("Generate a one-time password (shown once; they choose their own at first sign-in)")),
    SelectChoice("set", _l("Set an initial password")),
]


def team_id(value: str | None) -> int | None:
    return database_id(value) if value else None


class PeopleFilterForm(Form):
    """The list's search and filters: a GET form, read from the query string."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or email"), validators=[Optional(), Length(max=254)])
    team = SelectField(_l("Team"), validators=[Optional()])
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Any role")), *ROLE_CHOICES], validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Active and deactivated")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
        ],
        validators=[Optional()],
    )


class _PersonFields(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.LEARNER.value)
    team = SelectField(_l("Team"), validators=[Optional()])
    job_role = StringField(_l("Job role (optional)"), validators=[Optional(), Length(max=120)])
    language = SelectField(_l("Language"), validators=[Optional()], validate_choice=False)


class PersonCreateForm(_PersonFields):
    password_choice = RadioField(_l("Password"), choices=PASSWORD_CHOICES, default="generate")
    password = PasswordField(_l("Initial password"), validators=[Length(max=1024)])  # required only with "set"

    def validate_password(self, field) -> None:
        if self.password_choice.data == "set" and not field.data:
            raise ValidationError(_l("Enter the initial password, or choose to generate one."))


class PersonEditForm(_PersonFields):
    certificate_name = StringField(_l("Name on certificates"), validators=[Optional(), Length(max=120)])


class ImportUploadForm(Form):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file.")), FileAllowed(["csv"], _l("Upload a .csv file."))],
    )


class ImportConfirmForm(Form):
    payload = HiddenField(validators=[DataRequired(_l("Upload the file again."))])


BULK_ACTIONS = [
    SelectChoice("invite", _l("Send an invitation")),
    SelectChoice("deactivate", _l("Deactivate")),
    SelectChoice("assign", _l("Assign a course")),
]


class BulkPeopleForm(Form):
    """An action on the people ticked in the list."""

    action = SelectField(_l("With the people ticked"), choices=BULK_ACTIONS)
    user_ids = SelectMultipleField(_l("People"), coerce=int, validate_choice=False)
    course = SelectField(_l("Course"), validators=[Optional()], validate_choice=False)
    due_days = IntegerField(
        _l("Due within days of being assigned"),
        default=30,
        validators=[Optional(), NumberRange(min=1, max=3650)],
    )
