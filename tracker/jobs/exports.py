"""Exports and bulk files made in the background: the team matrix (XLSX, CSV) and the team certificate ZIP.

The writers are the pages' own (`matrix_export`, `packaging`); the job streams their output to a file kept for a
limited time (JOB_FILE_HOURS) for the person who asked.
"""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from ..authz import can_download_withdrawn_files
from ..extensions import db
from ..models import Job, User
from ..services import jobs
from ..services.certification import listing, packaging
from ..services.certification.status import pending
from ..services.reporting import matrix, matrix_export
from . import handler, progress

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(job: Job) -> set[int] | None:
    scope = job.params.get("scope")
    return None if scope is None else set(scope)


def _matrix(job: Job):
    scope = _scope(job)
    filters = matrix.Filters.from_query(MultiDict(job.params.get("filters") or {}))
    progress(job, 0, 2)
    result = matrix.all_rows(scope, filters)
    progress(job, 1, 2)
    return scope, filters, result


@handler("export.matrix_xlsx")
def matrix_xlsx(job: Job) -> None:
    scope, filters, result = _matrix(job)
    path = jobs.new_result_path(job, "xlsx")
    # The writer hands back the workbook's bytes; XlsxWriter's constant-memory mode is left to its own change.
    path.write_bytes(matrix_export.xlsx_bytes(result, matrix.scope_label(scope, filters)))
    jobs.attach_result(job, path, f"team-matrix-{date.today().isoformat()}.xlsx", XLSX)
    job.summary = f"{len(result.rows)} people × {len(result.courses)} courses"


@handler("export.matrix_csv")
def matrix_csv(job: Job) -> None:
    scope = _scope(job)
    filters = matrix.Filters.from_query(MultiDict(job.params.get("filters") or {}))
    progress(job, 0, 2)
    people, courses = matrix.count_people(scope, filters), matrix.export_courses(filters)
    path = jobs.new_result_path(job, "csv")
    with path.open("w", encoding="utf-8", newline="") as out:
        for chunk in matrix_export.csv_stream(scope, filters):
            out.write(chunk)
    progress(job, 1, 2)
    jobs.attach_result(job, path, f"team-matrix-{date.today().isoformat()}.csv", "text/csv")
    job.summary = f"{people} people × {len(courses)} courses"


@handler("export.certificates_zip")
def certificates_zip(job: Job) -> None:
    team_ids = job.params.get("team_ids")
    certificates = [
        c for c in listing.of_teams(None if team_ids is None else set(team_ids), with_pdf=True) if not pending(c)
    ]
    progress(job, 1, 2)
    path = jobs.new_result_path(job, "zip")
    requester = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    include_withdrawn = requester is not None and can_download_withdrawn_files(requester)
    path.write_bytes(packaging.zip_of(certificates, include_withdrawn=include_withdrawn))
    jobs.attach_result(job, path, "team-certificates.zip", "application/zip")
    job.summary = f"{len(certificates)} certificates"
