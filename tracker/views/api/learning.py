"""API v1 for learners: who am I, courses, progress and quiz attempts."""

from __future__ import annotations

from flask import Blueprint, abort, url_for
from flask_login import current_user

from ...authz import can_take_quiz, get_attempt_or_404, get_course_view_or_404, get_module_or_404
from ...enums import ReviewLevel
from ...extensions import db, limiter
from ...login import per_person, quiz_limit
from ...models import Attempt as AttemptRow
from ...schemas import learning as schemas
from ...schemas.common import ID_RULE
from ...services import DomainError
from ...services.learning import attempts, catalog, progress
from ...services.learning.structure import CourseView
from ..errors import api_error
from .spec import operation

bp = Blueprint("learning", __name__)

API_LANGUAGE = "en"  # the API speaks English to every integration (tracker/i18n.py)


def _course(course: CourseView) -> schemas.Course:
    return schemas.Course(
        slug=course.slug,
        title=course.title,
        summary=course.summary,
        audience=course.audience,
        estimated_minutes=course.estimated_minutes,
        version=course.version,
        facts_checked=course.facts_checked,
        url=url_for("courses.course", slug=course.slug, _external=True),
        modules=[
            schemas.Module(
                slug=m.slug,
                title=m.title,
                lessons=[schemas.Lesson(slug=les.slug, title=les.title) for les in m.lessons],
                quiz=None
                if m.quiz is None
                else schemas.QuizRules(
                    pass_mark=m.quiz.pass_mark,
                    questions_per_attempt=m.quiz.questions_per_attempt,
                    max_attempts=m.quiz.max_attempts,
                    cooldown_minutes=m.quiz.cooldown_minutes,
                    cooldown_after_failures=m.quiz.cooldown_after_failures,
                    review_after_fail=m.quiz.review_after_fail,
                    review_after_pass=m.quiz.review_after_pass,
                ),
            )
            for m in course.modules
        ],
    )


def _attempt(attempt: AttemptRow) -> schemas.Attempt:
    module = attempt.quiz.module
    common = {
        "id": attempt.id,
        "course": module.course.slug,
        "module": module.slug,
        "number": attempt.number,
        "course_version": attempt.course_version,
        "pass_mark": attempt.pass_mark,
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
    }
    if attempt.is_open:
        # Never the answers while the attempt is open.
        return schemas.Attempt(
            schemas.OpenAttempt(
                **common,
                status="open",
                questions=[
                    schemas.OpenQuestion(
                        key=attempts.public_id(q),
                        kind=q["kind"],
                        prompt=q["prompt"],
                        choices=[schemas.Choice(id=c["id"], text=c["text"]) for c in q["choices"]],
                    )
                    for q in attempt.served
                ],
            )
        )
    # The same review policy as the pages: the owner sees what the quiz allows; an admin reviewing sees it all.
    if can_take_quiz(current_user, attempt):
        review = attempts.review_level(attempt, attempts.quiz_status(current_user, attempt.quiz))
    else:
        review = ReviewLevel.FULL
    return schemas.Attempt(
        schemas.SubmittedAttempt(
            **common,
            status="submitted",
            score=attempt.score,
            passed=attempt.passed,
            correct=attempt.correct_count,
            total=len(attempt.served),
            review=review,
            questions=[] if review == ReviewLevel.SCORE else [_reviewed(attempt, q, review) for q in attempt.served],
        )
    )


def _reviewed(attempt: AttemptRow, q: dict, review: ReviewLevel) -> schemas.ReviewedQuestion:
    """A question of a submitted attempt: whether it was right and, at the full review level only, the choices
    with their key, the selection and the explanation."""
    full = review == ReviewLevel.FULL
    return schemas.ReviewedQuestion(
        key=attempts.public_id(q),
        kind=q["kind"],
        prompt=q["prompt"],
        correct=(attempt.results or {}).get(q["key"], False),
        choices=[schemas.ReviewedChoice(id=c["id"], text=c["text"], correct=c["correct"]) for c in q["choices"]]
        if full
        else None,
        selected=(attempt.answers or {}).get(q["key"], []) if full else None,
        explanation=q["explanation"] if full else None,
    )


@bp.route("/me")
@operation("getMe", {200: (schemas.Me, "The caller's profile")})
def me():
    """The caller's profile"""
    user = current_user
    return schemas.Me(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        team=user.team.name if user.team else None,
        job_role=user.job_role,
        timezone=user.timezone,
    )


@bp.route("/courses")
@operation("listCourses", {200: (schemas.CourseList, "The published courses")})
def courses():
    """Published courses with their modules"""
    return schemas.CourseList(courses=[_course(c) for c in catalog.published_views(API_LANGUAGE)])


@bp.route("/courses/<slug>")
@operation("getCourse", {200: (schemas.Course, "The course")}, errors=(404,))
def course(slug: str):
    """One course with its modules"""
    return _course(get_course_view_or_404(slug, API_LANGUAGE))


@bp.route("/progress")
@operation("getProgress", {200: (schemas.ProgressList, "Progress in every published course")})
def my_progress():
    """The caller's progress in every course"""
    return schemas.ProgressList(
        progress=[
            schemas.CourseProgress(
                course=item.state.course.slug,
                percent=item.state.percent,
                modules_completed=item.state.modules_completed,
                modules_total=len(item.state.modules),
                completed_at=item.completed_at,
                completed_version=item.completed_version,
                modules=[
                    schemas.ModuleProgress(
                        slug=ms.module.slug,
                        lessons_read=ms.read_count,
                        lessons_total=ms.lessons_total,
                        quiz_passed=ms.quiz_passed,
                        best_score=ms.best_score,
                        status=ms.status,
                    )
                    for ms in item.state.modules
                ],
            )
            for item in progress.overview(current_user.id, API_LANGUAGE)
        ]
    )


@bp.route("/courses/<slug>/modules/<module_slug>/attempts", methods=["POST"])
# One budget for pages and API; outside the operation, whose schema reads the view's own signature.
@limiter.shared_limit(quiz_limit, scope="quiz", key_func=per_person)
@operation(
    "startAttempt",
    {201: (schemas.Attempt, "The open attempt: the served questions without their answers")},
    errors=(400, 404, 409, 429),
)
def start_attempt(slug: str, module_slug: str):
    """Start a quiz attempt, or get the one already open"""
    course = get_course_view_or_404(slug, API_LANGUAGE)
    module = get_module_or_404(course, module_slug)
    if module.quiz is None:
        abort(404)
    try:
        attempt = attempts.start_attempt(current_user, module.quiz, language=API_LANGUAGE)
    except DomainError as exc:
        return api_error(409, str(exc), title="Conflict")
    db.session.commit()
    return _attempt(attempt), 201, {"Location": url_for("api.learning.attempt", attempt_id=attempt.id)}


@bp.route(f"/attempts/<{ID_RULE}:attempt_id>")
@operation("getAttempt", {200: (schemas.Attempt, "The attempt: open, or its result and review")}, errors=(404,))
def attempt(attempt_id: int):
    """An attempt: open, or its result and review"""
    attempt = get_attempt_or_404(attempt_id)
    if attempt.is_open and not can_take_quiz(current_user, attempt):
        abort(404)
    return _attempt(attempt)


@bp.route(f"/attempts/<{ID_RULE}:attempt_id>/submit", methods=["POST"])
@limiter.shared_limit(quiz_limit, scope="quiz", key_func=per_person)
@operation(
    "submitAttempt",
    {200: (schemas.Attempt, "Score, pass or fail, and feedback on each question")},
    errors=(400, 404, 429),
    json=schemas.Answers,
)
def submit_attempt(attempt_id: int, json: schemas.Answers):
    """Submit answers; a second submit of the same attempt returns the first result"""
    attempt = get_attempt_or_404(attempt_id, for_taking=True)
    try:
        attempts.submit_attempt(current_user, attempt, json.answers)
    except attempts.IncompleteAnswers as exc:
        return api_error(
            422,
            str(exc),
            title="Incomplete answers",
            fields=[{"field": f"answers.{key}", "message": "Answer this question."} for key in exc.missing],
            missing=exc.missing,
        )
    db.session.commit()
    return _attempt(attempt)
