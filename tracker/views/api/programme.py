"""API v1 for the AI-literacy programme: the inventory of AI systems, training requirements, policy
acknowledgements and coverage. Same rules as the pages: admins manage, managers read coverage for their teams,
everyone reads the policies and acknowledges them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, request
from flask_login import current_user

from ...authz import (
    can_manage_programme,
    get_ai_system_or_404,
    get_policy_or_404,
    get_policy_version_or_404,
    get_requirement_or_404,
    get_team_or_404,
    manager_scope,
)
from ...enums import CoverageStatus
from ...extensions import db
from ...models import AISystem, Policy, PolicyAcknowledgement, TrainingRequirement
from ...schemas import programme as schemas
from ...schemas.common import ID_RULE
from ...services import DomainError, FieldError
from ...services.programme import coverage, inventory, policies, requirements
from ..errors import api_error
from .spec import operation

bp = Blueprint("programme", __name__)


# --- who may call, decided before the request is read ---------------------------------------------------------------
# These decorators go above `operation()`, whose validation reads the query and body: a caller who may not act is
# refused (403, or the loader's 404) whatever the request carries, and never told what is wrong with it.


def _admins() -> None:
    if not can_manage_programme(current_user):
        abort(403)


def _managers() -> None:
    manager_scope(current_user)  # managers of a team and admins; others 403


def refused_unless(check: Callable[[], None]) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(**kwargs: Any) -> Any:
            check()
            return view(**kwargs)

        return checked

    return decorator


def loads(**loaders: Callable[[Any], Any]) -> Callable:
    """Each path argument (`system_id`) through its authz loader; the view gets the object (`system`)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def loading(**kwargs: Any) -> Any:
            for argument, loader in loaders.items():
                kwargs[argument.rsplit("_", 1)[0]] = loader(kwargs.pop(argument))
            return view(**kwargs)

        return loading

    return decorator


# --- AI systems -----------------------------------------------------------------------------------------------------

SYSTEM_TITLE = "Invalid AI system"


def _system(system: AISystem) -> schemas.AISystem:
    return schemas.AISystem(
        id=system.id,
        name=system.name,
        vendor=system.vendor,
        organisation_role=system.organisation_role,
        purpose=system.purpose,
        risk_class=system.risk_class,
        risk_note=system.risk_note,
        owner_email=system.owner.email if system.owner else None,
        data_classes=list(system.data_classes or []),
        status=system.status,
        links=[schemas.Link(url=link["url"], label=link["label"]) for link in system.links or []],
        team_ids=sorted(link.team_id for link in system.teams),
        job_roles=sorted(link.job_role for link in system.job_roles),
        created_at=system.created_at,
        updated_at=system.updated_at,
    )


def _system_detail(system: AISystem) -> schemas.AISystemDetail:
    return schemas.AISystemDetail(
        **dict(_system(system)),
        history=[
            schemas.SystemHistoryEntry(at=c.at, actor_email=c.actor_email, action=c.action, changes=c.changes)
            for c in inventory.history(system)
        ],
    )


def _system_input(fields: dict[str, Any], base: inventory.SystemInput | None = None) -> inventory.SystemInput:
    """The fields sent, over the base's values (a partial update) or the defaults (a new system)."""
    values = dict(base.__dict__) if base is not None else {}
    values.update(fields)
    return inventory.SystemInput(**values)


def _invalid(title: str, exc: FieldError, field: str | None = None):
    field = field or exc.field
    return api_error(422, str(exc), title=title, fields=[{"field": field, "message": str(exc)}])


@bp.route("/ai-systems")
@refused_unless(_managers)
@operation(
    "listAISystems",
    {200: (schemas.AISystemList, "The systems, in name order")},
    errors=(403,),
    query=schemas.AISystemListQuery,
)
def system_list(query: schemas.AISystemListQuery):
    """The inventory of AI systems (managers and admins)"""
    return schemas.AISystemList(
        ai_systems=[_system(s) for s in inventory.systems(include_retired=query.include_retired)]
    )


@bp.route("/ai-systems", methods=["POST"])
@refused_unless(_admins)
@operation(
    "createAISystem",
    {201: (schemas.AISystemDetail, "The system with its history")},
    errors=(400, 403),
    json=schemas.NewAISystem,
)
def create_system(json: schemas.NewAISystem):
    """Add an AI system (admins); its requirements assign training at once"""
    try:
        system = inventory.create_system(current_user, _system_input(json.model_dump()))
        requirements.sync(current_user)
    except FieldError as exc:
        return _invalid(SYSTEM_TITLE, exc)
    db.session.commit()
    return _system_detail(inventory.system_by_id(system.id)), 201


@bp.route(f"/ai-systems/<{ID_RULE}:system_id>")
@loads(system_id=get_ai_system_or_404)
@operation("getAISystem", {200: (schemas.AISystemDetail, "The system with its history")}, errors=(404,))
def system_detail(system: AISystem):
    """One AI system with the history of its changes (admins; others 404)"""
    return _system_detail(system)


@bp.route(f"/ai-systems/<{ID_RULE}:system_id>", methods=["PATCH"])
@loads(system_id=get_ai_system_or_404)
@operation(
    "updateAISystem",
    {200: (schemas.AISystemDetail, "The system with its history")},
    errors=(400, 404),
    json=schemas.AISystemChanges,
)
def update_system(system: AISystem, json: schemas.AISystemChanges):
    """Change an AI system (admins; others 404); status retired ends the assignments that followed from it"""
    try:
        data = _system_input(json.model_dump(exclude_unset=True), inventory.as_input(system))
        if inventory.update_system(current_user, system, data):
            requirements.sync(current_user)
    except FieldError as exc:
        return _invalid(SYSTEM_TITLE, exc)
    db.session.commit()
    return _system_detail(system)


# --- training requirements ------------------------------------------------------------------------------------------


def _requirement(requirement: TrainingRequirement, reached: dict[int, int]) -> schemas.Requirement:
    if requirement.course is not None:
        kind, item = "course", requirement.course
    elif requirement.path is not None:
        kind, item = "path", requirement.path
    else:
        kind, item = "policy", requirement.policy
    return schemas.Requirement(
        id=requirement.id,
        ai_system_id=requirement.system_id,
        job_role=requirement.job_role,
        item=schemas.RequirementItem(kind=kind, slug=item.slug, title=item.title),
        due_days=requirement.due_days,
        people_assigned=None if kind == "policy" else reached.get(requirement.id, 0),
        created_at=requirement.created_at,
    )


@bp.route("/requirements")
@refused_unless(_admins)
@operation("listRequirements", {200: (schemas.RequirementList, "The requirements")}, errors=(403,))
def requirement_list():
    """Training requirements per AI system and/or job role (admins)"""
    reached = requirements.auto_assignment_counts()
    return schemas.RequirementList(requirements=[_requirement(r, reached) for r in requirements.requirements_list()])


@bp.route("/requirements", methods=["POST"])
@refused_unless(_admins)
@operation(
    "createRequirement",
    {201: (schemas.Requirement, "The requirement")},
    errors=(400, 403),
    json=schemas.NewRequirement,
)
def create_requirement(json: schemas.NewRequirement):
    """Add a requirement (admins); assignments follow for everyone it reaches

    The same requirement twice, an item or AI system that does not exist, or neither a system nor a job role:
    422, naming the field.
    """
    data = requirements.RequirementInput(
        item=json.item, system_id=json.ai_system_id, job_role=json.job_role, due_days=json.due_days
    )
    try:
        requirement = requirements.create_requirement(current_user, data)
        requirements.sync(current_user)
    except FieldError as exc:
        return _invalid("Invalid requirement", exc, "ai_system_id" if exc.field == "system_id" else None)
    db.session.commit()
    return _requirement(requirement, requirements.auto_assignment_counts()), 201


@bp.route(f"/requirements/<{ID_RULE}:requirement_id>", methods=["DELETE"])
@loads(requirement_id=get_requirement_or_404)
@operation(
    "deleteRequirement",
    {204: (None, "Removed, with the assignments that followed from it")},
    errors=(400, 404),
)
def delete_requirement(requirement: TrainingRequirement):
    """Remove a requirement and the assignments that followed from it (admins; others 404)"""
    requirements.remove_requirement(current_user, requirement)
    db.session.commit()
    return "", 204


# --- policies and acknowledgements ----------------------------------------------------------------------------------


@bp.route("/policies")
@operation("listPolicies", {200: (schemas.PolicyList, "The policies, those to acknowledge first")})
def policy_list():
    """Every policy's current version and whether the caller acknowledged it"""
    return schemas.PolicyList(
        policies=[
            schemas.PolicyStatus(
                slug=s.policy.slug,
                title=s.policy.title,
                current_version=s.current.number,
                published_at=s.current.published_at,
                text_sha256=s.current.body_sha256,
                check_question=s.current.check_question,
                check_choices=s.current.check_choices if s.current.check_question else [],
                acknowledged_at=s.acknowledged_at,
                needs_acknowledgement=s.needs_acknowledgement,
            )
            for s in policies.statuses_for(current_user)
        ]
    )


def _acknowledgement(record: PolicyAcknowledgement) -> schemas.Acknowledgement:
    return schemas.Acknowledgement(
        policy=record.version.policy.slug,
        version=record.version.number,
        acknowledged_at=record.acknowledged_at,
        channel=record.channel,
        text_sha256=record.body_sha256,
        check_passed=record.check_passed,
    )


@bp.route("/policies/<policy_slug>/acknowledgements", methods=["POST"])
@loads(policy_slug=get_policy_or_404)
@operation(
    "acknowledgePolicy",
    {
        201: (schemas.Acknowledgement, "Recorded"),
        200: (schemas.Acknowledgement, "Recorded before: the first record"),
    },
    errors=(400, 404, 409),
    json=schemas.NewAcknowledgement,
    body_required=False,
)
def acknowledge(policy: Policy, json: schemas.NewAcknowledgement):
    """Acknowledge a policy version (the current one unless `version` is given)

    A newer version exists: 409. The answer to the check question is not right: 422, and nothing is recorded.
    """
    version = (
        get_policy_version_or_404(policy, json.version)
        if json.version is not None
        else policies.current_version(policy)
    )
    try:
        record, created = policies.acknowledge(
            current_user, version, answer=json.answer, ip_address=request.remote_addr, channel="api"
        )
    except policies.CheckFailed as exc:
        return api_error(422, str(exc), title="Not acknowledged", fields=[{"field": "answer", "message": str(exc)}])
    except DomainError as exc:
        return api_error(409, str(exc), title="Not acknowledged")
    db.session.commit()
    return _acknowledgement(record), 201 if created else 200


@bp.route("/acknowledgements")
@operation("listMyAcknowledgements", {200: (schemas.AcknowledgementList, "The caller's acknowledgements")})
def my_acknowledgements():
    """The caller's own acknowledgements, newest first"""
    return schemas.AcknowledgementList(
        acknowledgements=[_acknowledgement(a) for a in policies.acknowledgements_of(current_user)]
    )


@bp.route("/policies/<policy_slug>/acknowledgements")
@refused_unless(_managers)
@loads(policy_slug=get_policy_or_404)
@operation(
    "listPolicyAcknowledgements",
    {200: (schemas.VersionAcknowledgements, "Who acknowledged the version")},
    errors=(403, 404),
    query=schemas.VersionAcknowledgementsQuery,
)
def policy_acknowledgements(policy: Policy, query: schemas.VersionAcknowledgementsQuery):
    """Who acknowledged a policy version (managers: the people of their teams; admins: everyone)"""
    scope = manager_scope(current_user)
    version = (
        get_policy_version_or_404(policy, query.version)
        if query.version is not None
        else policies.current_version(policy)
    )
    return schemas.VersionAcknowledgements(
        policy=policy.slug,
        version=version.number,
        acknowledgements=[
            schemas.VersionAcknowledgement(name=name, email=email, team=team, acknowledged_at=at, channel=channel)
            for name, email, team, at, channel, _ip in policies.version_acknowledgements(version, scope)
        ],
    )


# --- coverage -------------------------------------------------------------------------------------------------------


def _counts(by_status) -> dict[CoverageStatus, int]:
    return {CoverageStatus(status): count for status, count in by_status.items()}


@bp.route("/coverage")
@refused_unless(_managers)
@operation(
    "getCoverage",
    {200: (schemas.Coverage, "One page of people, and the counts of everyone")},
    errors=(403, 404),
    query=schemas.CoverageQuery,
)
def coverage_report(query: schemas.CoverageQuery):
    """AI systems x people: who is trained and has acknowledged, per system and job role

    Managers see their teams (totals only below the privacy settings' minimum); admins everyone. status=missing
    with system=ID answers "who uses this system without current training". A team the caller may not see: 404.
    """
    scope = manager_scope(current_user)
    if query.team is not None:
        get_team_or_404(query.team)
    filters = coverage.Filters(
        system_id=query.system,
        team_id=query.team,
        status=CoverageStatus(query.status) if query.status else None,
        page=query.page,
        per_page=query.per_page,
    )
    result = coverage.build(scope, filters)
    return schemas.Coverage(
        generated_at=result.generated_at,
        page=result.filters.page,
        per_page=result.filters.per_page,
        total_people=result.total_people,
        aggregate_only=result.aggregate_only,
        ai_systems=[
            schemas.CoverageSystem(
                id=s.id,
                name=s.name,
                risk_class=s.risk_class,
                users=result.totals[s.id].people,
                by_status=_counts(result.totals[s.id].by_status),
            )
            for s in result.systems
        ],
        job_roles=[
            schemas.CoverageRole(job_role=t.key or None, people=t.people, by_status=_counts(t.by_status))
            for t in result.roles
        ],
        people=[
            schemas.CoveragePerson(
                id=row.id,
                name=row.name,
                email=row.email,
                team=row.team,
                job_role=row.job_role,
                cells=[
                    schemas.CoverageCell(
                        ai_system_id=key or None,
                        status=cell.status,
                        missing=list(cell.missing),
                        expiring=list(cell.expiring),
                    )
                    for key, cell in row.cells.items()
                ],
            )
            for row in result.rows
        ],
    )
