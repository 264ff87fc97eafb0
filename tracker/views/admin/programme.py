"""The AI-literacy programme at a glance, and the "Our AI tools and rules" course template."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ...authz import role_required
from ...enums import Role
from ...forms.content import CourseSourceForm
from ...services.programme import course_template, overview

bp = Blueprint("programme", __name__, url_prefix="/programme")


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/programme/index.html", counts=overview.counts())


@bp.route("/course-template")
@role_required(Role.ADMIN)
def course_template_page():
    """The generated course, opened in the content editor: the admin edits, previews and publishes it."""
    text = course_template.template_yaml(current_app.config["ORGANISATION_NAME"])
    form = CourseSourceForm(formdata=None, data={"text": text, "source": f"{course_template.SLUG}.yaml"})
    return render_template("admin/content/edit.html", form=form, course=None, problems=[])
