"""Administration: people, teams, course content, certificates and the audit log, each a blueprint under /admin."""

from __future__ import annotations

from flask import Blueprint, render_template

from ...authz import role_required
from ...enums import Role
from ...services.reporting import overview
from . import (
    analysis,
    audit,
    certificates,
    content,
    jobs,
    people,
    policies,
    privacy,
    programme,
    requirements,
    systems,
    teams,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
for child in (
    people,
    teams,
    content,
    analysis,
    certificates,
    audit,
    programme,
    systems,
    requirements,
    policies,
    privacy,
    jobs,
):
    bp.register_blueprint(child.bp)


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/index.html", counts=overview.admin_counts())
