"""Events announced soon after they happen (scanned every minute, so no page or API that causes them has to
remember): a course assigned, a certificate issued, a reissue or a name request decided."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from ...enums import NotificationKind
from ...extensions import db
from ...models import Assignment, Certificate, NameChangeRequest, User, utcnow
from ..certification.status import is_pending
from ..organisation import teams
from ..queries import current_certificates
from . import content
from .daily import DailyRun, _bind, _Planned, _record

WINDOW = timedelta(days=2)  # events older than this at the first scan are not announced


def _reached_by(assignment: Assignment) -> list[User]:
    query = select(User).where(User.active.is_(True))
    if assignment.team_id is not None:
        query = query.where(User.team_id.in_(teams.descendant_ids_of(assignment.team_id)))
    elif assignment.user_id is not None:
        query = query.where(User.id == assignment.user_id)
    else:
        query = query.where(User.job_role == assignment.job_role)
    return list(db.session.scalars(query))


def scan_recent(now: datetime | None = None) -> DailyRun:
    now = now or utcnow()
    since = now - WINDOW
    planned: list[_Planned] = []
    for assignment in db.session.scalars(select(Assignment).where(Assignment.created_at > since)):
        title = assignment.course.title if assignment.course is not None else assignment.path.title
        for person in _reached_by(assignment):
            due = _personal_due(assignment, person)
            planned.append(
                _Planned(
                    NotificationKind.ASSIGNMENT_CREATED,
                    person,
                    f"assignment_created:{assignment.id}:{person.id}",
                    _bind(content.assignment_created, person.display_name, title, due),
                )
            )
    users: dict[int, User] = {}

    def user(user_id: int) -> User | None:
        if user_id not in users:
            users[user_id] = db.session.get(User, user_id)
        return users[user_id]

    for cert in db.session.scalars(
        current_certificates().where(Certificate.created_at > since, Certificate.revoked_at.is_(None), ~is_pending())
    ):
        person = user(cert.user_id)
        if person is None:
            continue
        if cert.revision == 1:
            planned.append(
                _Planned(
                    NotificationKind.CERTIFICATE_ISSUED,
                    person,
                    f"cert_issued:{cert.id}",
                    _bind(content.certificate_issued, person.display_name, cert.course_title, cert.code),
                )
            )
        else:
            planned.append(
                _Planned(
                    NotificationKind.REISSUE_DECIDED,
                    person,
                    f"reissued:{cert.id}",
                    _bind(content.reissued, person.display_name, cert.course_title, cert.code),
                )
            )
    for request in db.session.scalars(
        select(NameChangeRequest).where(
            NameChangeRequest.decided_at > since,
            or_(NameChangeRequest.status == "approved", NameChangeRequest.status == "rejected"),
        )
    ):
        person = user(request.user_id)
        if person is None:
            continue
        planned.append(
            _Planned(
                NotificationKind.REISSUE_DECIDED,
                person,
                f"name_request:{request.id}",
                _bind(
                    content.name_request_decided,
                    person.display_name,
                    request.status == "approved",
                    request.requested_name,
                    request.decision_note,
                ),
            )
        )
    return _record(planned)


def _personal_due(assignment: Assignment, person: User):
    from ..organisation.assignments import relative_due

    start = person.team_joined_at or person.created_at
    joined = start.date() if start else None
    return relative_due(
        assignment.due_rule, assignment.due_days, assignment.due_on, assignment.created_at.date(), joined
    )
