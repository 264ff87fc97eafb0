"""API v1 for managers and admins: teams, a team's matrix and assignments."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ...authz import get_assignment_or_404, get_team_or_404, manager_scope
from ...extensions import db
from ...models import Assignment
from ...schemas import manage as schemas
from ...schemas.common import ID_RULE
from ...services import FieldError
from ...services.organisation import assignments, teams
from ...services.reporting import matrix
from ..errors import api_error
from .spec import operation

bp = Blueprint("manage", __name__)


@bp.before_request
def _managers_only():
    """Learners are refused (403) before their request is read, whatever it carries."""
    manager_scope(current_user)


@bp.route("/teams")
@operation("listTeams", {200: (schemas.TeamList, "The teams")}, errors=(403,))
def team_list():
    """Teams the caller manages (admins: all)"""
    scope = manager_scope(current_user)
    return schemas.TeamList(
        teams=[
            schemas.Team(
                id=t.id,
                name=t.name,
                parent_id=t.parent_id,
                manager=managers[0] if managers else None,
                managers=managers,
                members=members,
            )
            for t, managers, members in teams.teams_with_counts(scope)
        ]
    )


@bp.route(f"/teams/<{ID_RULE}:team_id>/matrix")
@operation(
    "getTeamMatrix",
    {200: (schemas.Matrix, "The matrix")},
    errors=(403, 404),
    query=schemas.MatrixQuery,
)
def team_matrix(team_id: int, query: schemas.MatrixQuery):
    """The people x courses matrix of a team and the teams below it"""
    scope = manager_scope(current_user)
    team = get_team_or_404(team_id)
    filters = matrix.Filters(
        team_id=team.id,
        course_id=query.course,
        status=query.status,
        sort=query.sort,
        page=query.page,
        per_page=query.per_page,
    )
    result = matrix.build(scope, filters)
    return schemas.Matrix(
        team=schemas.TeamRef(id=team.id, name=team.name),
        generated_at=result.generated_at,
        page=result.filters.page,
        per_page=result.filters.per_page,
        total_people=result.total_people,
        courses=[schemas.MatrixCourse(id=cid, slug=slug, title=title) for cid, slug, title in result.courses],
        people=[
            schemas.MatrixPerson(
                id=row.id,
                name=row.name,
                email=row.email,
                team=row.team,
                job_role=row.job_role,
                cells=[
                    schemas.Cell(
                        course_id=course_id,
                        status=cell.status,
                        assigned=cell.assigned,
                        due_on=cell.due_on,
                        percent=cell.percent,
                        score=cell.score,
                        completed_at=cell.completed_at,
                        certificate_code=cell.certificate_code,
                        certificate_expires_at=cell.expires_at,
                    )
                    for course_id, cell in row.cells.items()
                ],
            )
            for row in result.rows
        ],
        totals=[
            schemas.CourseTotals(
                course_id=cid,
                assigned=t.assigned,
                completed=t.completed,
                completion_rate=t.rate,
                by_status=dict(t.by_status),
            )
            for cid, t in result.totals.items()
        ],
    )


def _assignment(assignment: Assignment) -> schemas.Assignment:
    return schemas.Assignment(
        id=assignment.id,
        course=assignment.course.slug if assignment.course else None,
        path=assignment.path.slug if assignment.path else None,
        team_id=assignment.team_id,
        user_email=assignment.user.email if assignment.user else None,
        job_role=assignment.job_role,
        due_on=assignment.due_on,
        created_at=assignment.created_at,
    )


@bp.route("/assignments")
@operation("listAssignments", {200: (schemas.AssignmentList, "The assignments")}, errors=(403,))
def assignment_list():
    """Assignments the caller may manage"""
    scope = manager_scope(current_user)
    return schemas.AssignmentList(assignments=[_assignment(a) for a in assignments.assignments_in_scope(scope)])


# The service names the inputs of the manager's form; the API's names for the same inputs.
API_FIELDS = {"item": "course", "team": "team_id", "person_email": "user_email", "target_type": "team_id"}


@bp.route("/assignments", methods=["POST"])
@operation(
    "createAssignment",
    {
        201: (schemas.Assignment, "Created"),
        200: (schemas.Assignment, "The same assignment existed already; its due date was moved"),
    },
    errors=(400, 403),
    json=schemas.NewAssignment,
)
def create_assignment(json: schemas.NewAssignment):
    """Assign a course or a learning path (the same assignment again only moves its due date)"""
    scope = manager_scope(current_user)
    request_data = assignments.AssignmentInput(
        due_on=json.due_on,
        course_slug=json.course or None,
        path_slug=json.path or None,
        team_id=json.team_id,
        person_email=json.user_email or None,
        job_role=json.job_role or None,
    )
    try:
        assignment, created = assignments.assign_from_input(current_user, scope, request_data)
    except FieldError as exc:
        field = API_FIELDS.get(exc.field, exc.field)
        return api_error(422, str(exc), title="Invalid assignment", fields=[{"field": field, "message": str(exc)}])
    db.session.commit()
    return _assignment(assignment), 201 if created else 200


@bp.route(f"/assignments/<{ID_RULE}:assignment_id>", methods=["DELETE"])
@operation("deleteAssignment", {204: (None, "Removed (progress and certificates are kept)")}, errors=(400, 403, 404))
def delete_assignment(assignment_id: int):
    """Remove an assignment (progress and certificates are kept)"""
    assignment = get_assignment_or_404(assignment_id)
    assignments.remove(current_user, assignment)
    db.session.commit()
    return "", 204
