"""The manager's view: the people x courses matrix, exports and assignments."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from ..authz import can_view_team, get_assignment_or_404, role_required, visible_team_ids
from ..extensions import db
from ..forms import AssignmentForm, ConfirmForm
from ..models import Course, LearningPath, Role, Team, User
from ..services import DomainError, assignments, exports, matrix

bp = Blueprint("manager", __name__, url_prefix="/manager")

MANAGERS = (Role.MANAGER, Role.ADMIN)


def _scope() -> set[int] | None:
    scope = visible_team_ids(current_user)
    if scope is not None and not scope:
        abort(403)  # a manager without teams has nothing to see here
    return scope


def _teams(scope: set[int] | None) -> list[Team]:
    query = select(Team).order_by(Team.name)
    if scope is not None:
        query = query.where(Team.id.in_(scope))
    return list(db.session.scalars(query))


def _filters() -> matrix.Filters:
    args = request.args
    team_id = args.get("team", type=int)
    if team_id is not None and not can_view_team(current_user, team_id):
        abort(404)
    status = args.get("status") or None
    sort = args.get("sort", "name")
    per_page = args.get("per_page", 50, type=int)
    return matrix.Filters(
        team_id=team_id,
        course_id=args.get("course", type=int),
        status=status if status in matrix.STATUSES else None,
        sort=sort if sort in matrix.SORTS else "name",
        page=max(1, args.get("page", 1, type=int)),
        per_page=per_page if per_page in matrix.PER_PAGE_CHOICES else 50,
    )


def _scope_label(scope: set[int] | None, filters: matrix.Filters) -> str:
    if filters.team_id is not None:
        team = db.session.get(Team, filters.team_id)
        return f"Team {team.name} and the teams below it" if team else "Team"
    return "Whole organisation" if scope is None else "All my teams"


@bp.route("/")
@role_required(*MANAGERS)
def dashboard():
    scope = _scope()
    filters = _filters()
    result = matrix.build(scope, filters)
    return render_template(
        "manager/dashboard.html",
        matrix=result,
        teams=_teams(scope),
        all_courses=db.session.execute(
            select(Course.id, Course.title).where(Course.published.is_(True)).order_by(Course.title)
        ).all(),
        by_month=matrix.completions_by_month(scope),
        course_rates=[(title, result.totals[cid].rate) for cid, _, title in result.courses],
        statuses=matrix.STATUS_LABELS,
        sorts=matrix.SORTS,
        per_page_choices=matrix.PER_PAGE_CHOICES,
        scope_label=_scope_label(scope, filters),
    )


def _export_name(extension: str) -> str:
    return f"team-matrix-{date.today().isoformat()}.{extension}"


@bp.route("/export.csv")
@role_required(*MANAGERS)
def export_csv():
    scope = _scope()
    result = matrix.all_rows(scope, _filters())
    return Response(
        stream_with_context(exports.csv_lines(result)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_export_name("csv")}"'},
    )


@bp.route("/export.xlsx")
@role_required(*MANAGERS)
def export_xlsx():
    scope = _scope()
    filters = _filters()
    data = exports.xlsx_bytes(matrix.all_rows(scope, filters), _scope_label(scope, filters))
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_export_name("xlsx")}"'},
    )


def _assignment_form(scope: set[int] | None, *, empty: bool = False) -> AssignmentForm:
    form = AssignmentForm(formdata=None) if empty else AssignmentForm()
    courses = db.session.execute(
        select(Course.id, Course.title).where(Course.published.is_(True)).order_by(Course.title)
    )
    paths = db.session.execute(select(LearningPath.id, LearningPath.title).order_by(LearningPath.title))
    form.item.choices = (
        [("", "Choose a course or a learning path")]
        + [(f"course:{cid}", f"Course: {title}") for cid, title in courses]
        + [(f"path:{pid}", f"Learning path: {title}") for pid, title in paths]
    )
    form.team.choices = [("", "—")] + [(str(t.id), t.name) for t in _teams(scope)]
    target_choices = [("team", "A team (and the teams below it)"), ("person", "A person")]
    if current_user.role == Role.ADMIN:
        target_choices.append(("job_role", "Everyone with a job role"))
    form.target_type.choices = target_choices
    return form


@bp.route("/assignments")
@role_required(*MANAGERS)
def assignment_list():
    scope = _scope()
    return _render_assignments(scope, _assignment_form(scope, empty=True))


def _render_assignments(scope, form, status=200):
    return render_template(
        "manager/assignments.html",
        assignments=assignments.assignments_in_scope(scope),
        form=form,
        delete_form=ConfirmForm(formdata=None),
        today=date.today(),
    ), status


@bp.route("/assignments", methods=["POST"])
@role_required(*MANAGERS)
def create_assignment():
    scope = _scope()
    form = _assignment_form(scope)
    if form.validate_on_submit():
        try:
            target = _resolve_target(form, scope)
            kind, _, item_id = form.item.data.partition(":")
            course = db.session.get(Course, int(item_id)) if kind == "course" else None
            path = db.session.get(LearningPath, int(item_id)) if kind == "path" else None
            if course is None and path is None:
                raise DomainError("Choose a course or a learning path.")
            _, created = assignments.assign(current_user, course=course, path=path, due_on=form.due_on.data, **target)
        except DomainError as exc:
            form.item.errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                "Assignment created." if created else "That assignment already existed; its due date is updated.",
                "success",
            )
            return redirect(url_for("manager.assignment_list"))
    return _render_assignments(scope, form, status=400)


def _resolve_target(form: AssignmentForm, scope: set[int] | None) -> dict:
    kind = form.target_type.data
    if kind == "team":
        team_id = int(form.team.data) if form.team.data else None
        team = db.session.get(Team, team_id) if team_id else None
        if team is None or not can_view_team(current_user, team.id):
            raise DomainError("Choose one of your teams.")
        return {"team": team}
    if kind == "person":
        email = (form.person_email.data or "").strip().lower()
        person = db.session.scalar(select(User).where(User.email == email)) if email else None
        if person is None or (scope is not None and person.team_id not in scope):
            raise DomainError("Enter the email of a person in your teams.")
        return {"user": person}
    if kind == "job_role" and current_user.role == Role.ADMIN:
        if not (form.job_role.data or "").strip():
            raise DomainError("Enter a job role.")
        return {"job_role": form.job_role.data}
    raise DomainError("Choose who the assignment is for.")


@bp.route("/assignments/<int:assignment_id>/delete", methods=["POST"])
@role_required(*MANAGERS)
def delete_assignment(assignment_id: int):
    assignment = get_assignment_or_404(assignment_id)
    if ConfirmForm().validate_on_submit():
        assignments.remove(current_user, assignment)
        db.session.commit()
        flash("Assignment removed. Progress and certificates already earned are kept.", "success")
    return redirect(url_for("manager.assignment_list"))
