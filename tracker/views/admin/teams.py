"""Team administration: the hierarchy of departments and teams, and their managers."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import get_team_or_404, role_required
from ...extensions import db
from ...forms import ConfirmForm, options
from ...forms.teams import TeamForm, TeamManagerForm
from ...models import Role, Team
from ...services import DomainError
from ...services.organisation import teams

bp = Blueprint("teams", __name__, url_prefix="/teams")


def _manager_options(people):
    return ((u.id, f"{u.display_name} ({u.email})") for u in people)


def _team_form(team: Team | None = None, **kwargs) -> TeamForm:
    form = TeamForm(**kwargs)
    form.parent_id.choices = options(
        ((t.id, t.name) for t in teams.parent_choices(team)), _("— none: a top-level team or department —")
    )
    form.manager_id.choices = options(_manager_options(teams.manager_choices()), _("— no manager —"))
    return form


def _input(form: TeamForm) -> teams.TeamInput:
    webhook = form.webhook_url.data if form.webhook_url.raw_data is not None else None
    manager_id = form.manager_id.data if "manager_id" in form else None  # managers are added on the team's page
    return teams.TeamInput(form.name.data or "", form.parent_id.data, manager_id, webhook)


def _render_index(form: TeamForm | None = None, status: int = 200):
    return render_template(
        "admin/teams/index.html",
        tree=teams.team_tree(),
        form=form or _team_form(formdata=None),
    ), status


def _render_edit(
    team: Team,
    form: TeamForm | None = None,
    status: int = 200,
    delete_error: str | None = None,
    manager_form: TeamManagerForm | None = None,
):
    if form is None:
        form = _team_form(team, formdata=None, data={"name": team.name})
        form.parent_id.data = team.parent_id
        form.webhook_url.data = team.webhook_url or ""
    if manager_form is None:
        manager_form = TeamManagerForm(formdata=None)
    choosable = (u for u in teams.manager_choices() if u not in team.managers)
    manager_form.manager_id.choices = options(_manager_options(choosable), _("Choose a manager or admin"))
    return render_template(
        "admin/teams/edit.html",
        team=team,
        form=form,
        manager_form=manager_form,
        delete_error=delete_error,
        members=teams.member_count(team),
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return _render_index()


@bp.route("/", methods=["POST"])
@role_required(Role.ADMIN)
def create():
    form = _team_form()
    if form.validate_on_submit():
        try:
            team = teams.create_team(current_user, _input(form))
        except teams.TeamError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The team “%(name)s” is created.", name=team.name), "success")
            return redirect(url_for("admin.teams.index"))
    return _render_index(form, status=400)


@bp.route("/<int:team_id>")
@role_required(Role.ADMIN)
def edit(team_id: int):
    return _render_edit(get_team_or_404(team_id))


@bp.route("/<int:team_id>", methods=["POST"])
@role_required(Role.ADMIN)
def update(team_id: int):
    team = get_team_or_404(team_id)
    form = _team_form(team)
    del form.manager_id  # the team's managers are added and removed one by one below the form
    if form.validate_on_submit():
        try:
            changes = teams.update_team(current_user, team, _input(form))
        except teams.TeamError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The team “%(name)s” is saved.", name=team.name) if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.teams.index"))
    return _render_edit(team, form, status=400)


@bp.route("/<int:team_id>/managers", methods=["POST"])
@role_required(Role.ADMIN)
def add_manager(team_id: int):
    team = get_team_or_404(team_id)
    form = TeamManagerForm()
    if form.validate_on_submit():
        try:
            added = teams.add_manager(current_user, team, form.manager_id.data)
        except teams.TeamError as exc:
            form.manager_id.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Manager added.") if added else _("Nothing changed."), "success")
            return redirect(url_for("admin.teams.edit", team_id=team.id))
    return _render_edit(team, status=400, manager_form=form)


@bp.route("/<int:team_id>/managers/<int:user_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def remove_manager(team_id: int, user_id: int):
    team = get_team_or_404(team_id)
    if not ConfirmForm().validate_on_submit():
        return _render_edit(team, status=400)
    removed = teams.remove_manager(current_user, team, user_id)
    db.session.commit()
    flash(_("Manager removed.") if removed else _("Nothing changed."), "success")
    return redirect(url_for("admin.teams.edit", team_id=team.id))


@bp.route("/<int:team_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete(team_id: int):
    team = get_team_or_404(team_id)
    if not ConfirmForm().validate_on_submit():
        return _render_edit(team, status=400, delete_error="The form expired; try again.")
    name = team.name
    try:
        teams.delete_team(current_user, team)
    except DomainError as exc:
        return _render_edit(team, status=400, delete_error=str(exc))
    db.session.commit()
    flash(_("The team “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("admin.teams.index"))
