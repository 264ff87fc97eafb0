"""The name printed on certificates: a governed field. A learner asks for a change; an admin decides (or, where the
organisation allows it, the learner changes it directly, recorded in the audit log). Approving reissues the
person's current certificates with the new name."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...enums import RequestStatus
from ...extensions import db
from ...models import Certificate, NameChangeRequest, User, utcnow
from .. import DomainError, FieldError, audit, certification
from ..queries import current_certificates

NAME_MAX = 120


def _checked(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise FieldError("requested_name", _("Enter the name as it should appear on certificates."))
    if len(name) > NAME_MAX:
        raise FieldError("requested_name", _("A name has at most %(max)s characters.", max=NAME_MAX))
    return name


def pending_request(user: User) -> NameChangeRequest | None:
    return db.session.scalar(
        select(NameChangeRequest).where(
            NameChangeRequest.user_id == user.id, NameChangeRequest.status == RequestStatus.PENDING
        )
    )


def request_change(user: User, name: str, note: str = "", *, self_service: bool = False) -> NameChangeRequest | None:
    """Ask for `name` on certificates. With self-service the change applies at once (audited) and None is returned;
    otherwise the pending request (a second request replaces the first one's wording)."""
    name = _checked(name)
    if name == user.name_on_certificates:
        raise FieldError("requested_name", _("This is already the name on your certificates."))
    if self_service:
        _apply(user, name, actor=user, request=None)
        return None
    existing = pending_request(user)
    if existing is not None:
        existing.requested_name, existing.note = name, note.strip()
    else:
        existing = NameChangeRequest(
            user_id=user.id, requested_name=name, previous_name=user.name_on_certificates, note=note.strip()
        )
        try:
            with db.session.begin_nested():
                db.session.add(existing)
        except IntegrityError:  # a request sent at the same moment from another tab
            existing = pending_request(user)
            if existing is None:
                raise
            existing.requested_name, existing.note = name, note.strip()
    db.session.flush()
    audit.record(
        "user.certificate_name_requested",
        actor=user,
        target_type="user",
        target_id=user.id,
        details={"requested": name, "current": user.name_on_certificates},
    )
    return existing


def pending_requests() -> list[NameChangeRequest]:
    return list(
        db.session.scalars(
            select(NameChangeRequest)
            .where(NameChangeRequest.status == RequestStatus.PENDING)
            .options(joinedload(NameChangeRequest.user))
            .order_by(NameChangeRequest.created_at)
        )
    )


def _decide(request: NameChangeRequest, status: RequestStatus, actor: User, note: str, now: datetime) -> None:
    """A conditional UPDATE: of two admins deciding at once, the second is told it is already decided."""
    decided = db.session.execute(
        update(NameChangeRequest)
        .where(NameChangeRequest.id == request.id, NameChangeRequest.status == RequestStatus.PENDING)
        .values(status=status.value, decided_at=now, decided_by_id=actor.id, decision_note=note.strip())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(request)
    if not decided:
        raise DomainError(_("This request was already decided."))


def approve(request: NameChangeRequest, actor: User, note: str = "", now: datetime | None = None) -> int:
    """Approve: the name changes and the person's current certificates are reissued with it. Returns how many."""
    now = now or utcnow()
    _decide(request, RequestStatus.APPROVED, actor, note, now)
    return _apply(request.user, request.requested_name, actor=actor, request=request)


def reject(request: NameChangeRequest, actor: User, note: str = "", now: datetime | None = None) -> None:
    _decide(request, RequestStatus.REJECTED, actor, note, now or utcnow())
    audit.record(
        "user.certificate_name_rejected",
        actor=actor,
        target_type="user",
        target_id=request.user_id,
        details={"requested": request.requested_name, "note": note.strip()},
    )


def set_by_admin(user: User, name: str, actor: User) -> int:
    """An admin sets the name on certificates directly (the person page). Returns the certificates reissued."""
    name = " ".join((name or "").split())
    if not name or name == user.name_on_certificates:
        return 0
    try:
        checked = _checked(name)
    except FieldError as exc:
        raise FieldError("certificate_name", str(exc)) from None
    return _apply(user, checked, actor=actor, request=None)


def _apply(user: User, name: str, *, actor: User, request: NameChangeRequest | None) -> int:
    previous = user.name_on_certificates
    user.certificate_name = name
    audit.record(
        "user.certificate_name_changed",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"old": previous, "new": name, "request_id": request.id if request else None},
    )
    reissued = 0
    for cert in db.session.scalars(
        current_certificates().where(Certificate.user_id == user.id, Certificate.revoked_at.is_(None))
    ).all():
        if cert.learner_name != name:
            try:
                certification.reissue(cert, actor, _("Name on certificates changed"), name)
            except DomainError:
                continue  # a name the fonts cannot print: the certificate waits for an admin, as on issue
            reissued += 1
    return reissued
