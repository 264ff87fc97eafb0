"""The AI-literacy programme's API: the inventory of AI systems, training requirements, policies and their
acknowledgements, and coverage."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from ..enums import CoverageStatus, OrganisationRole, RiskClass, SystemStatus
from ..services.programme.inventory import JOB_ROLE_MAX, MAX_ITEMS, NAME_MAX, TEXT_MAX
from ..services.programme.policies import MAX_CHOICES
from .common import INT32_MAX, Body, Id, Integer, Model, OneOf, Query, Text, Timestamp

PER_PAGE_MAX = 500
TEAMS_MAX = 1000  # teams named as users of one system
DUE_DAYS_MAX = 3650

Channel = Literal["web", "api"]
ItemKind = Literal["course", "path", "policy"]
StatusCounts = Annotated[dict[CoverageStatus, int], Field(description="People by coverage status")]


def without_null_defaults(schema: dict[str, Any]) -> None:
    """A field that may be left out, but not sent as null, has no default to document."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", 0) is None and "anyOf" not in prop:
            prop.pop("default")


# --- AI systems -----------------------------------------------------------------------------------------------------


class Link(Model):
    url: str
    label: str


class LinkInput(Body):
    url: Text(500) = Field(description="An http:// or https:// address (an empty one is left out)")
    label: Text(200) = Field(default="", description="The address itself when empty")


class SystemChange(Model):
    old: Any
    new: Any


class SystemHistoryEntry(Model):
    at: Timestamp
    actor_email: str | None = Field(description="Kept after the account is deleted")
    action: Literal["created", "updated", "retired"]
    changes: dict[str, SystemChange] = Field(description="field -> its value before and after")


class AISystem(Model):
    id: int
    name: str
    vendor: str
    organisation_role: OrganisationRole = Field(description="The organisation's role for the system under the AI Act")
    purpose: str
    risk_class: RiskClass = Field(description="The class the organisation recorded under the AI Act")
    risk_note: str = Field(description="Why this risk class")
    owner_email: str | None
    data_classes: list[str] = Field(description="The data that may go into the system")
    status: SystemStatus
    links: list[Link]
    team_ids: list[int] = Field(description="Teams that use the system (with the teams below them)")
    job_roles: list[str] = Field(description="Job roles whose holders use the system, whatever their team")
    created_at: Timestamp
    updated_at: Timestamp


class AISystemDetail(AISystem):
    """An AI system with every change to its record, newest first."""

    history: list[SystemHistoryEntry]


class AISystemList(Model):
    ai_systems: list[AISystem]


class AISystemListQuery(Query):
    include_retired: bool = Field(default=True, description="false leaves retired systems out")


SystemName = Annotated[Text(NAME_MAX, min_length=1), Field(description="Unique in the inventory")]
OwnerEmail = Text(254)
DataClasses = Annotated[list[Text(120)], Field(max_length=MAX_ITEMS)]
Links = Annotated[list[LinkInput], Field(max_length=MAX_ITEMS)]
TeamIds = Annotated[list[Id], Field(max_length=TEAMS_MAX)]
JobRoles = Annotated[list[Text(JOB_ROLE_MAX)], Field(max_length=MAX_ITEMS)]


class NewAISystem(Body):
    """An AI system for the inventory: a name (unique), and whatever else is known. Its requirements assign
    training at once to the people who use it."""

    name: SystemName
    vendor: Text(NAME_MAX) = ""
    organisation_role: OneOf(OrganisationRole) = OrganisationRole.DEPLOYER
    purpose: Text(TEXT_MAX) = ""
    risk_class: OneOf(RiskClass) = RiskClass.NOT_ASSESSED
    risk_note: Text(TEXT_MAX) = ""
    owner_email: OwnerEmail | None = Field(default=None, description="An active account's email; null: no owner")
    data_classes: DataClasses = []
    status: OneOf(SystemStatus) = Field(
        default=SystemStatus.PILOT, description="retired ends the assignments that followed from the system"
    )
    links: Links = []
    team_ids: TeamIds = []
    job_roles: JobRoles = []


class AISystemChanges(Body):
    """The fields to change; those left out keep their values."""

    model_config = ConfigDict(json_schema_extra=without_null_defaults)

    name: SystemName = None
    vendor: Text(NAME_MAX) = None
    organisation_role: OneOf(OrganisationRole) = None
    purpose: Text(TEXT_MAX) = None
    risk_class: OneOf(RiskClass) = None
    risk_note: Text(TEXT_MAX) = None
    owner_email: OwnerEmail | None = Field(default=None, description="An active account's email; null: no owner")
    data_classes: DataClasses = None
    status: OneOf(SystemStatus) = Field(
        default=None, description="retired ends the assignments that followed from the system"
    )
    links: Links = None
    team_ids: TeamIds = None
    job_roles: JobRoles = None


# --- training requirements ------------------------------------------------------------------------------------------


class RequirementItem(Model):
    kind: ItemKind
    slug: str
    title: str


class Requirement(Model):
    """What the users of an AI system, the holders of a job role, or both must hold."""

    id: int
    ai_system_id: int | None
    job_role: str | None
    item: RequirementItem
    due_days: int = Field(description="Days from the start of use to complete")
    people_assigned: int | None = Field(description="Automatic assignments (courses and paths; null for policies)")
    created_at: Timestamp


class RequirementList(Model):
    requirements: list[Requirement]


class NewRequirement(Body):
    """An AI system, a job role, or both (the holders of the role who use the system), and what they must hold."""

    item: str = Field(
        pattern=r"^(course|path|policy):[0-9]{1,10}$",
        description="A published course, a learning path or a policy, by id",
        examples=["course:3", "path:1", "policy:2"],
    )
    ai_system_id: Id | None = None
    job_role: Text(JOB_ROLE_MAX) | None = None
    due_days: Integer(0, DUE_DAYS_MAX) = Field(default=30, description="Days from the start of use to complete")


# --- policies and acknowledgements ----------------------------------------------------------------------------------


class PolicyStatus(Model):
    """A policy's current version, and whether the caller acknowledged it."""

    slug: str
    title: str
    current_version: int
    published_at: Timestamp
    text_sha256: str = Field(description="SHA-256 of the version's text")
    check_question: str | None = Field(description="A question to answer when acknowledging")
    check_choices: list[str] = Field(description="Its answers; `answer` names one by its index")
    acknowledged_at: Timestamp | None = Field(description="When the caller acknowledged the current version")
    needs_acknowledgement: bool


class PolicyList(Model):
    policies: list[PolicyStatus]


class Acknowledgement(Model):
    """An acknowledgement of one policy version: an immutable record."""

    policy: str = Field(description="The policy's slug")
    version: int
    acknowledged_at: Timestamp
    channel: Channel
    text_sha256: str = Field(description="SHA-256 of the text acknowledged")
    check_passed: bool | None = Field(description="null: the version has no check question")


class AcknowledgementList(Model):
    acknowledgements: list[Acknowledgement]


class NewAcknowledgement(Body):
    version: Id | None = Field(default=None, description="The version's number; null or left out: the current one")
    answer: Integer(0, MAX_CHOICES - 1) | None = Field(
        default=None, description="The index of the chosen answer to the check question"
    )


class VersionAcknowledgementsQuery(Query):
    version: Id = Field(default=None, description="The version's number (default: the current one)")


class VersionAcknowledgement(Model):
    name: str
    email: str
    team: str | None
    acknowledged_at: Timestamp
    channel: Channel


class VersionAcknowledgements(Model):
    """Who acknowledged one version of a policy, newest first."""

    policy: str = Field(description="The policy's slug")
    version: int
    acknowledgements: list[VersionAcknowledgement]


# --- coverage -------------------------------------------------------------------------------------------------------


class CoverageQuery(Query):
    system: Id = Field(default=None, description="Only this AI system (its id)")
    team: Id = Field(default=None, description="Only this team and the teams below it (its id)")
    status: CoverageStatus = Field(default=None, description="Only people with a cell in this status")
    page: int = Field(default=1, ge=1, le=INT32_MAX, description="A page past the end shows the last one")
    per_page: int = Field(default=100, ge=1, le=PER_PAGE_MAX)


class CoverageSystem(Model):
    id: int
    name: str
    risk_class: RiskClass
    users: int = Field(description="People who use the system")
    by_status: StatusCounts


class CoverageRole(Model):
    job_role: str | None = Field(description="null: people without a job role")
    people: int
    by_status: StatusCounts = Field(description="People by their most urgent status")


class CoverageCell(Model):
    ai_system_id: int | None = Field(description="null: the requirements of the job role alone")
    status: CoverageStatus
    missing: list[str] = Field(description="What is missing: course, path and policy titles")
    expiring: list[str] = Field(description="What expires soon")


class CoveragePerson(Model):
    id: int
    name: str
    email: str
    team: str | None
    job_role: str | None
    cells: list[CoverageCell]


class Coverage(Model):
    """AI systems x the people who use them: per person and system whether each requirement is met, with counts per
    system and per job role. Times are ISO 8601 in UTC."""

    generated_at: Timestamp
    page: int
    per_page: int
    total_people: int
    aggregate_only: bool = Field(description="true when the privacy settings hide individual people")
    ai_systems: list[CoverageSystem]
    job_roles: list[CoverageRole]
    people: list[CoveragePerson] = Field(description="This page; empty when aggregate_only")
