"""Background jobs and the outbox: what is queued, running or failed (with the reason, and a retry), and every
message recorded (read in the app when no mail server is configured)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import get_any_job_or_404, get_mail_message_or_404, role_required
from ...enums import JobStatus, MailStatus, Role
from ...extensions import db
from ...forms import ConfirmForm
from ...mail import smtp
from ...services import DomainError, jobs, mail

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _choice(value: str | None, enum) -> str | None:
    return value if value in {member.value for member in enum} else None


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    status = _choice(request.args.get("status"), JobStatus)
    return render_template(
        "admin/jobs/index.html",
        result=jobs.list_jobs(status, request.args.get("page", 1, type=int)),
        counts=jobs.counts(),
        status=status,
        filters={"status": status} if status else {},
    )


@bp.route("/<int:job_id>/retry", methods=["POST"])
@role_required(Role.ADMIN)
def retry(job_id: int):
    job = get_any_job_or_404(job_id)
    if ConfirmForm().validate_on_submit():
        try:
            jobs.retry(job, current_user)
        except DomainError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The job is queued again."), "success")
    return redirect(url_for("admin.jobs.index", status=request.args.get("status") or None))


@bp.route("/outbox/")
@role_required(Role.ADMIN)
def outbox():
    status = _choice(request.args.get("status"), MailStatus)
    from flask import current_app

    return render_template(
        "admin/jobs/outbox.html",
        result=mail.list_messages(status, request.args.get("page", 1, type=int)),
        status=status,
        filters={"status": status} if status else {},
        smtp_configured=smtp.configured(current_app.config),
    )


@bp.route("/outbox/<int:message_id>")
@role_required(Role.ADMIN)
def message(message_id: int):
    return render_template("admin/jobs/message.html", message=get_mail_message_or_404(message_id))
