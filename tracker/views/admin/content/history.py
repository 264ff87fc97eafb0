"""The published versions of a course: the list, a comparison of any two, a version's file, and restoring one
(a restore is a new publish, through the same preview, checks and version check as any edit)."""

from __future__ import annotations

from flask import render_template, request

from ....authz import get_course_version_or_404, get_managed_course_or_404, role_required
from ....models import Role
from ....services.content import versions
from ....services.content.loader import check_course_text
from ....services.content.schema import ContentError
from ... import download_response
from . import bp
from .publishing import render_preview


@bp.route("/<slug>/versions")
@role_required(Role.ADMIN)
def versions_list(slug: str):
    course = get_managed_course_or_404(slug)
    return render_template("admin/content/versions.html", course=course, rows=versions.history(course))


@bp.route("/<slug>/versions/compare")
@role_required(Role.ADMIN)
def compare(slug: str):
    course = get_managed_course_or_404(slug)
    new_number = request.args.get("to", default=course.version, type=int)
    old_number = request.args.get("from", default=max(1, new_number - 1), type=int)
    old = get_course_version_or_404(course, old_number)
    new = get_course_version_or_404(course, new_number)
    return render_template(
        "admin/content/compare.html",
        course=course,
        diff=versions.diff(course, old, new),
        numbers=[row.version for row in versions.history(course)],
    )


@bp.route("/<slug>/versions/<int:version>.yaml")
@role_required(Role.ADMIN)
def version_file(slug: str, version: int):
    course = get_managed_course_or_404(slug)
    found = get_course_version_or_404(course, version)
    return download_response(found.source_text, f"{course.slug}.v{found.version}.yaml", "application/yaml")


@bp.route("/<slug>/versions/<int:version>/restore")
@role_required(Role.ADMIN)
def restore(slug: str, version: int):
    """The preview of publishing an old version again; nothing is written until the admin publishes it."""
    course = get_managed_course_or_404(slug)
    found = get_course_version_or_404(course, version)
    source = f"{course.slug}.yaml"
    try:
        data = check_course_text(found.source_text, source)
    except ContentError as exc:  # the checks grew stricter since that version was published
        return render_template(
            "admin/content/versions.html",
            course=course,
            rows=versions.history(course),
            problems=exc.problems,
            refused_version=found.version,
        ), 400
    return render_preview(found.source_text, source, data, restore=found)
