"""Team administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..inputs import database_id
from . import Form


def optional_id(value: object) -> int | None:
    """'' (the "none" option) becomes None; anything else must be a whole number."""
    if value in (None, "", "None"):
        return None
    number = database_id(value)
    if number is None:  # a ValueError becomes a field error
        raise ValueError(value)
    return number


class TeamForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    # The service checks the chosen ids (existence, cycles, roles) and explains a refusal in words,
    # so the select does not reject values outside its options with a bare "Not a valid choice".
    parent_id = SelectField(_l("Part of"), coerce=optional_id, validate_choice=False)
    manager_id = SelectField(_l("Manager"), coerce=optional_id, validate_choice=False)
    webhook_url = StringField(
        _l("Teams or Slack webhook for the weekly digest and escalations (optional)"),
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField(_l("Save team"))


class TeamManagerForm(Form):
    """Add one manager to a team (the team's page lists the others, each with a button to remove them)."""

    manager_id = SelectField(
        _l("Add a manager"),
        coerce=optional_id,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose a manager or admin."))],
    )
    submit = SubmitField(_l("Add manager"))
