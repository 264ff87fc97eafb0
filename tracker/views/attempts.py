"""Taking a quiz attempt and reviewing its result."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..authz import can_take_quiz, get_attempt_or_404
from ..enums import ReviewLevel
from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..i18n import current_language
from ..login import per_person, quiz_limit
from ..services.learning import attempts, progress, structure

bp = Blueprint("attempts", __name__, url_prefix="/attempts")


def answers_from_form() -> dict[str, list[str]]:
    """Radio buttons and checkboxes are named `q-<question's public id>`; their values are choice ids."""
    return {key[2:]: request.form.getlist(key) for key in request.form if key.startswith("q-")}


def _render(attempt, *, answers=None, missing=(), status=200):
    course = structure.view(attempt.quiz.module.course, current_language())
    # A retired module is no longer in the course: its old attempts still show, with the module's own title.
    module = course.module(attempt.quiz.module.slug) or attempt.quiz.module
    own = can_take_quiz(current_user, attempt)
    quiz_status = None if attempt.is_open or not own else attempts.quiz_status(current_user, attempt.quiz)
    return render_template(
        "attempts/show.html",
        attempt=attempt,
        module=module,
        course=course,
        answers=answers or {},
        missing=set(missing),
        form=ConfirmForm(),
        own=own,
        quiz_status=quiz_status,
        # A pass in a completed course leads on to the completion page (certificate, what is next).
        course_complete=own and bool(attempt.passed) and progress.completed_at(current_user.id, course.id) is not None,
        # The learner sees what the quiz's review policy allows; an admin reviewing someone's attempt sees it all.
        review=attempts.review_level(attempt, quiz_status) if own else ReviewLevel.FULL,
    ), status


@bp.route("/<int:attempt_id>")
@login_required
def show(attempt_id: int):
    attempt = get_attempt_or_404(attempt_id)
    if attempt.is_open and not can_take_quiz(current_user, attempt):
        return redirect(url_for("learner.dashboard"))
    return _render(attempt, answers=attempts.public_answers(attempt))


@bp.route("/<int:attempt_id>", methods=["POST"])
@login_required
@limiter.shared_limit(quiz_limit, scope="quiz", key_func=per_person)  # one budget for pages and API
def submit(attempt_id: int):
    attempt = get_attempt_or_404(attempt_id, for_taking=True)
    if not ConfirmForm().validate_on_submit():
        return _render(attempt, answers=answers_from_form(), status=400)
    given = answers_from_form()
    try:
        attempts.submit_attempt(current_user, attempt, given)
    except attempts.IncompleteAnswers as exc:
        # Keep every answer already chosen (on the page, and saved for a later visit); point at the missing ones.
        attempts.save_answers(attempt, given)
        db.session.commit()
        return _render(attempt, answers=given, missing=exc.missing, status=400)
    db.session.commit()
    course = attempt.quiz.module.course
    if attempt.passed and progress.completed_at(current_user.id, course.id) == attempt.submitted_at:
        # This pass completed the course: end on the completion page, not on a dead end.
        return redirect(url_for("courses.complete", slug=course.slug, attempt=attempt.id))
    return redirect(url_for("attempts.show", attempt_id=attempt.id))


@bp.route("/<int:attempt_id>/answers", methods=["POST"])
@login_required
def save_answers(attempt_id: int):
    """Keep the chosen answers on the open attempt, ungraded: "Save and leave" (a plain form post, then back to the
    course) or the page's auto-save (a fetch, answered 204)."""
    attempt = get_attempt_or_404(attempt_id, for_taking=True)
    background = request.headers.get("X-Requested-With") == "fetch"
    if not ConfirmForm().validate_on_submit():
        return ("", 400) if background else _render(attempt, answers=answers_from_form(), status=400)
    saved = attempts.save_answers(attempt, answers_from_form())
    db.session.commit()
    if background:
        return "", 204 if saved else 409
    if saved:
        flash(_("Your answers are saved. Come back to the quiz to finish and submit it."), "success")
        return redirect(url_for("courses.course", slug=attempt.quiz.module.course.slug))
    return redirect(url_for("attempts.show", attempt_id=attempt.id))
