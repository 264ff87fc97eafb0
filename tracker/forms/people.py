"""WTForms for people administration: the shape of input only; the rules live in services/people*.py."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, HiddenField, PasswordField, RadioField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models import Role
from . import Form

ROLE_CHOICES = [
    SelectChoice(Role.LEARNER.value, "Learner"),
    SelectChoice(Role.MANAGER.value, "Manager"),
    SelectChoice(Role.ADMIN.value, "Admin"),
]
PASSWORD_CHOICES = [
    SelectChoice("generate", "Generate a one-time password (shown once; they choose their own at first sign-in)"),
    SelectChoice("set", "Set an initial password"),
]


def team_select_choices(teams: list[tuple[int, str]], empty_label: str) -> list[SelectChoice]:
    return [SelectChoice("", empty_label)] + [SelectChoice(str(team_id), name) for team_id, name in teams]


def team_id(value: str | None) -> int | None:
    return int(value) if value else None


class PeopleFilterForm(Form):
    """The list's search and filters: a GET form, read from the query string."""

    class Meta:
        csrf = False

    q = SearchField("Name or email", validators=[Optional(), Length(max=254)])
    team = SelectField("Team", validators=[Optional()])
    role = SelectField("Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], validators=[Optional()])
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Active and deactivated"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
        ],
        validators=[Optional()],
    )


class _PersonFields(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.LEARNER.value)
    team = SelectField("Team", validators=[Optional()])
    job_role = StringField("Job role (optional)", validators=[Optional(), Length(max=120)])


class PersonCreateForm(_PersonFields):
    password_choice = RadioField("Password", choices=PASSWORD_CHOICES, default="generate")
    password = PasswordField("Initial password", validators=[Length(max=1024)])  # required only with "set"

    def validate_password(self, field) -> None:
        if self.password_choice.data == "set" and not field.data:
            raise ValidationError("Enter the initial password, or choose to generate one.")


class PersonEditForm(_PersonFields):
    pass


class ImportUploadForm(Form):
    file = FileField(
        "CSV file", validators=[FileRequired("Choose a CSV file."), FileAllowed(["csv"], "Upload a .csv file.")]
    )


class ImportConfirmForm(Form):
    payload = HiddenField(validators=[DataRequired("Upload the file again.")])
