"""WTForms: the shape of input only. Business rules live in the services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .. import inputs

# Fields whose text is stored or printed; passwords are only hashed, ids and tokens are checked where they are used.
_UNCHECKED_TEXT = ("CSRFTokenField", "PasswordField", "HiddenField", "SubmitField")


def options(pairs, empty: str | None = None) -> list[SelectChoice]:
    """The choices of a select from a service's (value, label) pairs; `empty` first, with the value ""."""
    first = [SelectChoice("", empty)] if empty is not None else []
    return first + [SelectChoice(value, label) for value, label in pairs]


class Form(FlaskForm):
    """The base of every form: a service's FieldError lands on the field it names, and text and dates are checked
    against the bounds every form shares (`tracker/inputs.py`) before any service sees them."""

    # Where a service's field name differs from the form's (e.g. a target chosen by type).
    field_aliases: dict[str, str] = {}

    def error_on(self, field_name: str, message: str, *, fallback: str | None = None) -> None:
        name = self.field_aliases.get(field_name, field_name)
        target = getattr(self, name, None) or (getattr(self, fallback) if fallback else None)
        if target is None:
            target = next(f for f in self if f.type not in ("CSRFTokenField", "SubmitField", "HiddenField"))
        target.errors = [*target.errors, message]
        _note_checked()

    def validate(self, extra_validators=None) -> bool:
        _note_checked()
        valid = super().validate(extra_validators)
        for field in self:
            problem = self._edge_problem(field)
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
        return valid

    @staticmethod
    def _edge_problem(field) -> str | None:
        if isinstance(field, DateField):
            if field.data is not None and not inputs.date_in_range(field.data):
                return _(
                    "Enter a date between %(earliest)s and %(latest)s.",
                    earliest=inputs.EARLIEST_DATE.isoformat(),
                    latest=inputs.LATEST_DATE.isoformat(),
                )
            return None
        if field.type in _UNCHECKED_TEXT or not isinstance(field.data, str):
            return None
        problem = inputs.text_problem(field.data, multiline=isinstance(field, TextAreaField))
        if problem == "control":
            return _("Remove the invisible control characters from this text.")
        if problem == "line_break":
            return _("Write this on one line.")
        return None

    def error_items(self) -> list[ErrorItem]:
        """Every error of the form, in the order of its fields, for the summary at the top of the page: each links
        to the input it is about (a group of radio buttons: its first button)."""
        items: list[ErrorItem] = []
        for field in self:
            _collect_errors(field, items)
        items.extend(ErrorItem(None, "", str(message)) for message in self.form_errors)
        return items


@dataclass(frozen=True)
class ErrorItem:
    anchor: str | None  # the id of the input, None for an error of the whole form
    label: str
    message: str


def _collect_errors(field, items: list[ErrorItem]) -> None:
    if field.type in ("FormField", "FieldList"):
        for sub in field.entries if field.type == "FieldList" else field:
            _collect_errors(sub, items)
        return
    if not field.errors:
        return
    if field.type == "CSRFTokenField":
        items.append(ErrorItem(None, "", _("The form had expired; submit it again.")))
        return
    anchor = f"{field.id}-0" if field.type == "RadioField" else field.id
    items.append(ErrorItem(anchor, str(field.label.text), " ".join(str(e) for e in field.errors)))


def _note_checked() -> None:
    """Record that this request checked a form: only then can a page have errors to list (`forms_with_errors`)."""
    if has_request_context():
        g._forms_checked = True


def forms_with_errors(context: Mapping[str, Any]) -> list[Form]:
    """The forms of a page (whatever their names in the template) that came back with errors."""
    if not g.get("_forms_checked"):  # most pages: no form was checked, so none has errors (and the page's
        return []  # sixty-odd context values need not be looked at)
    found: list[Form] = []
    for value in context.values():
        if isinstance(value, Form) and value.errors and all(value is not f for f in found):
            found.append(value)
    return found


class ConfirmForm(Form):
    """A POST button with nothing but its CSRF token (mark as read, start quiz, sign out, revoke)."""

    submit = SubmitField(_l("Confirm"))


class Confirmation:
    """A field for the forms of confirmation pages: a state change happens only when posted from the page that said
    what it will do. A POST without it (an old page, a hand-made request) shows that page instead of acting."""

    confirmed = HiddenField(default="yes")

    @property
    def is_confirmed(self) -> bool:
        return (self.confirmed.raw_data or [None])[0] == "yes"  # as posted: the default says nothing


class ConfirmedForm(Confirmation, ConfirmForm):
    """The form of a confirmation page with nothing to fill in (deactivate an account, remove an assignment)."""
