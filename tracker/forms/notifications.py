"""Which reminders a person receives."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from . import Form


class NotificationPreferencesForm(Form):
    wanted = SelectMultipleField(
        _l("Send me email when"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    submit = SubmitField(_l("Save my choices"))
