import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests import factories
from tracker.certificates import badges
from tracker.enums import CertificateStatus
from tracker.extensions import db, issuing
from tracker.models import AuditEvent, Certificate, Completion, CourseProgress, Role
from tracker.services import DomainError, certification
from tracker.services.certification import codes as codes_module
from tracker.services.certification import verification
from tracker.services.content import loader


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_completing_a_course_issues_exactly_one_certificate(app, make_user, course):
    user = make_user(name="Zoë Ñúñez-Łukasiewicz")
    cert = factories.complete_course(user, course)
    assert _count(Certificate) == 1 and _count(Completion) == 1
    assert cert.learner_name == "Zoë Ñúñez-Łukasiewicz"
    assert (cert.course_title, cert.course_version, cert.score) == (course.title, 1, 100)
    assert cert.expires_at == certification.add_months(cert.issued_at, 12)
    assert cert.pdf_sha256 == hashlib.sha256(cert.pdf).hexdigest()
    assert certification.status(cert) == CertificateStatus.VALID
    # awarding the same completion again (a racing request) hands back the same certificate
    row = db.session.scalar(select(CourseProgress))
    assert certification.award(row, course).id == cert.id
    db.session.commit()
    assert _count(Certificate) == 1


def test_the_database_refuses_a_second_completion_of_the_same_cycle(app, make_user, course):
    user = make_user()
    factories.complete_course(user, course)
    db.session.add(
        Completion(
            user_id=user.id, course_id=course.id, cycle=1, completed_at=datetime.now(UTC), course_version=1, score=90
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_codes_are_long_random_and_forgiving_to_type():
    codes = {certification.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = next(iter(codes))
    assert len(code) == 23 and code.count("-") == 3
    assert set(code.replace("-", "")) <= set(codes_module.CODE_ALPHABET)
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert certification.normalise_code(sloppy) == code
    assert certification.normalise_code("not a code") is None


def test_certificate_is_a_snapshot(app, make_user):
    data = factories.course_data("snap")
    loader.apply_course(data)
    course = factories.load_course("snap")
    user = make_user(name="Before Rename")
    cert = factories.complete_course(user, course)
    sha, title = cert.pdf_sha256, cert.course_title
    user.display_name = "After Rename"
    data["title"] = "A renamed course"
    loader.apply_course(data)
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Certificate, cert.id)
    assert (again.learner_name, again.course_title, again.pdf_sha256) == ("Before Rename", title, sha)


def test_expiry_states(app, make_user, course):
    cert = factories.complete_course(make_user(), course)
    expires = cert.expires_at
    assert certification.status(cert, expires - timedelta(days=31)) == CertificateStatus.VALID
    assert certification.status(cert, expires - timedelta(days=29)) == CertificateStatus.EXPIRING
    assert certification.status(cert, expires + timedelta(seconds=1)) == CertificateStatus.EXPIRED


def test_courses_without_validity_never_expire(app, make_user):
    course = factories.make_course(valid_months=None)
    cert = factories.complete_course(make_user(), course)
    assert cert.expires_at is None
    assert certification.status(cert, datetime(2100, 1, 1, tzinfo=UTC)) == CertificateStatus.VALID


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2026, 11, 22, 9, 30, tzinfo=UTC), 14, datetime(2028, 1, 22, 9, 30, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_the_day(start, months, end):
    assert certification.add_months(start, months) == end


def test_revoke_needs_a_reason_and_is_audited(app, make_user, course):
    admin = make_user(Role.ADMIN)
    cert = factories.complete_course(make_user(), course)
    with pytest.raises(DomainError):
        certification.revoke(cert, admin, "   ")
    certification.revoke(cert, admin, "Issued in error")
    db.session.commit()
    assert certification.status(cert) == CertificateStatus.REVOKED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
    assert event.actor_id == admin.id and event.details["reason"] == "Issued in error"
    with pytest.raises(DomainError):
        certification.reissue(cert, admin, "after revoke")


def test_reissue_keeps_award_date_and_supersedes_the_old_one(app, make_user, course):
    admin = make_user(Role.ADMIN)
    user = make_user(name="Old Name")
    cert = factories.complete_course(user, course, now=datetime.now(UTC) - timedelta(days=10))
    user.display_name = "New Name"
    new = certification.reissue(cert, admin, "Name changed")
    db.session.commit()
    assert new.code != cert.code and new.revision == 2
    assert new.learner_name == "New Name" and new.issued_at == cert.issued_at and new.expires_at == cert.expires_at
    assert new.pdf_sha256 != cert.pdf_sha256
    assert certification.status(cert) == CertificateStatus.SUPERSEDED
    assert verification.latest_revision(cert).id == new.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.reissued"))
    assert event.details == {"replaces": cert.code, "reason": "Name changed", "name": "New Name", "revision": 2}
    with pytest.raises(DomainError):
        certification.reissue(cert, admin, "twice")


def test_unprintable_name_is_held_for_an_admin_never_printed_as_boxes(app, make_user, course):
    admin = make_user(Role.ADMIN)
    cert = factories.complete_course(make_user(name="山田 太郎"), course)
    assert cert.pdf is None and cert.pdf_sha256 is None
    assert "山" in cert.pending_reason and certification.status(cert) == CertificateStatus.PENDING
    with pytest.raises(DomainError):
        certification.reissue(cert, admin, "still unprintable", learner_name="山田")
    new = certification.reissue(cert, admin, "Printable spelling agreed with the learner", learner_name="Yamada Taro")
    assert new.pdf is not None and new.learner_name == "Yamada Taro"


def test_renewal_opens_in_the_window_and_links_the_new_certificate(app, make_user, course):
    user = make_user()
    start = datetime.now(UTC) - timedelta(days=350)
    first = factories.complete_course(user, course, now=start)
    with pytest.raises(DomainError):
        certification.start_renewal(user, course, now=start + timedelta(days=100))
    renew_at = start + timedelta(days=340)
    certification.start_renewal(user, course, now=renew_at)
    db.session.commit()
    row = db.session.scalar(select(CourseProgress))
    assert row.cycle == 2 and row.completed_at is None and row.percent < 100
    second = factories.complete_course(user, course, now=renew_at + timedelta(days=1))
    assert second.id != first.id and second.renews_id == first.id
    assert second.completion.cycle == 2
    assert second.expires_at == certification.add_months(renew_at + timedelta(days=1), 12)


def test_check_pdf_outcomes(app, make_user, course):
    admin = make_user(Role.ADMIN)
    cert = factories.complete_course(make_user(), course)
    original = cert.pdf
    assert verification.check_pdf(original).outcome == "match"
    tampered = original.replace(b"100%", b"99%", 1) if b"100%" in original else original[:-20] + b" " * 20
    result = verification.check_pdf(tampered)
    assert result.outcome == "altered" and result.claimed_code == cert.code
    assert verification.check_pdf(b"%PDF-1.4 nothing").outcome == "unknown"
    new = certification.reissue(cert, admin, "correction")
    result = verification.check_pdf(original)
    assert result.outcome == "superseded" and result.current.id == new.id


def test_pdf_embeds_a_credential_that_verifies_with_the_public_key_only(app, make_user, course):
    cert = factories.complete_course(make_user(), course)
    reader = PdfReader(io.BytesIO(cert.pdf))
    attached = next(iter(reader.attachments.values()))[0]
    assert attached == cert.credential.encode()
    signed = json.loads(attached)
    issuer = issuing.current
    document = badges.did_document(issuer.did, issuer.key)
    public = document["verificationMethod"][0]["publicKeyMultibase"]
    assert badges.verify_credential(signed, public)
    assert signed["credentialSubject"]["achievement"]["name"] == course.title
    assert "@" not in json.dumps(signed["credentialSubject"])  # no email
