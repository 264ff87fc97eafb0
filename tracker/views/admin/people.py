"""People administration: accounts, roles, deactivation, password resets and CSV import."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ...authz import get_name_request_or_404, get_person_or_404, role_required
from ...extensions import db
from ...forms import ConfirmedForm, ConfirmForm, options
from ...forms.certificates import DecisionForm
from ...forms.people import (
    BulkPeopleForm,
    ImportConfirmForm,
    ImportUploadForm,
    PeopleFilterForm,
    PersonCreateForm,
    PersonEditForm,
    team_id,
)
from ...i18n import LANGUAGES
from ...inputs import bounded_int, is_digits
from ...models import Role, User
from ...services import DomainError, invitations, jobs
from ...services.identity import two_factor
from ...services.organisation import names, people
from ...services.organisation.people import FieldError, csv_rows, imports

bp = Blueprint("people", __name__, url_prefix="/people")

# --- list -------------------------------------------------------------------------------------------------------


def _team_options(empty: str):
    return options(((str(team_id), name) for team_id, name in people.team_choices()), empty)


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    form = PeopleFilterForm(request.args)
    form.team.choices = _team_options(_("Any team"))
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
    return render_template(
        "admin/people/index.html",
        form=form,
        result=result,
        filters=filters,
        bulk_form=_bulk_form(empty=True),
        pending_invitations=invitations.pending_count(),
    )


def _bulk_form(*, empty: bool = False) -> BulkPeopleForm:
    form = BulkPeopleForm(formdata=None) if empty else BulkPeopleForm()
    form.course.choices = options(((str(cid), title) for cid, title in people.course_choices()), _("Choose a course"))
    return form


@bp.route("/bulk", methods=["POST"])
@role_required(Role.ADMIN)
def bulk():
    form = _bulk_form()
    if not form.validate_on_submit():
        flash(_("Choose an action and tick at least one person."), "error")
        return redirect(url_for("admin.people.index"))
    course = form.course.data
    try:
        outcome = people.bulk_action(
            form.action.data,
            form.user_ids.data or [],
            current_user,
            course_id=int(course) if course and is_digits(course) else None,
            due_days=form.due_days.data,
        )
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.people.index"))
    db.session.commit()
    if outcome.job_id is not None:
        flash(ngettext("Sending %(num)d invitation.", "Sending %(num)d invitations.", outcome.done), "success")
    else:
        flash(
            ngettext("Done for %(num)d person", "Done for %(num)d people", outcome.done)
            + (" " + ngettext("(%(num)d skipped).", "(%(num)d skipped).", outcome.skipped) if outcome.skipped else "."),
            "success",
        )
    return redirect(url_for("admin.people.index"))


@bp.route("/send-invitations", methods=["POST"])
@role_required(Role.ADMIN)
def send_invitations():
    """One click for everyone never invited who never signed in (after a CSV import, say)."""
    if ConfirmForm().validate_on_submit():
        count = invitations.pending_count()
        jobs.submit("invitations.send", {}, requested_by=current_user)
        db.session.commit()
        flash(ngettext("Sending %(num)d invitation.", "Sending %(num)d invitations.", count), "success")
    return redirect(url_for("admin.people.index"))


@bp.route("/<int:user_id>/invite", methods=["POST"])
@role_required(Role.ADMIN)
def invite(user_id: int):
    person = get_person_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_person(person, action_error=_("The form had expired; try again."), status=400)
    try:
        message = invitations.invite(person, current_user)
    except DomainError as exc:
        return _render_person(person, action_error=str(exc), status=400)
    db.session.commit()
    if message is None:
        flash(_("An invitation was sent to %(email)s today already.", email=person.email), "info")
    else:
        flash(_("An invitation is on its way to %(email)s.", email=person.email), "success")
    return redirect(url_for("admin.people.edit", user_id=person.id))


# --- create and edit --------------------------------------------------------------------------------------------


def _with_teams(form):
    form.team.choices = _team_options(_("No team"))
    if hasattr(form, "language"):
        form.language.choices = options(LANGUAGES.items(), _("The organisation's language"))
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
            invite=form.password_choice.data == "invite",
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
            if data.invite:
                flash(
                    _(
                        "The account for %(display_name)s is created and an invitation is on its way to %(email)s.",
                        display_name=person.display_name,
                        email=person.email,
                    ),
                    "success",
                )
            else:
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


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    if request.method == "GET" or not ConfirmedForm().is_confirmed:
        person = get_person_or_404(user_id)
        return render_template(
            "admin/people/deactivate.html",
            person=person,
            form=ConfirmedForm(formdata=None),
            is_self=person.id == current_user.id,
        )
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
