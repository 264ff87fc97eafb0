"""People administration: accounts, roles, deactivation, password resets and CSV import."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ...authz import get_name_request_or_404, get_person_or_404, role_required
from ...extensions import db
from ...forms import ConfirmForm
from ...forms.certificates import DecisionForm
from ...forms.people import (
    ImportConfirmForm,
    ImportUploadForm,
    PeopleFilterForm,
    PersonCreateForm,
    PersonEditForm,
    team_id,
    team_select_choices,
)
from ...i18n import LANGUAGES
from ...inputs import bounded_int
from ...models import Role, User
from ...services import DomainError
from ...services.identity import two_factor
from ...services.organisation import names, people
from ...services.organisation.people import FieldError, csv_rows, imports

bp = Blueprint("people", __name__, url_prefix="/people")

# --- list -------------------------------------------------------------------------------------------------------


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    form = PeopleFilterForm(request.args)
    form.team.choices = team_select_choices(people.team_choices(), _("Any team"))
    form.validate()
    for f in (form.q, form.team, form.role, form.status):
        if f.errors:  # an unknown filter value is ignored rather than refused
            f.data = ""
    criteria = people.PeopleFilter(
        search=(form.q.data or "").strip(),
        team_id=team_id(form.team.data),
        role=form.role.data or None,
        status=form.status.data or None,
        page=bounded_int(request.args.get("page"), 1),
    )
    result = people.list_people(criteria)
    given = {"q": criteria.search, "team": form.team.data, "role": form.role.data, "status": form.status.data}
    filters = {key: value for key, value in given.items() if value}  # kept in the pager's links
    return render_template("admin/people/index.html", form=form, result=result, filters=filters)


# --- create and edit --------------------------------------------------------------------------------------------


def _with_teams(form):
    form.team.choices = team_select_choices(people.team_choices(), _("No team"))
    if hasattr(form, "language"):
        form.language.choices = [("", _("The organisation's language"))] + list(LANGUAGES.items())
    return form


def _show_field_error(form, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if isinstance(exc, FieldError) else None
    (target or form.email).errors.append(str(exc))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create():
    form = _with_teams(PersonCreateForm())
    if form.validate_on_submit():
        data = people.NewPerson(
            email=form.email.data,
            display_name=form.display_name.data,
            role=form.role.data,
            team_id=team_id(form.team.data),
            job_role=form.job_role.data,
            password=form.password.data if form.password_choice.data == "set" else None,
        )
        try:
            person, one_time_password = people.create_person(data, current_user)
        except people.AlreadyCreated as exc:
            flash(str(exc), "info")
            return redirect(url_for("admin.people.edit", user_id=exc.person.id))
        except DomainError as exc:
            _show_field_error(form, exc)
        else:
            db.session.commit()
            if one_time_password:
                # Shown on this response only: never in a flash cookie, never stored in plain text.
                return render_template(
                    "admin/people/password.html", person=person, password=one_time_password, created=True
                ), 201
            flash(_("The account for %(display_name)s is created.", display_name=person.display_name), "success")
            return redirect(url_for("admin.people.edit", user_id=person.id))
    return render_template("admin/people/new.html", form=form), 400 if form.is_submitted() else 200


def _render_person(person: User, form=None, action_error: str | None = None, status: int = 200):
    if form is None:
        form = _with_teams(
            PersonEditForm(
                formdata=None,
                data={
                    "email": person.email,
                    "display_name": person.display_name,
                    "role": person.role,
                    "team": str(person.team_id) if person.team_id else "",
                    "job_role": person.job_role or "",
                    "language": person.locale or "",
                    "certificate_name": person.name_on_certificates,
                },
            )
        )
    return render_template(
        "admin/people/edit.html",
        person=person,
        form=form,
        action_error=action_error,
        is_self=person.id == current_user.id,
        has_second_factor=two_factor.credential_of(person) is not None,
    ), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(user_id: int):
    person = get_person_or_404(user_id)
    if request.method == "GET":
        return _render_person(person)
    form = _with_teams(PersonEditForm())
    if form.validate_on_submit():
        changes = people.PersonChanges(
            email=form.email.data,
            display_name=form.display_name.data,
            role=form.role.data,
            team_id=team_id(form.team.data),
            job_role=form.job_role.data,
            language=form.language.data,
            certificate_name=form.certificate_name.data,
        )
        try:
            people.update_person(person, changes, current_user)
        except DomainError as exc:  # raised before anything changes
            _show_field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The account of %(display_name)s is saved.", display_name=person.display_name), "success")
            return redirect(url_for("admin.people.edit", user_id=person.id))
    return _render_person(person, form=form, status=400)


# --- deactivation and password reset ----------------------------------------------------------------------------


def _state_change(user_id: int, change, success: str):
    person = get_person_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_person(person, action_error=_("The form had expired; try again."), status=400)
    try:
        outcome = change(person, current_user)
    except DomainError as exc:
        return _render_person(person, action_error=str(exc), status=400)
    db.session.commit()
    flash(success(person.display_name, outcome), "success")
    return redirect(url_for("admin.people.edit", user_id=person.id))


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    return _state_change(
        user_id,
        people.deactivate,
        lambda name, outcome: ngettext(
            "%(name)s is deactivated: signed out everywhere, and %(num)d API token revoked.",
            "%(name)s is deactivated: signed out everywhere, and %(num)d API tokens revoked.",
            outcome,
            name=name,
        ),
    )


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@role_required(Role.ADMIN)
def reactivate(user_id: int):
    return _state_change(user_id, people.reactivate, lambda name, outcome: _("%(name)s can sign in again.", name=name))


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@role_required(Role.ADMIN)
def reset_password(user_id: int):
    person = get_person_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_person(person, action_error=_("The form had expired; try again."), status=400)
    try:
        password = people.reset_password(person, current_user)
    except DomainError as exc:
        return _render_person(person, action_error=str(exc), status=400)
    db.session.commit()
    # Shown on this response only: never in a flash cookie, never stored in plain text.
    return render_template("admin/people/password.html", person=person, password=password, created=False)


@bp.route("/<int:user_id>/reset-two-factor", methods=["POST"])
@role_required(Role.ADMIN)
def reset_two_factor(user_id: int):
    return _state_change(
        user_id,
        two_factor.reset,
        lambda name, outcome: _("The second factor of %(name)s is reset; they are signed out everywhere.", name=name),
    )


# --- CSV import -------------------------------------------------------------------------------------------------


def _render_upload(form=None, status: int = 200):
    return render_template(
        "admin/people/import.html",
        form=form or ImportUploadForm(formdata=None),
        max_rows=csv_rows.MAX_ROWS,
        columns=csv_rows.COLUMNS,
    ), status


def _render_preview(plan: imports.ImportPlan, changed_since: bool = False):
    confirm_form = too_large = None
    if plan.ok:
        payload = imports.sign_file(plan.text, plan.filename, current_app.config["SECRET_KEY"])
        # The signed file comes back as a form field, which the request parser bounds; leave room for the rest.
        limit = current_app.config.get("MAX_FORM_MEMORY_SIZE") or 500_000
        too_large = len(payload) > limit - 4096
        confirm_form = ImportConfirmForm(formdata=None, payload=payload)
    return render_template(
        "admin/people/preview.html",
        plan=plan,
        confirm_form=None if too_large else confirm_form,
        too_large=too_large,
        changed_since=changed_since,
    ), 200 if plan.ok else 400


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_upload():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render_upload(form, status=400 if form.is_submitted() else 200)
    upload = form.file.data
    try:
        plan = imports.preview(upload.read(), upload.filename or "")
    except DomainError as exc:
        form.file.errors.append(str(exc))
        return _render_upload(form, status=400)
    return _render_preview(plan)


@bp.route("/import/confirm", methods=["POST"])
@role_required(Role.ADMIN)
def import_confirm():
    form = ImportConfirmForm()
    upload_form = ImportUploadForm(formdata=None)
    if not form.validate_on_submit():
        upload_form.file.errors = ["The confirmation was incomplete; upload the file again."]
        return _render_upload(upload_form, status=400)
    try:
        plan, result = imports.confirm(form.payload.data, current_app.config["SECRET_KEY"], current_user)
        if result is not None:
            db.session.commit()
    except DomainError as exc:
        upload_form.file.errors = [str(exc)]
        return _render_upload(upload_form, status=400)
    except IntegrityError:
        # Someone else created the same people or teams at the same moment; nothing of this import was kept.
        db.session.rollback()
        upload_form.file.errors = [_("People or teams changed while importing; nothing was imported. Try again.")]
        return _render_upload(upload_form, status=409)
    if result is None:
        return _render_preview(plan, changed_since=True)
    if plan.filename:
        flash(_("Import of %(file)s done: %(summary)s", file=plan.filename, summary=result.summary()), "success")
    else:
        flash(_("Import done: %(summary)s", summary=result.summary()), "success")
    return redirect(url_for("admin.people.index"))


# --- names on certificates ----------------------------------------------------------------------------------------


@bp.route("/name-requests/<int:request_id>/approve", methods=["POST"])
@role_required(Role.ADMIN)
def approve_name(request_id: int):
    name_request = get_name_request_or_404(request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            reissued = names.approve(name_request, current_user, form.note.data or "")
        except DomainError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The name on certificates of %(name)s is changed; %(num)d certificate reissued.",
                    "The name on certificates of %(name)s is changed; %(num)d certificates reissued.",
                    reissued,
                    name=name_request.user.display_name,
                ),
                "success",
            )
    return redirect(url_for("admin.certificates.index"))


@bp.route("/name-requests/<int:request_id>/reject", methods=["POST"])
@role_required(Role.ADMIN)
def reject_name(request_id: int):
    name_request = get_name_request_or_404(request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            names.reject(name_request, current_user, form.note.data or "")
        except DomainError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The request of %(name)s is rejected.", name=name_request.user.display_name), "success")
    return redirect(url_for("admin.certificates.index"))
