"""Item analysis of a course's quizzes, for the people who write them."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ...authz import get_course_or_404, role_required
from ...enums import Role
from ...extensions import db
from ...services import audit
from ...services.reporting import item_analysis
from ...services.reporting.cells import csv_text
from .. import download_response

bp = Blueprint("analysis", __name__, url_prefix="/analysis")


@bp.route("/<slug>")
@role_required(Role.ADMIN)
def show(slug: str):
    course = get_course_or_404(slug, with_content=True)
    return render_template(
        "admin/analysis/show.html",
        course=course,
        modules=item_analysis.analyse(course),
        min_sample=item_analysis.MIN_SAMPLE,
    )


@bp.route("/<slug>.csv")
@role_required(Role.ADMIN)
def export(slug: str):
    course = get_course_or_404(slug, with_content=True)
    modules = item_analysis.analyse(course)
    audit.record("report.item_analysis_exported", actor=current_user, target_type="course", target_id=course.id)
    db.session.commit()
    body = csv_text(item_analysis.CSV_HEADER, item_analysis.csv_rows(modules))
    return download_response("".join(body), f"item-analysis-{course.slug}.csv", "text/csv")
