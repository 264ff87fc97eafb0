"""The structured editor: forms for a course's settings, modules, quizzes, lessons and questions, saved to the
admin's draft (services/content/drafts.py), then previewed and published like a YAML edit."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ....authz import get_managed_course_or_404, role_required
from ....enums import QuestionKind
from ....extensions import db
from ....forms import ConfirmForm
from ....forms.content import (
    CourseSettingsForm,
    DraftTextForm,
    ItemForm,
    LessonForm,
    ModuleForm,
    NewModuleForm,
    QuestionForm,
    QuizForm,
)
from ....i18n import LANGUAGES
from ....models import Course, Role
from ....services.content import drafts, editor
from ....services.content.loader import check_course_text
from ....services.content.markdown import render_markdown
from ....services.content.schema import ContentError
from ....services.content.translations import markdown_problems
from . import bp
from .publishing import render_preview

EXTRA_SOURCE_ROWS = 2


# --- Reading the draft into forms ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _lines(value: Any) -> str:
    return "\n".join(_text(item) for item in value) if isinstance(value, list) else _text(value)


def _settings_form(draft: drafts.DraftView, formdata=None) -> CourseSettingsForm:
    data = draft.data if isinstance(draft.data, dict) else {}
    form = CourseSettingsForm(
        formdata=formdata,
        data={
            "title": _text(data.get("title")),
            "summary": _text(data.get("summary")),
            "audience": _text(data.get("audience")),
            "facts_checked": data.get("facts_checked") if hasattr(data.get("facts_checked"), "isoformat") else None,
            "certificate_valid_months": data.get("certificate_valid_months"),
            "language": _text(data.get("language") or "en"),
        },
    )
    form.language.choices = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
    return form


def _quiz_form(module: dict[str, Any], formdata=None) -> QuizForm:
    quiz = module.get("quiz") if isinstance(module.get("quiz"), dict) else {}
    review = quiz.get("review") if isinstance(quiz.get("review"), dict) else {}
    return QuizForm(
        formdata=formdata,
        data={
            "pass_mark": quiz.get("pass_mark"),
            "questions_per_attempt": quiz.get("questions_per_attempt"),
            "max_attempts": quiz.get("max_attempts"),
            "cooldown_minutes": quiz.get("cooldown_minutes"),
            "cooldown_after_failures": quiz.get("cooldown_after_failures"),
            "review_after_fail": review.get("after_fail", "wrong_questions"),
            "review_after_pass": review.get("after_pass", "full"),
        },
    )


def _lesson_form(lesson: dict[str, Any] | None, formdata=None) -> LessonForm:
    lesson = lesson or {}
    sources = [s for s in lesson.get("sources") or [] if isinstance(s, dict)]
    rows = [{"citation": _text(s.get("citation")), "url": _text(s.get("url"))} for s in sources]
    rows += [{"citation": "", "url": ""}] * EXTRA_SOURCE_ROWS
    form = LessonForm(
        formdata=formdata,
        data={
            "slug": _text(lesson.get("slug")),
            "title": _text(lesson.get("title")),
            "objectives": _lines(lesson.get("objectives")),
            "body": _text(lesson.get("body")).rstrip("\n"),
            "key_points": _lines(lesson.get("key_points")),
            "sources": rows,
        },
    )
    return form


def _question_form(question: dict[str, Any] | None, formdata=None) -> QuestionForm:
    question = question or {"type": QuestionKind.SINGLE.value}
    choices = [c for c in question.get("choices") or [] if isinstance(c, dict)]
    rows = [{"text": _text(c.get("text")), "correct": c.get("correct") is True} for c in choices]
    return QuestionForm(
        formdata=formdata,
        data={
            "key": _text(question.get("id")),
            "kind": _text(question.get("type")),
            "scenario": question.get("scenario") is True,
            "prompt": _text(question.get("prompt")),
            "choices": rows,
            "answer": "true"
            if question.get("answer") is True
            else "false"
            if question.get("answer") is False
            else None,
            "explanation": _text(question.get("explanation")),
        },
    )


# --- Forms into values for the course file ---------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def _split_lines(text: str | None) -> list[str]:
    return [line.strip() for line in _clean(text).split("\n") if line.strip()]


def _lesson_values(form: LessonForm, with_slug: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": _clean(form.title.data),
        "objectives": _split_lines(form.objectives.data),
        "body": _clean(form.body.data),
        "key_points": _split_lines(form.key_points.data),
        "sources": [
            {"citation": _clean(row.citation.data), "url": _clean(row.url.data)}
            for row in form.sources
            if _clean(row.citation.data) or _clean(row.url.data)
        ],
    }
    if with_slug:
        values = {"slug": _clean(form.slug.data), **values}
    return values


def _question_values(form: QuestionForm, with_key: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": form.kind.data,
        "scenario": bool(form.scenario.data),
        "prompt": _clean(form.prompt.data),
        "choices": [
            {"text": _clean(row.text.data), "correct": bool(row.correct.data)}
            for row in form.choices
            if _clean(row.text.data)
        ],
        "answer": form.answer.data == "true" if form.answer.data in ("true", "false") else None,
        "explanation": _clean(form.explanation.data),
    }
    if with_key:
        values = {"key": _clean(form.key.data), **values}
    return values


# --- Shared ---------------------------------------------------------------------------------------------------------


def _course(slug: str) -> Course:
    return get_managed_course_or_404(slug)


def _saved(outcome: drafts.EditOutcome, message: str) -> None:
    db.session.commit()
    flash(message, "success")
    if outcome.lost_comments:
        flash(
            ngettext(
                "This change could not keep %(num)d comment of the YAML: %(comments)s",
                "This change could not keep %(num)d comments of the YAML: %(comments)s",
                len(outcome.lost_comments),
                comments=" · ".join(outcome.lost_comments),
            ),
            "warning",
        )
    if outcome.misplaced_comments:
        flash(
            _("A comment above the first item stays at the top of the list: check where it stands in the YAML view."),
            "warning",
        )


def _refused(form, exc: drafts.DraftRefused) -> list[str]:
    """Put each problem on its field; return those that belong to no field of the form."""
    general = []
    for name, problems in exc.fields.items():
        target = getattr(form, name, None) if name else None
        if target is None or not hasattr(target, "errors") or name in ("submit", "csrf_token"):
            general.extend(problems)
        else:
            target.errors = [*list(target.errors or []), *problems]
    return general


def _draft_page(course: Course, *, settings_form=None, module_form=None, problems=None, status: int = 200):
    draft = drafts.view(current_user, course)
    return render_template(
        "admin/content/draft.html",
        course=course,
        draft=draft,
        settings_form=settings_form or _settings_form(draft),
        module_form=module_form or NewModuleForm(formdata=None),
        item_form=ItemForm(formdata=None),
        conflict=editor.conflict(course.slug, draft.base) if draft.stale else None,
        form_problems=problems or [],
    ), status


def _module_or_404(draft: drafts.DraftView, module_slug: str) -> dict[str, Any]:
    module = draft.module(module_slug)
    if module is None:
        abort(404)
    return module


def _item(items: Any, field: str, key: str) -> dict[str, Any] | None:
    if not isinstance(items, list):
        return None
    return next((item for item in items if isinstance(item, dict) and _text(item.get(field)) == key), None)


# --- The course --------------------------------------------------------------------------------------------------


@bp.route("/<slug>/draft")
@role_required(Role.ADMIN)
def draft(slug: str):
    return _draft_page(_course(slug))


@bp.route("/<slug>/draft/settings", methods=["POST"])
@role_required(Role.ADMIN)
def draft_settings(slug: str):
    course = _course(slug)
    form = _settings_form(drafts.view(current_user, course), formdata=request.form)
    if not form.validate_on_submit():
        return _draft_page(course, settings_form=form, status=400)
    values = {
        "title": _clean(form.title.data),
        "summary": _clean(form.summary.data),
        "audience": _clean(form.audience.data),
        "facts_checked": form.facts_checked.data,
        "certificate_valid_months": form.certificate_valid_months.data,
        "language": form.language.data,
    }
    try:
        outcome = drafts.save_settings(current_user, course, values)
    except drafts.DraftRefused as exc:
        return _draft_page(course, settings_form=form, problems=_refused(form, exc), status=400)
    _saved(outcome, _("The course settings are saved in your draft."))
    return redirect(url_for("admin.content.draft", slug=slug))


@bp.route("/<slug>/draft/modules", methods=["POST"])
@role_required(Role.ADMIN)
def draft_add_module(slug: str):
    course = _course(slug)
    form = NewModuleForm()
    if not form.validate_on_submit():
        return _draft_page(course, module_form=form, status=400)
    values = {"slug": _clean(form.slug.data), "title": _clean(form.title.data)}
    quiz = {"pass_mark": form.pass_mark.data, "questions_per_attempt": form.questions_per_attempt.data}
    try:
        outcome = drafts.add_module(current_user, course, values, quiz)
    except drafts.DraftRefused as exc:
        return _draft_page(course, module_form=form, problems=_refused(form, exc), status=400)
    _saved(outcome, _("The module is added to your draft. Add its lessons and questions next."))
    return redirect(url_for("admin.content.draft_module", slug=slug, module_slug=values["slug"]))


@bp.route("/<slug>/draft/move", methods=["POST"])
@role_required(Role.ADMIN)
def draft_move(slug: str):
    course = _course(slug)
    form = ItemForm()
    if not form.validate_on_submit() or not form.direction.data:
        abort(400)
    step = -1 if form.direction.data == "up" else 1
    try:
        outcome = drafts.move(current_user, course, form.kind.data, form.module.data or None, form.key.data, step)
    except drafts.DraftItemMissing:
        abort(404)
    _saved(outcome, _("The order is saved in your draft."))
    return _back_to(slug, form)


@bp.route("/<slug>/draft/remove", methods=["POST"])
@role_required(Role.ADMIN)
def draft_remove(slug: str):
    course = _course(slug)
    form = ItemForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = drafts.remove(current_user, course, form.kind.data, form.module.data or None, form.key.data)
    except drafts.DraftItemMissing:
        abort(404)
    _saved(outcome, _("Removed from your draft. Once published, learners' history of it is kept."))
    if form.kind.data == "module":
        return redirect(url_for("admin.content.draft", slug=slug))
    return _back_to(slug, form)


def _back_to(slug: str, form: ItemForm):
    if form.kind.data == "module":
        return redirect(url_for("admin.content.draft", slug=slug) + "#modules")
    anchor = "#lessons" if form.kind.data == "lesson" else "#questions"
    return redirect(url_for("admin.content.draft_module", slug=slug, module_slug=form.module.data) + anchor)


@bp.route("/<slug>/draft/discard", methods=["POST"])
@role_required(Role.ADMIN)
def draft_discard(slug: str):
    course = _course(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    discarded = drafts.discard(current_user, course.id)
    db.session.commit()
    if discarded:
        flash(_("Your draft of “%(title)s” is discarded.", title=course.title), "info")
    return redirect(url_for("admin.content.draft", slug=slug))


@bp.route("/<slug>/draft/preview", methods=["POST"])
@role_required(Role.ADMIN)
def draft_preview(slug: str):
    """Preview the draft exactly as a YAML edit is previewed; publishing it discards the draft."""
    course = _course(slug)
    draft = drafts.view(current_user, course)
    try:
        data = check_course_text(draft.text, drafts.source_name(course))
    except ContentError as exc:
        return _draft_page(course, problems=exc.problems, status=400)
    return render_preview(
        draft.text, drafts.source_name(course), data, opened_from=draft.base, from_draft=draft.draft is not None
    )


@bp.route("/<slug>/draft/yaml", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def draft_yaml(slug: str):
    course = _course(slug)
    draft = drafts.view(current_user, course)
    form = DraftTextForm(data={"text": draft.text} if request.method == "GET" else None)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                drafts.save_text(current_user, course, (form.text.data or "").replace("\r\n", "\n"))
            except drafts.DraftRefused as exc:
                _refused(form, exc)
            else:
                db.session.commit()
                flash(_("The YAML is saved in your draft."), "success")
                return redirect(url_for("admin.content.draft", slug=slug))
        return render_template("admin/content/draft_yaml.html", course=course, draft=draft, form=form), 400
    return render_template("admin/content/draft_yaml.html", course=course, draft=draft, form=form)


# --- A module, its quiz, lessons and questions ------------------------------------------------------------------


def _module_page(course: Course, module_slug: str, *, module_form=None, quiz_form=None, problems=None, status=200):
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    index = draft.module_index(module_slug)
    return render_template(
        "admin/content/draft_module.html",
        course=course,
        draft=draft,
        module=module,
        prefix=f"modules[{index}]",
        module_form=module_form
        or ModuleForm(formdata=None, data={"slug": _text(module.get("slug")), "title": _text(module.get("title"))}),
        quiz_form=quiz_form or _quiz_form(module),
        item_form=ItemForm(formdata=None),
        published=module_slug in draft.published_keys["modules"],
        form_problems=problems or [],
    ), status


@bp.route("/<slug>/draft/modules/<module_slug>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def draft_module(slug: str, module_slug: str):
    course = _course(slug)
    if request.method == "GET":
        return _module_page(course, module_slug)
    form = ModuleForm()
    if not form.validate_on_submit():
        return _module_page(course, module_slug, module_form=form, status=400)
    values = {"slug": _clean(form.slug.data) or module_slug, "title": _clean(form.title.data)}
    try:
        outcome = drafts.save_module(current_user, course, module_slug, values)
    except drafts.DraftItemMissing:
        abort(404)
    except drafts.DraftRefused as exc:
        return _module_page(course, module_slug, module_form=form, problems=_refused(form, exc), status=400)
    _saved(outcome, _("The module is saved in your draft."))
    return redirect(url_for("admin.content.draft_module", slug=slug, module_slug=values["slug"]))


@bp.route("/<slug>/draft/modules/<module_slug>/quiz", methods=["POST"])
@role_required(Role.ADMIN)
def draft_quiz(slug: str, module_slug: str):
    course = _course(slug)
    form = QuizForm()
    if not form.validate_on_submit():
        return _module_page(course, module_slug, quiz_form=form, status=400)
    values = {name: getattr(form, name).data for name in drafts.QUIZ_SETTINGS if name != "review"}
    values["review_after_fail"] = form.review_after_fail.data
    values["review_after_pass"] = form.review_after_pass.data
    try:
        outcome = drafts.save_quiz(current_user, course, module_slug, values)
    except drafts.DraftItemMissing:
        abort(404)
    except drafts.DraftRefused as exc:
        return _module_page(course, module_slug, quiz_form=form, problems=_refused(form, exc), status=400)
    _saved(outcome, _("The quiz settings are saved in your draft."))
    return redirect(url_for("admin.content.draft_module", slug=slug, module_slug=module_slug) + "#quiz")


def _lesson_page(course, draft, module, form, *, lesson_slug=None, problems=None, preview_html=None, status=200):
    return render_template(
        "admin/content/draft_lesson.html",
        course=course,
        draft=draft,
        module=module,
        lesson_slug=lesson_slug,
        form=form,
        published=(module.get("slug"), lesson_slug) in draft.published_keys["lessons"],
        form_problems=problems or [],
        preview_html=preview_html,
        preview_problems=markdown_problems(form.body.data) if preview_html is not None and form.body.data else [],
    ), status


def _lesson_form_submitted(course: Course, module_slug: str, lesson_slug: str | None):
    """Shared by editing and adding a lesson: the preview button renders the text; saving goes to the draft."""
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    form = LessonForm()
    page = {"lesson_slug": lesson_slug}
    if not form.validate_on_submit():
        return _lesson_page(course, draft, module, form, status=400, **page)
    if form.preview.data:
        html = render_markdown(_clean(form.body.data)) if _clean(form.body.data) else ""
        return _lesson_page(course, draft, module, form, preview_html=html, **page)
    published = lesson_slug is not None and (module_slug, lesson_slug) in draft.published_keys["lessons"]
    values = _lesson_values(form, with_slug=not published)
    try:
        if lesson_slug is None:
            outcome = drafts.add_lesson(current_user, course, module_slug, values)
        else:
            outcome = drafts.save_lesson(current_user, course, module_slug, lesson_slug, values)
    except drafts.DraftItemMissing:
        abort(404)
    except drafts.DraftRefused as exc:
        return _lesson_page(course, draft, module, form, problems=_refused(form, exc), status=400, **page)
    _saved(outcome, _("The lesson is saved in your draft."))
    return redirect(url_for("admin.content.draft_module", slug=course.slug, module_slug=module_slug) + "#lessons")


@bp.route("/<slug>/draft/modules/<module_slug>/lessons/<lesson_slug>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def draft_lesson(slug: str, module_slug: str, lesson_slug: str):
    course = _course(slug)
    if request.method == "POST":
        return _lesson_form_submitted(course, module_slug, lesson_slug)
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    lesson = _item(module.get("lessons"), "slug", lesson_slug)
    if lesson is None:
        abort(404)
    return _lesson_page(course, draft, module, _lesson_form(lesson), lesson_slug=lesson_slug)


@bp.route("/<slug>/draft/modules/<module_slug>/add-lesson", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def draft_add_lesson(slug: str, module_slug: str):
    course = _course(slug)
    if request.method == "POST":
        return _lesson_form_submitted(course, module_slug, None)
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    return _lesson_page(course, draft, module, _lesson_form(None))


def _question_page(course, draft, module, form, *, key=None, problems=None, status=200):
    return render_template(
        "admin/content/draft_question.html",
        course=course,
        draft=draft,
        module=module,
        question_key=key,
        form=form,
        published=(module.get("slug"), key) in draft.published_keys["questions"],
        form_problems=problems or [],
    ), status


def _question_form_submitted(course: Course, module_slug: str, key: str | None):
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _question_page(course, draft, module, form, key=key, status=400)
    published = key is not None and (module_slug, key) in draft.published_keys["questions"]
    values = _question_values(form, with_key=not published)
    try:
        if key is None:
            outcome = drafts.add_question(current_user, course, module_slug, values)
        else:
            outcome = drafts.save_question(current_user, course, module_slug, key, values)
    except drafts.DraftItemMissing:
        abort(404)
    except drafts.DraftRefused as exc:
        return _question_page(course, draft, module, form, key=key, problems=_refused(form, exc), status=400)
    _saved(outcome, _("The question is saved in your draft."))
    return redirect(url_for("admin.content.draft_module", slug=course.slug, module_slug=module_slug) + "#questions")


@bp.route("/<slug>/draft/modules/<module_slug>/questions/<question_key>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def draft_question(slug: str, module_slug: str, question_key: str):
    course = _course(slug)
    if request.method == "POST":
        return _question_form_submitted(course, module_slug, question_key)
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    quiz = module.get("quiz") if isinstance(module.get("quiz"), dict) else {}
    question = _item(quiz.get("questions"), "id", question_key)
    if question is None:
        abort(404)
    return _question_page(course, draft, module, _question_form(question), key=question_key)


@bp.route("/<slug>/draft/modules/<module_slug>/add-question", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def draft_add_question(slug: str, module_slug: str):
    course = _course(slug)
    if request.method == "POST":
        return _question_form_submitted(course, module_slug, None)
    draft = drafts.view(current_user, course)
    module = _module_or_404(draft, module_slug)
    return _question_page(course, draft, module, _question_form(None))
