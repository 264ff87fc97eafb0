"""The inventory of AI systems: list, create, edit, retire, and the history of every change."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import get_ai_system_or_404, role_required
from ...enums import RiskClass, Role
from ...extensions import db
from ...forms import ConfirmForm, options
from ...forms.programme import SystemForm
from ...models import AISystem
from ...services import FieldError
from ...services.organisation import teams
from ...services.programme import inventory, requirements

bp = Blueprint("systems", __name__, url_prefix="/ai-systems")


def _form(**kwargs) -> SystemForm:
    form = SystemForm(**kwargs)
    form.team_ids.choices = options((t.id, t.name) for t in teams.teams_in_scope(None))
    return form


def _render_form(form: SystemForm, system: AISystem | None = None, status: int = 200):
    return render_template(
        "admin/systems/edit.html",
        form=form,
        system=system,
        history=inventory.history(system) if system else [],
        risk_classes=list(RiskClass),
        job_roles=inventory.job_role_choices(),
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/systems/index.html", systems=inventory.systems())


@bp.route("/new")
@role_required(Role.ADMIN)
def new():
    return _render_form(_form(formdata=None))


@bp.route("/", methods=["POST"])
@role_required(Role.ADMIN)
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            system = inventory.create_system(current_user, form.to_input())
            requirements.sync(current_user)
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(_("“%(name)s” is in the inventory.", name=system.name), "success")
            return redirect(url_for("admin.systems.edit", system_id=system.id))
    return _render_form(form, status=400)


@bp.route("/<int:system_id>")
@role_required(Role.ADMIN)
def edit(system_id: int):
    system = get_ai_system_or_404(system_id)
    form = _form(formdata=None)
    form.fill(inventory.as_input(system))
    return _render_form(form, system)


@bp.route("/<int:system_id>", methods=["POST"])
@role_required(Role.ADMIN)
def update(system_id: int):
    system = get_ai_system_or_404(system_id)
    form = _form()
    if form.validate_on_submit():
        try:
            changes = inventory.update_system(current_user, system, form.to_input())
            if changes:
                requirements.sync(current_user)
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(_("“%(name)s” is saved.", name=system.name) if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.systems.edit", system_id=system.id))
    return _render_form(form, system, status=400)


@bp.route("/<int:system_id>/retire", methods=["POST"])
@role_required(Role.ADMIN)
def retire(system_id: int):
    system = get_ai_system_or_404(system_id)
    if ConfirmForm().validate_on_submit() and inventory.retire_system(current_user, system):
        result = requirements.sync(current_user)
        db.session.commit()
        flash(
            _(
                "“%(name)s” is retired; %(ended)s assignments that followed from it ended.",
                name=system.name,
                ended=result.ended,
            ),
            "success",
        )
    return redirect(url_for("admin.systems.edit", system_id=system.id))
