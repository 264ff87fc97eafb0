"""Catalogue, course pages, lessons and the quiz overview of a module."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..authz import get_course_view_or_404, get_lesson_or_404, get_module_or_404
from ..enums import StepKind
from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..i18n import current_language
from ..login import per_person, quiz_limit
from ..models import Course
from ..services import DomainError, certification
from ..services.certification import sharing, standing
from ..services.learning import attempts, catalog, lessons, progress
from ..services.learning import dashboard as learner_dashboard

bp = Blueprint("courses", __name__, url_prefix="/courses")


def step_url(course: Course, step: progress.NextStep) -> str:
    if step.kind == StepKind.LESSON:
        return url_for("courses.lesson", slug=course.slug, module_slug=step.module.slug, lesson_slug=step.lesson.slug)
    if step.kind == StepKind.QUIZ:
        return url_for("courses.quiz", slug=course.slug, module_slug=step.module.slug)
    return url_for("courses.course", slug=course.slug)


@bp.record_once
def _helpers(state) -> None:
    # A template global, not a context processor: macro files loaded without a page's context use it too.
    state.app.jinja_env.globals["step_url"] = step_url


@bp.route("/")
@login_required
def catalogue():
    courses = catalog.published_views(current_language())
    return render_template(
        "courses/catalogue.html",
        courses=courses,
        titles={course.id: course.title for course in courses},
        paths=catalog.learning_paths(),
        states=progress.course_states(current_user.id, courses),
    )


@bp.route("/<slug>")
@login_required
def course(slug: str):
    course = get_course_view_or_404(slug, current_language())
    state = progress.course_state(current_user.id, course)
    cert = certification.current_certificate(current_user.id, course.id)
    can_renew = certification.can_renew(cert)
    return render_template(
        "courses/course.html",
        course=course,
        state=state,
        next_step=state.next_step(),
        certificate=cert,
        after_revocation=standing.after_revocation(current_user.id, [cert]).get(cert.id) if cert else None,
        can_renew=can_renew,
        form=ConfirmForm() if can_renew else None,  # the renewal form: most visits have none to show
    )


@bp.route("/<slug>/complete")
@login_required
def complete(slug: str):
    """Where finishing a course ends: the certificate, how to share it, and what to take next."""
    course = get_course_view_or_404(slug, current_language())
    state = progress.course_state(current_user.id, course)
    cert = certification.current_certificate(current_user.id, course.id)
    if not state.complete or (cert is not None and cert.revoked_at is not None):
        return redirect(url_for("courses.course", slug=course.slug))  # the course page says where things stand
    return render_template(
        "courses/complete.html",
        course=course,
        state=state,
        certificate=cert,
        verify_url=sharing.verify_url(cert) if cert else None,
        linkedin_url=sharing.linkedin_add_url(cert) if cert else None,
        next_course=learner_dashboard.next_after(current_user, course.id, current_language()),
        attempt_id=request.args.get("attempt", type=int),  # the quiz just passed, to review its answers
    )


@bp.route("/<slug>/renew", methods=["POST"])
@login_required
def renew(slug: str):
    course = get_course_view_or_404(slug, current_language())
    if ConfirmForm().validate_on_submit():
        try:
            certification.start_renewal(current_user, course)
        except DomainError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Recertification started: pass each module quiz again to earn a new certificate."), "success")
    return redirect(url_for("courses.course", slug=course.slug))


@bp.route("/<slug>/modules/<module_slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, module_slug: str, lesson_slug: str):
    course = get_course_view_or_404(slug, current_language())
    module = get_module_or_404(course, module_slug)
    lesson = get_lesson_or_404(module, lesson_slug)
    sequence = course.lesson_sequence()
    index = next(i for i, (_module, les) in enumerate(sequence) if les.id == lesson.id)
    return render_template(
        "courses/lesson.html",
        course=course,
        module=module,
        lesson=lesson,
        previous=sequence[index - 1] if index > 0 else None,
        following=sequence[index + 1] if index + 1 < len(sequence) else None,
        is_read=progress.has_read(current_user.id, lesson.id),
        is_last_in_module=lesson.id == module.lessons[-1].id,
        opened=lessons.opened_stamp(current_user, lesson.id),
    )


@bp.route("/<slug>/modules/<module_slug>/lessons/<lesson_slug>/read", methods=["POST"])
@login_required
def mark_read(slug: str, module_slug: str, lesson_slug: str):
    course = get_course_view_or_404(slug, current_language())
    module = get_module_or_404(course, module_slug)
    lesson = get_lesson_or_404(module, lesson_slug)
    if ConfirmForm().validate_on_submit():
        opened = lessons.opened_at(request.form.get("opened"), current_user, lesson.id)
        lessons.read_lesson(current_user, lesson, course=course, opened=opened)
        db.session.commit()
    # Straight on to the next step of the course (the next lesson, or this module's quiz), or its completion page.
    state = progress.course_state(current_user.id, course)
    if state.complete:
        return redirect(url_for("courses.complete", slug=course.slug))
    return redirect(step_url(course, state.next_step()))


@bp.route("/<slug>/modules/<module_slug>/quiz")
@login_required
def quiz(slug: str, module_slug: str):
    course = get_course_view_or_404(slug, current_language())
    module = get_module_or_404(course, module_slug)
    if module.quiz is None:
        return redirect(url_for("courses.course", slug=course.slug))
    return render_template(
        "courses/quiz.html",
        course=course,
        module=module,
        quiz=module.quiz,
        status=attempts.quiz_status(current_user, module.quiz, lesson_ids=[lesson.id for lesson in module.lessons]),
    )


@bp.route("/<slug>/modules/<module_slug>/quiz/start", methods=["POST"])
@login_required
@limiter.shared_limit(quiz_limit, scope="quiz", key_func=per_person)  # one budget for pages and API
def start_quiz(slug: str, module_slug: str):
    course = get_course_view_or_404(slug, current_language())
    module = get_module_or_404(course, module_slug)
    if module.quiz is None or not ConfirmForm().validate_on_submit():
        return redirect(url_for("courses.quiz", slug=course.slug, module_slug=module.slug))
    try:
        attempt = attempts.start_attempt(current_user, module.quiz, language=current_language())
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("courses.quiz", slug=course.slug, module_slug=module.slug))
    db.session.commit()
    return redirect(url_for("attempts.show", attempt_id=attempt.id))
