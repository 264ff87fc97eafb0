"""Certificates: award on completion (exactly once), revoke, reissue, renew, and verify."""

from __future__ import annotations

import calendar
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..certificates import badges, render, signing
from ..extensions import db
from ..models import Certificate, Completion, Course, CourseProgress, User, utcnow
from . import DomainError, audit

EXPIRING_WINDOW = timedelta(days=30)
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_GROUPS, CODE_GROUP_LENGTH = 4, 5  # 20 symbols x 5 bits = 100 bits from the CSPRNG


class Status(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    PENDING = "pending"


STATUS_LABELS = {
    Status.VALID: "Valid",
    Status.EXPIRING: "Expiring within 30 days",
    Status.EXPIRED: "Expired",
    Status.REVOKED: "Revoked",
    Status.SUPERSEDED: "Superseded",
    Status.PENDING: "Being prepared",
}


def new_code() -> str:
    value = secrets.randbits(CODE_GROUPS * CODE_GROUP_LENGTH * 5)
    symbols = []
    for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH):
        value, index = divmod(value, 32)
        symbols.append(CODE_ALPHABET[index])
    text = "".join(symbols)
    return "-".join(text[i : i + CODE_GROUP_LENGTH] for i in range(0, len(text), CODE_GROUP_LENGTH))


def normalise_code(text: str) -> str | None:
    """Accept what people type: any case, spaces or no hyphens, O for 0 and I/L for 1."""
    cleaned = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("OIL", "011"))
    if len(cleaned) != CODE_GROUPS * CODE_GROUP_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + CODE_GROUP_LENGTH] for i in range(0, len(cleaned), CODE_GROUP_LENGTH))


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def status(cert: Certificate, now: datetime | None = None) -> Status:
    now = now or utcnow()
    if cert.revoked_at is not None:
        return Status.REVOKED
    if cert.superseded_at is not None:
        return Status.SUPERSEDED
    if cert.pdf_sha256 is None:
        return Status.PENDING
    if cert.expires_at is not None:
        if cert.expires_at <= now:
            return Status.EXPIRED
        if cert.expires_at - now <= EXPIRING_WINDOW:
            return Status.EXPIRING
    return Status.VALID


# --- issuing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    base_url: str
    organisation_name: str
    key: signing.IssuerKey

    @property
    def did(self) -> str:
        return signing.did_web(self.base_url)

    def verify_url(self, code: str) -> str:
        return f"{self.base_url}/verify/{code}"

    def credential_url(self, code: str) -> str:
        return f"{self.base_url}/certificates/{code}/credential.json"


def issuer() -> Issuer:
    """The organisation's identity and signing key, from configuration (loaded once per process)."""
    app = current_app._get_current_object()
    cached = app.extensions.get("tracker.issuer")
    if cached is None:
        config = app.config
        key = signing.IssuerKey.load_or_create(
            key_file=config.get("ISSUER_KEY_FILE") or None,
            key_pem=config.get("ISSUER_PRIVATE_KEY") or None,
            instance_path=Path(app.instance_path),
            allow_create=not config["PRODUCTION"],
        )
        cached = Issuer(config["PUBLIC_BASE_URL"].rstrip("/"), config["ORGANISATION_NAME"], key)
        app.extensions["tracker.issuer"] = cached
    return cached


def award(row: CourseProgress, course: Course) -> Certificate:
    """Issue the certificate of a just-completed course cycle. Concurrent calls produce exactly one."""
    completion = Completion(
        user_id=row.user_id,
        course_id=course.id,
        cycle=row.cycle,
        completed_at=row.completed_at,
        course_version=row.completed_version or course.version,
        score=row.best_score,
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        existing = db.session.scalar(
            select(Certificate)
            .join(Completion)
            .where(Completion.user_id == row.user_id, Completion.course_id == course.id, Completion.cycle == row.cycle)
            .order_by(Certificate.revision.desc())
        )
        assert existing is not None
        return existing
    user = db.session.get(User, row.user_id)
    assert user is not None
    previous = db.session.scalar(
        select(Certificate)
        .join(Completion)
        .where(Completion.user_id == user.id, Completion.course_id == course.id, Completion.cycle < row.cycle)
        .where(Certificate.superseded_at.is_(None))
        .order_by(Completion.cycle.desc())
    )
    expires = (
        add_months(completion.completed_at, course.certificate_valid_months)
        if course.certificate_valid_months
        else None
    )
    cert = Certificate(
        code=new_code(),
        completion=completion,
        user_id=user.id,
        course_id=course.id,
        revision=1,
        learner_name=user.display_name,
        course_title=course.title,
        course_version=completion.course_version,
        score=completion.score,
        organisation_name=issuer().organisation_name,
        issued_at=completion.completed_at,
        expires_at=expires,
        created_at=completion.completed_at,
        renews_id=previous.id if previous else None,
    )
    _produce_files(cert, course, user)
    db.session.add(cert)
    db.session.flush()
    audit.record(
        "certificate.issued",
        actor=user,
        target_type="certificate",
        target_id=cert.code,
        details={
            "course": course.slug,
            "version": cert.course_version,
            "cycle": row.cycle,
            "pending": cert.pending_reason,
        },
    )
    return cert


def _produce_files(cert: Certificate, course: Course, user: User) -> None:
    """Sign the Open Badges credential and render the PDF; or mark the certificate pending if the name can't print."""
    missing = render.unprintable_characters(cert.learner_name) + render.unprintable_characters(cert.course_title)
    if missing:
        cert.pending_reason = (
            "The name contains characters the certificate font cannot print: "
            + ", ".join(dict.fromkeys(missing))
            + ". An administrator can reissue it with a printable spelling of the name."
        )
        cert.pdf, cert.pdf_sha256, cert.credential = None, None, None
        return
    the_issuer = issuer()
    credential = badges.build_credential(
        badges.BadgeData(
            certificate_code=cert.code,
            credential_url=the_issuer.credential_url(cert.code),
            verify_url=the_issuer.verify_url(cert.code),
            learner_name=cert.learner_name,
            learner_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{the_issuer.base_url}/people/{user.id}')}",
            course_slug=course.slug,
            course_title=cert.course_title,
            course_summary=course.summary,
            course_version=cert.course_version,
            achievement_url=f"{the_issuer.base_url}/courses/{course.slug}#v{cert.course_version}",
            criteria_narrative=criteria_narrative(course),
            score=cert.score,
            issued_at=cert.issued_at,
            expires_at=cert.expires_at,
            issuer_id=the_issuer.did,
            issuer_name=the_issuer.organisation_name,
            issuer_url=the_issuer.base_url,
        )
    )
    signed = signing.sign_credential(
        credential, the_issuer.key, signing.verification_method_id(the_issuer.did), cert.created_at
    )
    credential_bytes = badges.credential_json(signed)
    pdf = render.render_certificate(
        render.CertificateData(
            code=cert.code,
            learner_name=cert.learner_name,
            course_title=cert.course_title,
            course_version=cert.course_version,
            score=cert.score,
            issued_at=cert.issued_at,
            expires_at=cert.expires_at,
            organisation_name=cert.organisation_name,
            verify_url=the_issuer.verify_url(cert.code),
            revision=cert.revision,
            attachment=credential_bytes,
        )
    )
    cert.pending_reason = None
    cert.credential = credential_bytes.decode("utf-8")
    cert.pdf = pdf
    cert.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


def criteria_narrative(course: Course) -> str:
    marks = sorted({m.quiz.pass_mark for m in course.modules if m.quiz is not None})
    mark_text = f" with a pass mark of {marks[0]}%" if len(marks) == 1 else ""
    return f"Read every lesson of the course and passed every module quiz{mark_text}."


# --- revoking, reissuing, renewing ------------------------------------------------------------------------------


def revoke(cert: Certificate, actor: User, reason: str, now: datetime | None = None) -> None:
    reason = reason.strip()
    if not reason:
        raise DomainError("Give a reason for revoking the certificate.")
    if cert.revoked_at is not None:
        raise DomainError("This certificate is already revoked.")
    if cert.superseded_at is not None:
        raise DomainError("This certificate was superseded; revoke the current version instead.")
    cert.revoked_at = now or utcnow()
    cert.revoked_reason = reason
    cert.revoked_by_id = actor.id
    audit.record(
        "certificate.revoked", actor=actor, target_type="certificate", target_id=cert.code, details={"reason": reason}
    )


def reissue(
    cert: Certificate, actor: User, reason: str, learner_name: str | None = None, now: datetime | None = None
) -> Certificate:
    """A new revision with a new PDF and code and the same award date; the old one is marked superseded."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Give a reason for reissuing the certificate.")
    if cert.superseded_at is not None:
        raise DomainError("This certificate was already superseded by a newer version.")
    if cert.revoked_at is not None:
        raise DomainError("A revoked certificate cannot be reissued.")
    now = now or utcnow()
    user = db.session.get(User, cert.user_id)
    course = db.session.get(Course, cert.course_id)
    assert user is not None and course is not None
    name = (learner_name or "").strip() or user.display_name
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
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        created_at=now,
        renews_id=cert.renews_id,
    )
    _produce_files(new, course, user)
    if new.pending_reason:
        raise DomainError(new.pending_reason.split(". An administrator")[0] + ". Enter a printable spelling.")
    db.session.add(new)
    db.session.flush()
    cert.superseded_at = now
    cert.superseded_by_id = new.id
    cert.reissue_requested_at = None
    audit.record(
        "certificate.reissued",
        actor=actor,
        target_type="certificate",
        target_id=new.code,
        details={"replaces": cert.code, "reason": reason, "name": name, "revision": revision},
    )
    return new


def request_reissue(cert: Certificate, user: User, note: str, now: datetime | None = None) -> None:
    if status(cert, now) in (Status.REVOKED, Status.SUPERSEDED):
        raise DomainError("Only a current certificate can be reissued.")
    cert.reissue_requested_at = now or utcnow()
    cert.reissue_request_note = note.strip() or None
    audit.record(
        "certificate.reissue_requested",
        actor=user,
        target_type="certificate",
        target_id=cert.code,
        details={"note": cert.reissue_request_note},
    )


def current_certificate(user_id: int, course_id: int) -> Certificate | None:
    """The newest certificate of the latest cycle, whatever its status."""
    return db.session.scalar(
        select(Certificate)
        .join(Completion)
        .where(Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Completion.cycle.desc(), Certificate.revision.desc())
        .limit(1)
    )


def can_renew(cert: Certificate | None, now: datetime | None = None) -> bool:
    return cert is not None and status(cert, now) in (Status.EXPIRING, Status.EXPIRED)


def start_renewal(user: User, course: Course, now: datetime | None = None) -> None:
    """Begin a recertification cycle: the course's quizzes must be passed again to earn a new certificate."""
    from . import progress

    now = now or utcnow()
    cert = current_certificate(user.id, course.id)
    if not can_renew(cert, now):
        raise DomainError("Recertification opens 30 days before your certificate expires.")
    row = db.session.scalar(
        select(CourseProgress).where(CourseProgress.user_id == user.id, CourseProgress.course_id == course.id)
    )
    assert row is not None
    if row.completed_at is None:
        return  # already renewing: starting twice changes nothing
    row.cycle += 1
    row.cycle_started_at = now
    row.completed_at = None
    row.completed_version = None
    row.best_score = None
    db.session.flush()
    progress.refresh(user.id, course, now=now)
    audit.record(
        "certificate.renewal_started",
        actor=user,
        target_type="course",
        target_id=course.slug,
        details={"cycle": row.cycle, "previous": cert.code},
    )
