"""Content administration: upload or edit a course file, preview it, publish a new version.

Nothing is stored between the preview and the publish: the previewed text travels back in a signed (and
compressed) hidden field, and is validated again before it is applied.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from ...authz import can_manage_content, role_required
from ...extensions import db
from ...forms.content import MAX_COURSE_TEXT, CourseSourceForm, PublishForm, VisibilityForm
from ...models import Course, Role
from ...services.content import editor
from ...services.content import export as content_export
from ...services.content.loader import check_course_text
from ...services.content.schema import ContentError
from .. import download_response

bp = Blueprint("content", __name__, url_prefix="/content")

DEFAULT_SOURCE = "course.yaml"


def _serializer() -> URLSafeSerializer:
    # URLSafeSerializer zlib-compresses the payload whenever that makes it shorter (a course file always is).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="content-publish")


def _course_or_404(slug: str) -> Course:
    course = content_export.course_for_export(slug)
    if course is None or not can_manage_content(current_user):
        abort(404)
    return course


def _source_name(filename: str | None) -> str:
    """A display name for problem messages: the uploaded file's base name, tamed."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100]
    return name or DEFAULT_SOURCE


def _read_source(form: CourseSourceForm) -> tuple[str, str]:
    """The submitted course text and its name: an uploaded file wins over the text box. Raises ContentError."""
    upload = form.file.data
    if upload is not None and upload.filename:
        source = _source_name(upload.filename)
        raw = upload.read(MAX_COURSE_TEXT + 1)
        if len(raw) > MAX_COURSE_TEXT:
            raise ContentError([f"{source}: the file is larger than {MAX_COURSE_TEXT // 1000} kB"])
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ContentError([f"{source}: the file is not UTF-8 text (byte {exc.start + 1})"]) from exc
    else:
        source = _source_name(form.source.data)
        text = form.text.data or ""
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise ContentError(["Upload a course file or write the course YAML."])
    form.text.data, form.source.data = text, source  # kept in the text box if anything is wrong
    return text, source


def _render_editor(form: CourseSourceForm, course: Course | None = None, problems=None, status: int = 200):
    return render_template("admin/content/edit.html", form=form, course=course, problems=problems or []), status


def _render_preview(text: str, source: str, data: dict, status: int = 200, notice: str | None = None):
    plan = editor.plan_publication(data)
    payload = _serializer().dumps({"text": text, "source": source, "base": editor.content_hash_of(data["slug"])})
    editor_form = CourseSourceForm(formdata=None, data={"text": text, "source": source})
    return render_template(
        "admin/content/preview.html",
        plan=plan,
        course=plan.course,
        publish_form=PublishForm(formdata=None, data={"payload": payload}),
        editor=editor_form,
        notice=notice,
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return render_template(
        "admin/content/index.html",
        rows=editor.course_rows(),
        upload_form=CourseSourceForm(formdata=None),
        visibility_form=VisibilityForm(formdata=None),
    )


@bp.route("/new")
@role_required(Role.ADMIN)
def new():
    return _render_editor(CourseSourceForm(formdata=None, data={"source": DEFAULT_SOURCE}))


@bp.route("/<slug>/edit")
@role_required(Role.ADMIN)
def edit(slug: str):
    course = _course_or_404(slug)
    text = content_export.export_course_yaml(course)
    return _render_editor(CourseSourceForm(formdata=None, data={"text": text, "source": f"{slug}.yaml"}), course)


@bp.route("/<slug>.yaml")
@role_required(Role.ADMIN)
def download(slug: str):
    course = _course_or_404(slug)
    return download_response(content_export.export_course_yaml(course), f"{course.slug}.yaml", "application/yaml")


@bp.route("/preview", methods=["POST"])
@role_required(Role.ADMIN)
def preview():
    form = CourseSourceForm()
    if not form.validate_on_submit():
        return _render_editor(form, status=400)
    try:
        text, source = _read_source(form)
        data = check_course_text(text, source)
    except ContentError as exc:
        return _render_editor(form, problems=exc.problems, status=400)
    return _render_preview(text, source, data)


@bp.route("/publish", methods=["POST"])
@role_required(Role.ADMIN)
def publish():
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        payload = _serializer().loads(form.payload.data)
    except BadSignature:
        abort(400)
    text, source, base = payload["text"], payload["source"], payload["base"]
    try:
        data = check_course_text(text, source)
    except ContentError as exc:  # only if the rules changed since the preview
        editor_form = CourseSourceForm(formdata=None, data={"text": text, "source": source})
        return _render_editor(editor_form, problems=exc.problems, status=400)
    try:
        result = editor.publish_course(current_user, data, base)
    except editor.StalePreview as exc:
        return _render_preview(text, source, data, status=409, notice=str(exc))
    db.session.commit()
    if result.status == "unchanged":
        flash(
            _(
                "Nothing changed: “%(title)s” is already published as version %(version)s.",
                title=data["title"],
                version=result.version,
            ),
            "info",
        )
    else:
        flash(
            _("“%(title)s” is published as version %(version)s.", title=data["title"], version=result.version),
            "success",
        )
    return redirect(url_for("admin.content.index"))


@bp.route("/<slug>/visibility", methods=["POST"])
@role_required(Role.ADMIN)
def set_visibility(slug: str):
    course = _course_or_404(slug)
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    published = form.published.data == "yes"
    changed = editor.set_published(current_user, course, published)
    db.session.commit()
    if not changed:
        if published:
            flash(_("“%(title)s” was already visible.", title=course.title), "info")
        else:
            flash(_("“%(title)s” was already hidden.", title=course.title), "info")
    elif published:
        flash(_("“%(title)s” is visible to learners again.", title=course.title), "success")
    else:
        flash(
            _("“%(title)s” is hidden from learners. Their progress and certificates are kept.", title=course.title),
            "success",
        )
    return redirect(url_for("admin.content.index"))
