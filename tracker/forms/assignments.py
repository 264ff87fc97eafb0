"""Assigning courses and learning paths."""

from __future__ import annotations

from wtforms import DateField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..enums import AssignmentTarget
from ..services.organisation.assignments import AssignmentInput
from . import Form


class AssignmentForm(Form):
    item = SelectField("Course or learning path", validators=[DataRequired(message="Choose a course or a path.")])
    target_type = SelectField("Assign to", validators=[DataRequired()])
    team = SelectField("Team", validators=[Optional()])
    person_email = EmailField("Person's email", validators=[Optional(), Length(max=254)])
    job_role = StringField("Job role", validators=[Optional(), Length(max=120)])
    due_on = DateField("Due date", validators=[DataRequired(message="Enter a due date.")])
    submit = SubmitField("Assign")

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
