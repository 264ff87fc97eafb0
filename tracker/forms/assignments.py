"""Assigning courses and learning paths."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..enums import AssignmentTarget, DueRule
from ..inputs import is_digits
from ..services.organisation.assignments import AssignmentInput
from . import Form, options


class AssignmentForm(Form):
    item = SelectField(
        _l("Course or learning path"), validators=[DataRequired(message=_l("Choose a course or a path."))]
    )
    target_type = SelectField(_l("Assign to"), validators=[DataRequired()])
    team = SelectField(_l("Team"), validators=[Optional()])
    person_email = EmailField(_l("Person's email"), validators=[Optional(), Length(max=254)])
    job_role = StringField(_l("Job role"), validators=[Optional(), Length(max=120)])
    due_rule = SelectField(
        _l("Due"), choices=options((rule.value, rule.label) for rule in DueRule), default=DueRule.FIXED.value
    )
    due_on = DateField(_l("Due date"), validators=[Optional()])
    due_days = IntegerField(
        _l("Number of days"),
        validators=[Optional(), NumberRange(min=1, max=3650, message=_l("Enter a number of days from 1 to 3650."))],
    )
    confirm_past = BooleanField(_l("The due date is in the past on purpose"))
    reminder_days = StringField(_l("Reminder days before the due date"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Assign"))
    show_confirm_past = False  # set by the view when a past date must be confirmed

    # The input that names each kind of target: an error about the target lands under the one the person chose.
    _TARGET_FIELDS = {
        AssignmentTarget.TEAM: "team",
        AssignmentTarget.PERSON: "person_email",
        AssignmentTarget.JOB_ROLE: "job_role",
    }

    def error_on(self, field_name: str, message: str, *, fallback: str | None = None) -> None:
        if field_name == "target_type" and self.target_type.data in self._TARGET_FIELDS:
            target = AssignmentTarget(self.target_type.data)
            field_name = self._TARGET_FIELDS[target]
            if target == AssignmentTarget.PERSON:
                message = _("Enter the email of a person in your teams.")
            elif target == AssignmentTarget.TEAM:
                message = _("Choose one of your teams.")
        super().error_on(field_name, message, fallback=fallback)

    def to_input(self) -> AssignmentInput:
        """The request in the service's terms: only the target the person chose counts."""
        kind, _, item_id = (self.item.data or "").partition(":")
        target = self.target_type.data
        team = self.team.data or ""
        rule = self.due_rule.data or DueRule.FIXED.value
        return AssignmentInput(
            due_on=self.due_on.data if rule == DueRule.FIXED else None,
            due_rule=rule,
            due_days=self.due_days.data if rule != DueRule.FIXED else None,
            reminder_days=self.reminder_days.data,
            course_id=int(item_id) if kind == "course" and is_digits(item_id) else None,
            path_id=int(item_id) if kind == "path" and is_digits(item_id) else None,
            team_id=int(team) if target == AssignmentTarget.TEAM and is_digits(team) else None,
            person_email=self.person_email.data if target == AssignmentTarget.PERSON else None,
            job_role=self.job_role.data if target == AssignmentTarget.JOB_ROLE else None,
        )
