"""Assigning courses and learning paths."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..enums import AssignmentTarget
from ..services.organisation.assignments import AssignmentInput
from . import Form


class AssignmentForm(Form):
    item = SelectField(
        _l("Course or learning path"), validators=[DataRequired(message=_l("Choose a course or a path."))]
    )
    target_type = SelectField(_l("Assign to"), validators=[DataRequired()])
    team = SelectField(_l("Team"), validators=[Optional()])
    person_email = EmailField(_l("Person's email"), validators=[Optional(), Length(max=254)])
    job_role = StringField(_l("Job role"), validators=[Optional(), Length(max=120)])
    due_on = DateField(_l("Due date"), validators=[DataRequired(message=_l("Enter a due date."))])
    submit = SubmitField(_l("Assign"))

    def to_input(self) -> AssignmentInput:
        """The request in the service's terms: only the target the person chose counts."""
        kind, _, item_id = (self.item.data or "").partition(":")
        target = self.target_type.data
        team = self.team.data or ""
        return AssignmentInput(
            due_on=self.due_on.data,
            course_id=int(item_id) if kind == "course" and item_id.isdigit() else None,
            path_id=int(item_id) if kind == "path" and item_id.isdigit() else None,
            team_id=int(team) if target == AssignmentTarget.TEAM and team.isdigit() else None,
            person_email=self.person_email.data if target == AssignmentTarget.PERSON else None,
            job_role=self.job_role.data if target == AssignmentTarget.JOB_ROLE else None,
        )
