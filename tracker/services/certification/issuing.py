"""Issuing certificates: the exactly-once award on completion and the files (signed credential, PDF)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...certificates import badges, render, signing
from ...extensions import db, issuing
from ...i18n import BABEL_LOCALES, language_for
from ...models import Certificate, Completion, Course, CourseProgress, User
from .. import audit
from ..learning import progress
from . import status_list
from .codes import new_code
from .status import add_months, is_pending, pending


def award(row: CourseProgress, course: Course) -> Certificate:
    """Issue the certificate of a just-completed course cycle. Concurrent calls produce exactly one.

    The certificate is in the learner's language (labels, dates and, where translated, the course title)."""
    cert = award_if_new(row, course)
    if cert is not None:
        return cert
    existing = db.session.scalar(
        select(Certificate)
        .join(Completion)
        .where(Completion.user_id == row.user_id, Completion.course_id == course.id, Completion.cycle == row.cycle)
        .order_by(Certificate.revision.desc())
    )
    if existing is not None:
        return existing
    # The cycle's completion is recorded without a certificate (data from before certificates): issue it now.
    completion = db.session.scalars(
        select(Completion).where(
            Completion.user_id == row.user_id, Completion.course_id == course.id, Completion.cycle == row.cycle
        )
    ).one()
    return (
        issue_for_completion(completion)
        or db.session.scalars(
            select(Certificate).where(Certificate.completion_id == completion.id).order_by(Certificate.revision.desc())
        ).first()
    )


def award_if_new(row: CourseProgress, course: Course, now: datetime | None = None) -> Certificate | None:
    """Record the completion of a course cycle and issue its certificate; None when that completion is already
    recorded (by a concurrent call, or earlier): the unique key of completions decides, so exactly one wins.
    `now`, when given, is when the certificate is made (a late issue); otherwise the completion time."""
    course = db.session.get_one(Course, course.id)  # the row itself, whatever view of it the caller holds
    user = db.session.get_one(User, row.user_id)
    language = language_for(user)
    evidence = progress.learning_evidence(user.id, course.id, row.cycle_started_at)
    completion = Completion(
        user_id=row.user_id,
        course_id=course.id,
        cycle=row.cycle,
        completed_at=row.completed_at,
        course_version=row.completed_version or course.version,
        score=row.best_score,
        language=language,
        attempts=evidence.attempts,
        first_opened_at=evidence.first_opened_at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        return None
    return _issue(completion, course, user, now)


def issue_for_completion(completion: Completion, now: datetime | None = None) -> Certificate | None:
    """Issue the first certificate of a completion recorded without one; None when it has one already (the unique
    key of a completion's revisions decides between concurrent calls)."""
    course = db.session.get_one(Course, completion.course_id)
    user = db.session.get_one(User, completion.user_id)
    try:
        with db.session.begin_nested():
            return _issue(completion, course, user, now)
    except IntegrityError:
        return None


def _issue(completion: Completion, course: Course, user: User, now: datetime | None) -> Certificate:
    previous = db.session.scalar(
        select(Certificate)
        .join(Completion)
        .where(Completion.user_id == user.id, Completion.course_id == course.id, Completion.cycle < completion.cycle)
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
        learner_name=user.name_on_certificates,
        course_title=title_in(course, completion.language),
        language=completion.language,
        course_version=completion.course_version,
        score=completion.score,
        organisation_name=issuing.current.organisation_name,
        issued_at=completion.completed_at,
        expires_at=expires,
        created_at=now or completion.completed_at,
        renews_id=previous.id if previous else None,
    )
    db.session.add(cert)
    db.session.flush()  # its id is its index in the revocation list, named in the signed credential
    produce_files(cert, course, user)
    db.session.flush()
    audit.record(
        "certificate.issued",
        actor=user,
        target_type="certificate",
        target_id=cert.code,
        details={
            "course": course.slug,
            "version": cert.course_version,
            "cycle": completion.cycle,
            "pending": cert.pending_reason,
            **({"late": True} if now is not None else {}),
        },
    )
    return cert


@dataclass(frozen=True)
class Files:
    pdf: bytes
    credential: str  # the signed Open Badges credential as JSON

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def produce_files(cert: Certificate, course: Course, user: User) -> None:
    """Sign the Open Badges credential and render the PDF; or mark the certificate pending if the name can't print."""
    files = _render(cert, course, user)
    if isinstance(files, str):
        cert.pending_reason = files
        cert.pdf, cert.pdf_sha256, cert.credential = None, None, None
        return
    cert.pending_reason = None
    cert.credential, cert.pdf, cert.pdf_sha256 = files.credential, files.pdf, files.sha256


def ensure_files(cert: Certificate) -> bool:
    """Make the files of a certificate issued without them (bulk-loaded data renders them on first use); True when
    it has files, False when it is pending. The files are written exactly once, so their bytes and hash never change
    afterwards: the row is locked while rendering (a concurrent first download waits, then reads what was written)
    and the write only applies to a row still without files. Rendering is deterministic per certificate (the dates
    printed and signed are the certificate's own), so any renderer would produce the same bytes anyway."""
    if pending(cert):
        return False
    if cert.pdf_sha256 is not None:
        return True
    stored = db.session.execute(
        select(Certificate.pdf_sha256, Certificate.pending_reason).where(Certificate.id == cert.id).with_for_update()
    ).one()
    if stored.pdf_sha256 is None and stored.pending_reason is None:
        files = _render(cert, db.session.get_one(Course, cert.course_id), db.session.get_one(User, cert.user_id))
        values = (
            {"pending_reason": files}
            if isinstance(files, str)
            else {"pdf": files.pdf, "pdf_sha256": files.sha256, "credential": files.credential}
        )
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id, Certificate.pdf_sha256.is_(None), ~is_pending())
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(cert, ["pdf", "pdf_sha256", "credential", "pending_reason"])
    return not pending(cert)


def ensure_all_files(certificates: Iterable[Certificate]) -> None:
    """`ensure_files` for many certificates (a ZIP): their rows are locked in one statement, in the order of their
    ids, so two such calls at once never wait for each other in a cycle."""
    waiting = {cert.id: cert for cert in certificates if not pending(cert) and cert.pdf_sha256 is None}
    if waiting:
        db.session.execute(
            select(Certificate.id).where(Certificate.id.in_(sorted(waiting))).order_by(Certificate.id).with_for_update()
        ).all()
        for cert_id in sorted(waiting):
            ensure_files(waiting[cert_id])


def _render(cert: Certificate, course: Course, user: User) -> Files | str:
    """The files of a certificate, or why they cannot be made (a character the certificate font cannot print)."""
    missing = render.unprintable_characters(cert.learner_name) + render.unprintable_characters(cert.course_title)
    if missing:
        return _(
            "The name contains characters the certificate font cannot print: %(characters)s. An administrator can "
            "reissue it with a printable spelling of the name.",
            characters=", ".join(dict.fromkeys(missing)),
        )
    if cert.id is None:  # the credential names the row's id as its index in the revocation list
        db.session.add(cert)
        db.session.flush()
    the_issuer = issuing.current
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
            credential_status=status_list.entry_for(cert),
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
            language=cert.language,
            labels=certificate_labels(cert.language),
            awarded_on=printed_date(cert.issued_at, cert.language),
            expires_on=printed_date(cert.expires_at, cert.language) if cert.expires_at else None,
        )
    )
    return Files(pdf=pdf, credential=credential_bytes.decode("utf-8"))


def title_in(course: Course, language: str) -> str:
    if language == course.source_language:
        return course.title
    return (course.translations or {}).get(language, {}).get("title", course.title)


def certificate_labels(language: str) -> render.CertificateLabels:
    """The words of a certificate in one language (from the interface catalogues)."""
    with force_locale(BABEL_LOCALES.get(language, language)):
        return render.CertificateLabels(
            heading=_("Certificate of completion"),
            has_completed=_("has completed the course"),
            date_of_award=_("Date of award"),
            score=_("Score"),
            valid_until=_("Valid until"),
            does_not_expire=_("Does not expire"),
            course_version=_("Course version"),
            certificate_code=_("Certificate code"),
            verify=_("Verify this certificate"),
            scan_hint=_("Scan the code or visit the address above"),
            reissued=_("Reissued (revision %(revision)s)", revision="{revision}"),
            disclaimer=_(
                "This certificate is an internal record of training completed with %(organisation)s. "
                "It is not a legal certification or accreditation.",
                organisation="{organisation}",
            ),
            document_title=_("Certificate %(code)s: %(title)s", code="{code}", title="{title}"),
            document_subject=_("Certificate of completion %(code)s for %(name)s", code="{code}", name="{name}"),
            attachment_description=_("Machine-readable credential for certificate %(code)s", code="{code}"),
        )


def printed_date(moment: datetime, language: str) -> str:
    """A date as printed on a certificate (the UTC day), in its language: 1 December 2026, 1. Dezember 2026."""
    with force_locale(BABEL_LOCALES.get(language, language)):
        return format_date(moment.astimezone(UTC).date(), "long")


def criteria_narrative(course: Course) -> str:
    marks = sorted({m.quiz.pass_mark for m in course.modules if m.quiz is not None})
    mark_text = f" with a pass mark of {marks[0]}%" if len(marks) == 1 else ""
    return f"Read every lesson of the course and passed every module quiz{mark_text}."
