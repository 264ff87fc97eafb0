"""A person's training record for admins (anyone) and managers (the people of their teams): the page, its CSV, and
the actions on it, each behind a confirmation page: allow another quiz attempt, reopen a course."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..authz import (
    can_act_on_record,
    get_course_view_or_404,
    get_person_in_scope_or_404,
    get_quiz_or_404,
    is_admin,
    role_required,
)
from ..enums import Role
from ..extensions import db
from ..forms.transcripts import AllowAttemptForm, ReopenCourseForm
from ..i18n import current_language
from ..services import DomainError, FieldError, audit, certification
from ..services.learning import attempts, reopening, structure
from ..services.reporting import transcript, transcript_export
from ..services.reporting.records import csv_text
from . import download_response

bp = Blueprint("transcripts", __name__, url_prefix="/transcripts")

VIEWERS = (Role.MANAGER, Role.ADMIN)


def _record_url(person_id: int, slug: str | None = None) -> str:
    return url_for("transcripts.show", user_id=person_id, _anchor=f"course-{slug}" if slug else None)


@bp.route("/<int:user_id>")
@role_required(*VIEWERS)
def show(user_id: int):
    person = get_person_in_scope_or_404(user_id)
    record = transcript.build(person, current_language(), internal=is_admin(current_user))
    return render_template(
        "transcripts/show.html", person=person, record=record, can_act=can_act_on_record(current_user, person)
    )


@bp.route("/<int:user_id>.csv")
@role_required(*VIEWERS)
def download(user_id: int):
    person = get_person_in_scope_or_404(user_id)
    record = transcript.build(person, current_language(), internal=is_admin(current_user))
    audit.record(
        "transcript.downloaded", actor=current_user, target_type="user", target_id=person.id, details={"format": "csv"}
    )
    db.session.commit()
    body = "".join(csv_text(transcript_export.CSV_HEADER, transcript_export.csv_rows(record))).encode("utf-8")
    return download_response(body, transcript_export.file_name(record), "text/csv")


# --- allow another attempt ----------------------------------------------------------------------------------------


@bp.route("/<int:user_id>/quizzes/<int:quiz_id>/allow-attempt", methods=["GET", "POST"])
@role_required(*VIEWERS)
def allow_attempt(user_id: int, quiz_id: int):
    person = get_person_in_scope_or_404(user_id)
    quiz = get_quiz_or_404(quiz_id)
    form = AllowAttemptForm() if request.method == "POST" else AllowAttemptForm(formdata=None)

    def page(status: int = 200, error: str | None = None):
        course = structure.view(quiz.module.course, current_language())
        module = course.module(quiz.module.slug)
        return render_template(
            "transcripts/allow_attempt.html",
            person=person,
            quiz=quiz,
            course=course,
            module_title=module.title if module else quiz.module.title,
            quiz_status=attempts.quiz_status(person, quiz),
            form=form,
            can_act=can_act_on_record(current_user, person),
            error=error,
        ), status

    if request.method == "GET" or not form.is_confirmed:
        return page()
    if not form.validate_on_submit():
        return page(400)
    try:
        _grant, created = attempts.grant_attempt(current_user, person, quiz, form.reason.data or "")
    except DomainError as exc:
        return page(400, str(exc))
    db.session.commit()
    if created:
        flash(_("%(name)s may now start another attempt at this quiz.", name=person.display_name), "success")
    else:
        flash(_("Another attempt was already allowed and is not used yet; nothing more was changed."), "info")
    return redirect(_record_url(person.id, quiz.module.course.slug))


# --- reopen a course ----------------------------------------------------------------------------------------------


@bp.route("/<int:user_id>/courses/<slug>/reopen", methods=["GET", "POST"])
@role_required(*VIEWERS)
def reopen(user_id: int, slug: str):
    person = get_person_in_scope_or_404(user_id)
    course = get_course_view_or_404(slug, current_language())
    cycle = reopening.current_cycle(person.id, course.id)
    form = ReopenCourseForm() if request.method == "POST" else ReopenCourseForm(formdata=None, cycle=cycle)

    def page(status: int = 200, error: str | None = None):
        return render_template(
            "transcripts/reopen.html",
            person=person,
            course=course,
            cycle=cycle,
            certificate=certification.current_certificate(person.id, course.id),
            has_quiz=any(m.quiz is not None for m in course.modules),
            form=form,
            can_act=can_act_on_record(current_user, person),
            error=error,
        ), status

    if request.method == "GET" or not form.is_confirmed:
        return page()
    if not form.validate_on_submit():
        return page(400)
    try:
        row = reopening.reopen_course(current_user, person, course, form.reason.data, cycle=form.cycle.data)
    except reopening.AlreadyReopened as exc:
        flash(str(exc), "info")
        return redirect(_record_url(person.id, course.slug))
    except FieldError as exc:
        form.error_on(exc.field, str(exc))
        return page(400)
    except DomainError as exc:
        return page(400, str(exc))
    db.session.commit()
    flash(
        _(
            "“%(course)s” is reopened for %(name)s (cycle %(cycle)s): they can take it again and earn a new "
            "certificate.",
            course=course.title,
            name=person.display_name,
            cycle=row.cycle,
        ),
        "success",
    )
    return redirect(_record_url(person.id, course.slug))
