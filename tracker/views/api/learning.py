"""API v1 for learners: who am I, courses, progress and quiz attempts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request, url_for
from flask_login import current_user

from ...authz import can_take_quiz, get_attempt_or_404, get_course_view_or_404, get_module_or_404
from ...enums import ReviewLevel
from ...extensions import db, limiter
from ...login import per_person, quiz_limit
from ...models import Attempt, Course
from ...services import DomainError
from ...services.learning import attempts, catalog, progress

bp = Blueprint("learning", __name__)

API_LANGUAGE = "en"  # the API speaks English to every integration (tracker/i18n.py)


def _course_json(course: Course, *, with_modules: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "audience": course.audience,
        "estimated_minutes": course.estimated_minutes,
        "version": course.version,
        "facts_checked": course.facts_checked.isoformat() if course.facts_checked else None,
        "url": url_for("courses.course", slug=course.slug, _external=True),
    }
    if with_modules:
        data["modules"] = [
            {
                "slug": m.slug,
                "title": m.title,
                "lessons": [{"slug": les.slug, "title": les.title} for les in m.lessons],
                "quiz": None
                if m.quiz is None
                else {
                    "pass_mark": m.quiz.pass_mark,
                    "questions_per_attempt": m.quiz.questions_per_attempt,
                    "max_attempts": m.quiz.max_attempts,
                    "cooldown_minutes": m.quiz.cooldown_minutes,
                },
            }
            for m in course.modules
        ]
    return data


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    module = attempt.quiz.module
    data: dict[str, Any] = {
        "id": attempt.id,
        "course": module.course.slug,
        "module": module.slug,
        "number": attempt.number,
        "course_version": attempt.course_version,
        "pass_mark": attempt.pass_mark,
        "started_at": attempt.started_at.isoformat(),
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "status": "open" if attempt.is_open else "submitted",
    }
    if attempt.is_open:
        # Never the answers while the attempt is open.
        data["questions"] = [
            {
                "key": q["key"],
                "kind": q["kind"],
                "prompt": q["prompt"],
                "choices": [{"id": c["id"], "text": c["text"]} for c in q["choices"]],
            }
            for q in attempt.served
        ]
        return data
    # The same review policy as the pages: the owner sees what the quiz allows; an admin reviewing sees it all.
    if can_take_quiz(current_user, attempt):
        review = attempts.review_level(attempt, attempts.quiz_status(current_user, attempt.quiz))
    else:
        review = ReviewLevel.FULL
    data.update(
        {
            "score": attempt.score,
            "passed": attempt.passed,
            "correct": attempt.correct_count,
            "total": len(attempt.served),
            "review": review.value,
            "questions": [_reviewed_question(attempt, q, review) for q in attempt.served]
            if review != ReviewLevel.SCORE
            else [],
        }
    )
    return data


def _reviewed_question(attempt: Attempt, q: dict[str, Any], review: ReviewLevel) -> dict[str, Any]:
    item = {
        "key": q["key"],
        "kind": q["kind"],
        "prompt": q["prompt"],
        "correct": (attempt.results or {}).get(q["key"], False),
    }
    if review == ReviewLevel.FULL:
        item["choices"] = [{"id": c["id"], "text": c["text"], "correct": c["correct"]} for c in q["choices"]]
        item["selected"] = (attempt.answers or {}).get(q["key"], [])
        item["explanation"] = q["explanation"]
    return item


@bp.route("/me")
def me():
    user = current_user
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "team": user.team.name if user.team else None,
        "job_role": user.job_role,
        "timezone": user.timezone,
    }


@bp.route("/courses")
def courses():
    return {"courses": [_course_json(c, with_modules=True) for c in catalog.published_views(API_LANGUAGE)]}


@bp.route("/courses/<slug>")
def course(slug: str):
    return _course_json(get_course_view_or_404(slug, API_LANGUAGE), with_modules=True)


@bp.route("/progress")
def my_progress():
    return {
        "progress": [
            {
                "course": item.state.course.slug,
                "percent": item.state.percent,
                "modules_completed": item.state.modules_completed,
                "modules_total": len(item.state.modules),
                "completed_at": item.completed_at.isoformat() if item.completed_at else None,
                "completed_version": item.completed_version,
                "modules": [
                    {
                        "slug": ms.module.slug,
                        "lessons_read": ms.read_count,
                        "lessons_total": ms.lessons_total,
                        "quiz_passed": ms.quiz_passed,
                        "best_score": ms.best_score,
                        "status": ms.status,
                    }
                    for ms in item.state.modules
                ],
            }
            for item in progress.overview(current_user.id, API_LANGUAGE)
        ]
    }


@bp.route("/courses/<slug>/modules/<module_slug>/attempts", methods=["POST"])
@limiter.shared_limit(quiz_limit, scope="quiz", key_func=per_person)  # one budget for pages and API
def start_attempt(slug: str, module_slug: str):
    course = get_course_view_or_404(slug, API_LANGUAGE)
    module = get_module_or_404(course, module_slug)
    if module.quiz is None:
        abort(404)
    try:
        attempt = attempts.start_attempt(current_user, module.quiz, language=API_LANGUAGE)
    except DomainError as exc:
        return {"error": {"code": 409, "title": "Conflict", "message": str(exc)}}, 409
    db.session.commit()
    return _attempt_json(attempt), 201, {"Location": url_for("api.learning.attempt", attempt_id=attempt.id)}


@bp.route("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    attempt = get_attempt_or_404(attempt_id)
    if attempt.is_open and not can_take_quiz(current_user, attempt):
        abort(404)
    return _attempt_json(attempt)


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@limiter.shared_limit(quiz_limit, scope="quiz", key_func=per_person)  # one budget for pages and API
def submit_attempt(attempt_id: int):
    attempt = get_attempt_or_404(attempt_id, for_taking=True)
    payload = request.get_json(silent=True)
    answers = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(answers, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in answers.values()
    ):
        return {
            "error": {
                "code": 422,
                "title": "Invalid answers",
                "message": 'Send {"answers": {"<question key>": ["<choice id>", ...]}}.',
            }
        }, 422
    try:
        attempts.submit_attempt(current_user, attempt, answers)
    except attempts.IncompleteAnswers as exc:
        return {"error": {"code": 422, "title": "Incomplete answers", "message": str(exc), "missing": exc.missing}}, 422
    db.session.commit()
    return _attempt_json(attempt)
