"""The audit log, for admins: filter and read who did what, when and from where."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request, stream_with_context
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ...authz import role_required
from ...extensions import db
from ...inputs import bounded_int
from ...models import Role, utcnow
from ...services import audit
from ...services.reporting.records import csv_text
from .. import download_response

bp = Blueprint("audit", __name__, url_prefix="/audit")

FILTER_FIELDS = ("action", "actor", "target_type", "target_id", "from", "to", "q")


def _date(args: MultiDict, name: str, errors: dict[str, str]) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def _filters(args: MultiDict) -> tuple[audit.AuditFilter, dict[str, str]]:
    """The filters of the query string; dates are whole days in the viewer's time zone."""
    errors: dict[str, str] = {}
    since, until = audit.day_range(_date(args, "from", errors), _date(args, "to", errors), current_user.timezone)
    filters = audit.AuditFilter(
        action=args.get("action", "").strip() or None,
        actor=args.get("actor", "").strip() or None,
        target_type=args.get("target_type", "").strip() or None,
        target_id=args.get("target_id", "").strip() or None,
        since=since,
        until=until,
        text=args.get("q", "").strip() or None,
    )
    return filters, errors


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    filters, errors = _filters(request.args)
    current = {name: request.args.get(name, "").strip() for name in FILTER_FIELDS}
    active = {name: value for name, value in current.items() if value and name not in errors}
    page = audit.page(filters, bounded_int(request.args.get("page"), 1))
    return render_template(
        "admin/audit/index.html",
        page=page,
        labels=audit.target_labels(page.items),
        choices=audit.choices(),
        current=current,
        active=active,
        errors=errors,
    )


@bp.route("/export.csv")
@role_required(Role.ADMIN)
def export():
    filters, _ = _filters(request.args)
    # Reading the whole log out of the app is itself worth a line in the log.
    audit.record("audit.exported", actor=current_user, details={"filters": filters.as_details()})
    db.session.commit()
    body = csv_text(audit.EXPORT_HEADER, audit.export_rows(filters))
    name = f"audit-log-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return download_response(stream_with_context(chunk.encode("utf-8") for chunk in body), name, "text/csv")
