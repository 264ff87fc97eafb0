"""Upload or edit a course file, preview it, publish a new version.

Nothing is stored between the preview and the publish: the previewed text travels back in a signed (and
compressed) hidden field with the version it was previewed against, and is validated again before it is applied.
Publishing is refused if someone else published in between (services/content/editor.py `publish_course`).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from ....authz import get_course_version_or_404, get_managed_course_or_404, role_required
from ....extensions import db
from ....forms.content import MAX_COURSE_TEXT, CourseSourceForm, PublishForm, VisibilityForm
from ....models import Course, CourseVersion, Role
from ....services.content import editor, versions
from ....services.content.loader import Base, check_course_text
from ....services.content.schema import ContentError
from ... import download_response
from . import bp

DEFAULT_SOURCE = "course.yaml"


def _serializer() -> URLSafeSerializer:
    # URLSafeSerializer zlib-compresses the payload whenever that makes it shorter (a course file always is).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="content-publish")


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
        form.base.data = ""  # an uploaded file was not opened from a stored version
    else:
        source = _source_name(form.source.data)
        text = form.text.data or ""
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise ContentError(["Upload a course file or write the course YAML."])
    form.text.data, form.source.data = text, source  # kept in the text box if anything is wrong
    return text, source


def base_field(base: Base) -> str:
    return f"{base.version}:{base.content_hash}" if base.version is not None else ""


def _parse_base(value: str | None) -> Base | None:
    match = re.fullmatch(r"(\d{1,9}):([0-9a-f]{64})", value or "")
    return Base(int(match[1]), match[2]) if match else None


def _render_editor(form: CourseSourceForm, course: Course | None = None, problems=None, status: int = 200):
    return render_template("admin/content/edit.html", form=form, course=course, problems=problems or []), status


def render_preview(
    text: str,
    source: str,
    data: dict,
    *,
    opened_from: Base | None = None,
    restore: CourseVersion | None = None,
    from_draft: bool = False,
    refused: editor.StalePreview | None = None,
    status: int = 200,
):
    """The preview of a validated course file: what publishing it changes, field by field, against the course
    stored now, and the publish button carrying that version. `refused`: a publish from an older preview."""
    plan = editor.plan_publication(data, restore)
    # The text was opened from (or a publish was previewed against) an older version: say who published since.
    since = refused.since if refused is not None else opened_from
    conflict = editor.conflict(data["slug"], since) if since is not None else None
    payload = _serializer().dumps(
        {
            "text": text,
            "source": source,
            "base": [plan.base.version, plan.base.content_hash],
            "restore": restore.version if restore is not None else None,
            "draft": from_draft,
        }
    )
    editor_form = CourseSourceForm(formdata=None, data={"text": text, "source": source, "base": base_field(plan.base)})
    return render_template(
        "admin/content/preview.html",
        plan=plan,
        course=plan.course,
        publish_form=PublishForm(formdata=None, data={"payload": payload}),
        editor=editor_form,
        conflict=conflict,
        since=since,
        refused=refused is not None,
        restore=restore,
        from_draft=from_draft,
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
    course = get_managed_course_or_404(slug)
    form = CourseSourceForm(
        formdata=None,
        data={
            "text": versions.latest_source(course),  # as published, comments included
            "source": f"{slug}.yaml",
            "base": base_field(Base(course.version, course.content_hash)),
        },
    )
    return _render_editor(form, course)


@bp.route("/<slug>.yaml")
@role_required(Role.ADMIN)
def download(slug: str):
    course = get_managed_course_or_404(slug)
    return download_response(versions.latest_source(course), f"{course.slug}.yaml", "application/yaml")


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
    return render_preview(text, source, data, opened_from=_parse_base(form.base.data))


@bp.route("/publish", methods=["POST"])
@role_required(Role.ADMIN)
def publish():
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        payload = _serializer().loads(form.payload.data)
        text, source, (version, content_hash) = payload["text"], payload["source"], payload["base"]
    except (BadSignature, KeyError, TypeError, ValueError):
        abort(400)
    base = Base(version, content_hash)
    try:
        data = check_course_text(text, source)
    except ContentError as exc:  # only if the rules changed since the preview
        editor_form = CourseSourceForm(formdata=None, data={"text": text, "source": source})
        return _render_editor(editor_form, problems=exc.problems, status=400)
    restore = None
    if payload.get("restore"):
        restore = get_course_version_or_404(get_managed_course_or_404(data["slug"]), payload["restore"])
    try:
        result = editor.publish_course(
            current_user, data, base, source_text=text, restore=restore, discard_draft=bool(payload.get("draft"))
        )
    except editor.StalePreview as exc:
        db.session.rollback()
        return render_preview(
            text, source, data, restore=restore, from_draft=bool(payload.get("draft")), refused=exc, status=409
        )
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
    elif restore is not None:
        flash(
            _(
                "Version %(old)s of “%(title)s” is published again as version %(version)s.",
                old=restore.version,
                title=data["title"],
                version=result.version,
            ),
            "success",
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
    course = get_managed_course_or_404(slug)
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
