"""After issue: revoking, reissuing (a new revision), learners' reissue requests and recertification cycles."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select, update

from ...enums import CertificateStatus
from ...extensions import db
from ...models import Certificate, Completion, Course, CourseProgress, User, utcnow
from .. import DomainError, FieldError, audit
from ..learning import progress
from .codes import new_code
from .issuing import award, produce_files
from .status import can_renew, status


def lock(cert: Certificate) -> Certificate:
    """Lock a certificate's row until the transaction ends and read its current state: of two admins acting on
    the same certificate at once, the second sees what the first did. (A no-op UPDATE: a row lock on PostgreSQL,
    the database write lock on SQLite.)"""
    db.session.execute(
        update(Certificate)
        .where(Certificate.id == cert.id)
        .values(id=Certificate.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(cert)
    return cert


def revoke(cert: Certificate, actor: User, reason: str, public_reason: str = "", now: datetime | None = None) -> None:
    """Revoke a current certificate. `reason` is internal (admins, the audit log); `public_reason`, if any, is what
    the public verification page and the learner are told."""
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", _("Give a reason for revoking the certificate."))
    lock(cert)
    if cert.revoked_at is not None:
        raise DomainError(_("This certificate is already revoked."))
    if cert.superseded_at is not None:
        raise DomainError(_("This certificate was superseded; revoke the current version instead."))
    cert.revoked_at = now or utcnow()
    cert.revoked_reason = reason
    cert.revoked_public_reason = public_reason.strip() or None
    cert.revoked_by_id = actor.id
    cert.reissue_requested_at = None
    audit.record(
        "certificate.revoked",
        actor=actor,
        target_type="certificate",
        target_id=cert.code,
        details={"reason": reason, "public_reason": cert.revoked_public_reason},
    )


def reissue(
    cert: Certificate, actor: User, reason: str, learner_name: str | None = None, now: datetime | None = None
) -> Certificate:
    """A new revision with a new PDF and code and the same award date; the old one is marked superseded. A name
    given here becomes the person's name on certificates from now on."""
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", _("Give a reason for reissuing the certificate."))
    lock(cert)
    if cert.superseded_at is not None:
        raise DomainError(_("This certificate was already superseded by a newer version."))
    if cert.revoked_at is not None:
        raise DomainError(_("A revoked certificate cannot be reissued."))
    now = now or utcnow()
    user = db.session.get_one(User, cert.user_id)
    course = db.session.get_one(Course, cert.course_id)
    name = (learner_name or "").strip() or user.name_on_certificates
    revision = (
        db.session.scalar(select(func.max(Certificate.revision)).where(Certificate.completion_id == cert.completion_id))
        or 0
    ) + 1
    new = Certificate(
        code=new_code(),
        completion_id=cert.completion_id,
        user_id=cert.user_id,
        course_id=cert.course_id,
        revision=revision,
        learner_name=name,
        course_title=cert.course_title,
        course_version=cert.course_version,
        score=cert.score,
        organisation_name=cert.organisation_name,
        language=cert.language,
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        created_at=now,
        renews_id=cert.renews_id,
    )
    produce_files(new, course, user)
    if new.pending_reason:
        raise FieldError("learner_name", _("The certificate fonts cannot print this name. Enter a printable spelling."))
    db.session.add(new)
    db.session.flush()
    cert.superseded_at = now
    cert.superseded_by_id = new.id
    cert.reissue_requested_at = None
    if name != user.name_on_certificates:
        user.certificate_name = name
    audit.record(
        "certificate.reissued",
        actor=actor,
        target_type="certificate",
        target_id=new.code,
        details={"replaces": cert.code, "reason": reason, "name": name, "revision": revision},
    )
    return new


def request_reissue(cert: Certificate, user: User, note: str, now: datetime | None = None) -> None:
    lock(cert)
    if status(cert, now) in (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED):
        raise DomainError(_("Only a current certificate can be reissued."))
    if cert.reissue_requested_at is not None:
        raise DomainError(_("A reissue of this certificate is already requested."))
    cert.reissue_requested_at = now or utcnow()
    cert.reissue_request_note = note.strip() or None
    audit.record(
        "certificate.reissue_requested",
        actor=user,
        target_type="certificate",
        target_id=cert.code,
        details={"note": cert.reissue_request_note},
    )


@cache
def _current_certificate_statement() -> Select:
    # Every course page runs this: built once, not per request (building a statement costs more than running it).
    return (
        select(Certificate)
        .join(Completion)
        .where(Certificate.user_id == bindparam("user_id"), Certificate.course_id == bindparam("course_id"))
        .order_by(Completion.cycle.desc(), Certificate.revision.desc())
        .limit(1)
    )


def current_certificate(user_id: int, course_id: int) -> Certificate | None:
    """The newest certificate of the latest cycle, whatever its status."""
    return db.session.scalar(_current_certificate_statement(), {"user_id": user_id, "course_id": course_id})


def start_renewal(user: User, course: Course, now: datetime | None = None) -> None:
    """Begin a recertification cycle: the course's quizzes must be passed again to earn a new certificate."""
    now = now or utcnow()
    cert = current_certificate(user.id, course.id)
    if not can_renew(cert, now):
        raise DomainError(_("Recertification opens 30 days before your certificate expires."))
    row = db.session.scalar(
        select(CourseProgress).where(CourseProgress.user_id == user.id, CourseProgress.course_id == course.id)
    )
    if row is None or row.completed_at is None:
        return  # already renewing: starting twice changes nothing
    row.cycle += 1
    row.cycle_started_at = now
    row.completed_at = None
    row.completed_version = None
    row.best_score = None
    db.session.flush()
    for completed in progress.refresh(user.id, course, now=now):  # a course without quizzes completes at once
        award(completed, course)
    audit.record(
        "certificate.renewal_started",
        actor=user,
        target_type="course",
        target_id=course.slug,
        details={"cycle": row.cycle, "previous": cert.code},
    )
