"""Training requirements per AI system and/or job role; the assignments that follow are kept in step."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import get_requirement_or_404, role_required
from ...enums import Role
from ...extensions import db
from ...forms import ConfirmForm, options
from ...forms.programme import RequirementForm
from ...inputs import is_digits
from ...services import FieldError
from ...services.programme import inventory
from ...services.programme import requirements as service

bp = Blueprint("requirements", __name__, url_prefix="/requirements")


def _form(**kwargs) -> RequirementForm:
    form = RequirementForm(**kwargs)
    form.system_id.choices = options(
        ((str(s.id), s.name) for s in inventory.systems(include_retired=False)), _("— any: the job role alone —")
    )
    form.item.choices = options(service.item_choices(), _("Choose a course, a learning path or a policy"))
    return form


def _render(form: RequirementForm, status: int = 200):
    return render_template(
        "admin/requirements/index.html",
        requirements=service.requirements_list(),
        reached=service.auto_assignment_counts(),
        form=form,
        job_roles=inventory.job_role_choices(),
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return _render(_form(formdata=None))


@bp.route("/", methods=["POST"])
@role_required(Role.ADMIN)
def create():
    form = _form()
    if form.validate_on_submit():
        raw_system = form.system_id.data or ""
        data = service.RequirementInput(
            item=form.item.data,
            system_id=int(raw_system) if is_digits(raw_system) else None,
            job_role=form.job_role.data,
            due_days=form.due_days.data,
        )
        try:
            service.create_requirement(current_user, data)
            result = service.sync(current_user)
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(_("Requirement added; %(created)s assignments follow from it.", created=result.created), "success")
            return redirect(url_for("admin.requirements.index"))
    return _render(form, status=400)


@bp.route("/<int:requirement_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete(requirement_id: int):
    requirement = get_requirement_or_404(requirement_id)
    if ConfirmForm().validate_on_submit():
        ended = service.remove_requirement(current_user, requirement)
        db.session.commit()
        flash(
            _(
                "Requirement removed; %(ended)s assignments that followed from it ended. Progress and certificates "
                "are kept.",
                ended=ended,
            ),
            "success",
        )
    return redirect(url_for("admin.requirements.index"))


@bp.route("/sync", methods=["POST"])
@role_required(Role.ADMIN)
def sync():
    if ConfirmForm().validate_on_submit():
        result = service.sync(current_user)
        db.session.commit()
        flash(
            _(
                "Assignments brought in line: %(created)s started, %(ended)s ended.",
                created=result.created,
                ended=result.ended,
            ),
            "success",
        )
    return redirect(url_for("admin.requirements.index"))
