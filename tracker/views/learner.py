"""The learner's home: my courses, progress and what to do next."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Certificate, Course
from ..services import assignments, certification, progress

bp = Blueprint("learner", __name__)


@bp.route("/")
@login_required
def dashboard():
    rows = progress.progress_rows(current_user.id)
    courses = list(
        db.session.scalars(
            select(Course)
            .where(Course.published.is_(True))
            .options(progress.course_content_options())
            .order_by(Course.title)
        )
    )
    states = progress.course_states(current_user.id, courses)
    by_id = {c.id: c for c in courses}
    mine = [(row, states[row.course_id]) for row in rows if row.course_id in by_id]
    started = {row.course_id for row in rows}
    in_progress = [(row, state) for row, state in mine if state.next_step().kind != "done"]
    certificates = {
        cert.course_id: cert
        for cert in db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == current_user.id, Certificate.superseded_at.is_(None))
            .order_by(Certificate.issued_at)
        )
    }
    due = assignments.due_dates(
        [assignments.Person(current_user.id, current_user.team_id, current_user.job_role)]
    ).get(current_user.id, {})
    assigned = sorted(
        ((due_on, states[course_id]) for course_id, due_on in due.items() if course_id in states),
        key=lambda item: (item[1].complete, item[0]),
    )
    return render_template(
        "learner/dashboard.html",
        assigned=assigned,
        due=due,
        today=date.today(),
        certificates=certificates,
        renewals=[c for c in certificates.values() if certification.can_renew(c)],
        mine=mine,
        resume=in_progress[0] if in_progress else None,
        not_started=[states[c.id] for c in courses if c.id not in started],
    )
