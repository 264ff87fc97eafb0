"""The AI-literacy programme: AI systems, requirements, policies, acknowledgements, privacy, evidence packs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..enums import ManagerVisibility, OrganisationRole, RiskClass, SystemStatus
from ..services.programme.inventory import SystemInput
from ..services.programme.policies import VersionInput
from ..services.programme.privacy import Settings
from . import Form, options


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class SystemForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    vendor = StringField(_l("Vendor or provider"), validators=[Optional(), Length(max=120)])
    organisation_role = SelectField(_l("Our role under the AI Act"))
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=4000)])
    risk_class = SelectField(_l("Risk class"))
    risk_note = TextAreaField(_l("Why this risk class"), validators=[Optional(), Length(max=4000)])
    owner_email = EmailField(_l("Owner (email)"), validators=[Optional(), Length(max=254)])
    data_classes = TextAreaField(_l("Approved data classes (one per line)"), validators=[Optional(), Length(max=6000)])
    status = SelectField(_l("Status"))
    links = TextAreaField(
        _l("Links (one per line: address, then a space and a label)"), validators=[Optional(), Length(max=20000)]
    )
    team_ids = SelectMultipleField(
        _l("Teams that use it (and the teams below them)"), coerce=int, validate_choice=False
    )
    job_roles = TextAreaField(_l("Job roles that use it (one per line)"), validators=[Optional(), Length(max=6000)])
    submit = SubmitField(_l("Save AI system"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_role.choices = options((r.value, r.label) for r in OrganisationRole)
        self.risk_class.choices = options((r.value, r.label) for r in RiskClass)
        self.status.choices = options((s.value, s.label) for s in SystemStatus)

    def to_input(self) -> SystemInput:
        links = []
        for line in _lines(self.links.data):
            url, _sep, label = line.partition(" ")
            links.append({"url": url, "label": label.strip()})
        return SystemInput(
            name=self.name.data or "",
            vendor=self.vendor.data or "",
            organisation_role=self.organisation_role.data,
            purpose=self.purpose.data or "",
            risk_class=self.risk_class.data,
            risk_note=self.risk_note.data or "",
            owner_email=self.owner_email.data,
            data_classes=_lines(self.data_classes.data),
            status=self.status.data,
            links=links,
            team_ids=list(self.team_ids.data or []),
            job_roles=_lines(self.job_roles.data),
        )

    def fill(self, data: SystemInput) -> None:
        self.name.data, self.vendor.data = data.name, data.vendor
        self.organisation_role.data, self.purpose.data = data.organisation_role, data.purpose
        self.risk_class.data, self.risk_note.data = data.risk_class, data.risk_note
        self.owner_email.data, self.status.data = data.owner_email, data.status
        self.data_classes.data = "\n".join(data.data_classes)
        self.links.data = "\n".join(f"{link['url']} {link['label']}".strip() for link in data.links)
        self.team_ids.data = data.team_ids
        self.job_roles.data = "\n".join(data.job_roles)


class RequirementForm(Form):
    system_id = SelectField(_l("AI system"), validators=[Optional()])
    job_role = StringField(_l("Job role"), validators=[Optional(), Length(max=120)])
    item = SelectField(_l("What they must hold"), validators=[DataRequired(message=_l("Choose what is required."))])
    due_days = IntegerField(
        _l("Days to complete, from the start of use"),
        default=30,
        validators=[DataRequired(message=_l("Enter a number of days.")), NumberRange(0, 3650)],
    )
    submit = SubmitField(_l("Add requirement"))


class PolicyVersionForm(Form):
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=100_000)])
    change_note = TextAreaField(_l("What changed (optional)"), validators=[Optional(), Length(max=2000)])
    check_question = StringField(_l("Check question (optional)"), validators=[Optional(), Length(max=500)])
    check_choices = TextAreaField(_l("Answers, one per line"), validators=[Optional(), Length(max=3000)])
    check_answer = IntegerField(_l("Number of the right answer (1 for the first)"), validators=[Optional()])
    submit = SubmitField(_l("Publish version"))

    def to_input(self) -> VersionInput:
        answer = self.check_answer.data
        return VersionInput(
            body=self.body.data or "",
            change_note=self.change_note.data or "",
            check_question=self.check_question.data,
            check_choices=tuple(_lines(self.check_choices.data)),
            check_answer=answer - 1 if isinstance(answer, int) else None,
        )


class PolicyForm(PolicyVersionForm):
    slug = StringField(_l("Short name (for addresses)"), validators=[DataRequired(), Length(max=80)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Create policy"))


class AcknowledgeForm(Form):
    answer = RadioField(_l("Check question"), coerce=int, validate_choice=False, validators=[Optional()])
    submit = SubmitField(_l("I have read this policy and accept it"))


class PrivacyForm(Form):
    manager_visibility = RadioField(_l("What managers see of their people's results"), validators=[DataRequired()])
    aggregate_min_people = IntegerField(
        _l("Show team views of fewer people than this as totals only (0: off)"),
        validators=[Optional(), NumberRange(0, 1000)],
        default=0,
    )
    pseudonymise_exports = BooleanField(_l("Name people by pseudonym in exports"))
    attempt_retention_months = IntegerField(
        _l("Remove quiz answers after this many months (empty: keep)"), validators=[Optional(), NumberRange(1, 240)]
    )
    submit = SubmitField(_l("Save privacy settings"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.manager_visibility.choices = options((v.value, v.label) for v in ManagerVisibility)

    def to_settings(self) -> Settings:
        return Settings(
            ManagerVisibility(self.manager_visibility.data),
            self.aggregate_min_people.data or 0,
            bool(self.pseudonymise_exports.data),
            self.attempt_retention_months.data,
        )


class EvidencePackForm(Form):
    team = SelectField(_l("Scope"), validators=[Optional()])
    submit = SubmitField(_l("Download the evidence pack"))


class VerifyPackForm(Form):
    pack = FileField(
        _l("Evidence pack (ZIP)"), validators=[FileRequired(), FileAllowed(["zip"], _l("Upload a ZIP file."))]
    )
    submit = SubmitField(_l("Check the evidence pack"))
