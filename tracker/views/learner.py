"""The learner's home: my courses, progress and what to do next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..i18n import current_language
from ..services.learning import dashboard as learner_dashboard

bp = Blueprint("learner", __name__)


@bp.route("/")
@login_required
def dashboard():
    return render_template(
        "learner/dashboard.html", dashboard=learner_dashboard.build(current_user, current_language())
    )
