"""The manager's view: the people x courses matrix, exports and assignments."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..authz import can_assign_to_job_role, can_view_team, get_assignment_or_404, manager_scope, role_required
from ..enums import AssignmentTarget, CellStatus, DueRule, Role
from ..extensions import db
from ..forms import ConfirmedForm, ConfirmForm, options
from ..forms.assignments import AssignmentForm
from ..services import FieldError, audit, jobs
from ..services.organisation import assignments, teams
from ..services.reporting import matrix, matrix_export
from . import download_response

bp = Blueprint("manager", __name__, url_prefix="/manager")

MANAGERS = (Role.MANAGER, Role.ADMIN)


def _filters() -> matrix.Filters:
    filters = matrix.Filters.from_query(request.args)
    if filters.team_id is not None and not can_view_team(current_user, filters.team_id):
        abort(404)
    return filters


@bp.route("/")
@role_required(*MANAGERS)
def dashboard():
    scope = manager_scope(current_user)
    filters = _filters()
    result = matrix.build(scope, filters)
    if result.filters.page != filters.page:  # a page past the end: show the last one at its own address
        return redirect(url_for("manager.dashboard", **{**request.args.to_dict(), "page": result.filters.page}))
    return render_template(
        "manager/dashboard.html",
        matrix=result,
        teams=teams.filter_choices(scope, filters.team_id),
        all_courses=matrix.course_choices(),
        by_month=matrix.completions_by_month(scope),
        course_rates=[(title, result.totals[cid].rate) for cid, _, title in result.courses],
        statuses=CellStatus.labels(),
        sorts=matrix.SORTS,
        per_page_choices=matrix.PER_PAGE_CHOICES,
        scope_label=matrix.scope_label(scope, filters),
        csv_as_job=result.total_people * max(1, len(result.courses)) > current_app.config["EXPORT_CSV_JOB_THRESHOLD"],
    )


def _export_name(extension: str) -> str:
    return f"team-matrix-{date.today().isoformat()}.{extension}"


def _record_export(kind: str, filters: matrix.Filters, rows: int) -> None:
    audit.record(
        "report.matrix_exported",
        actor=current_user,
        details={"format": kind, "team_id": filters.team_id, "course_id": filters.course_id, "rows": rows},
    )
    db.session.commit()


@bp.route("/export.csv")
@role_required(*MANAGERS)
def export_csv():
    scope = manager_scope(current_user)
    filters = _filters()
    people = matrix.count_people(scope, filters)
    _record_export("csv", filters, people)
    return download_response(
        stream_with_context(matrix_export.csv_stream(scope, filters)), _export_name("csv"), "text/csv"
    )


@bp.route("/export.xlsx")
@role_required(*MANAGERS)
def export_xlsx():
    scope = manager_scope(current_user)
    filters = _filters()
    result = matrix.all_rows(scope, filters)
    data = matrix_export.xlsx_bytes(result, matrix.scope_label(scope, filters))
    _record_export("xlsx", filters, len(result.rows))
    return download_response(
        data, _export_name("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@bp.route("/exports", methods=["POST"])
@role_required(*MANAGERS)
def prepare_export():
    """Start an export as a background job (XLSX always, CSV when large) and show its progress page."""
    scope = manager_scope(current_user)
    _filters()  # a team outside the viewer's reach answers 404 here, before any job is made
    kind = "export.matrix_xlsx" if request.args.get("format") != "csv" else "export.matrix_csv"
    if not ConfirmForm().validate_on_submit():
        abort(400)
    job = jobs.submit(
        kind,
        {
            "scope": None if scope is None else sorted(scope),
            "filters": {k: v for k, v in request.args.items() if k != "format"},
            "roles": [r.value for r in MANAGERS],
        },
        requested_by=current_user,
    )
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id))


def _assignment_form(scope: set[int] | None, *, empty: bool = False) -> AssignmentForm:
    form = AssignmentForm(formdata=None) if empty else AssignmentForm()
    form.item.choices = options(assignments.item_choices(), _("Choose a course or a learning path"))
    form.team.choices = options(((str(t.id), t.name) for t in teams.teams_in_scope(scope)), "—")
    form.due_rule.choices = options((rule.value, rule.label) for rule in DueRule)
    form.target_type.choices = options(
        (target.value, target.label)
        for target in AssignmentTarget
        if target != AssignmentTarget.JOB_ROLE or can_assign_to_job_role(current_user)
    )
    return form


@bp.route("/assignments")
@role_required(*MANAGERS)
def assignment_list():
    scope = manager_scope(current_user)
    return _render_assignments(scope, _assignment_form(scope, empty=True))


def _render_assignments(scope, form, status=200):
    return render_template(
        "manager/assignments.html",
        assignments=assignments.assignments_in_scope(scope),
        form=form,
        today=date.today(),
    ), status


@bp.route("/assignments", methods=["POST"])
@role_required(*MANAGERS)
def create_assignment():
    scope = manager_scope(current_user)
    form = _assignment_form(scope)
    if form.validate_on_submit() and _past_date_confirmed(form):
        try:
            _assignment, created = assignments.assign_from_input(current_user, scope, form.to_input())
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(
                _("Assignment created.") if created else _("That assignment already existed; its due date is updated."),
                "success",
            )
            return redirect(url_for("manager.assignment_list"))
    return _render_assignments(scope, form, status=400)


def _past_date_confirmed(form: AssignmentForm) -> bool:
    """A fixed date in the past makes everyone overdue at once: ask once more before assigning it."""
    if form.due_rule.data != DueRule.FIXED or form.due_on.data is None or form.due_on.data >= date.today():
        return True
    if form.confirm_past.data:
        return True
    form.due_on.errors = [
        *form.due_on.errors,
        _("This date is in the past: everyone it reaches is overdue at once. Tick the box below to assign it anyway."),
    ]
    form.show_confirm_past = True
    return False


@bp.route("/assignments/<int:assignment_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_assignment(assignment_id: int):
    assignment = get_assignment_or_404(assignment_id)
    form = ConfirmedForm()
    if request.method == "GET" or not form.is_confirmed:
        return render_template(
            "manager/delete_assignment.html", assignment=assignment, form=ConfirmedForm(formdata=None)
        )
    if form.validate_on_submit():
        assignments.remove(current_user, assignment)
        db.session.commit()
        flash(_("Assignment removed. Progress and certificates already earned are kept."), "success")
    return redirect(url_for("manager.assignment_list"))
