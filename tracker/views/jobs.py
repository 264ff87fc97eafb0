"""The page of a background job for the person who asked (progress, then the download), and its file."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, send_file
from flask_login import login_required

from ..authz import get_job_or_404
from ..enums import JobStatus
from ..services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int):
    job = get_job_or_404(job_id)
    status = JobStatus(job.status)
    return render_template(
        "jobs/show.html", job=job, status=status, available=jobs.result_available(job), finished=status.finished
    )


@bp.route("/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = get_job_or_404(job_id)
    if not jobs.result_available(job):
        abort(404)
    response = send_file(
        Path(job.result_path), mimetype=job.result_mimetype, as_attachment=True, download_name=job.result_name
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
