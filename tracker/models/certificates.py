"""Completions and the certificates issued for them. A certificate row is a snapshot: immutable once issued."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .courses import Course
    from .users import User


class Completion(db.Model):
    """One completed cycle of a course by one learner. The unique key makes issuing exactly-once under races."""

    __tablename__ = "completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int]
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    course_version: Mapped[int]
    score: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(8), default="en")  # the language the learner took the course in
    # Evidence of learning: quiz attempts submitted in this cycle, and the time from the first lesson opened to the
    # completion (None when no lesson opening was recorded).
    attempts: Mapped[int] = mapped_column(default=0)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("completion_id", "revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revocation_has_reason"),
        Index("ix_certificates_user_course", "user_id", "course_id"),  # a page of people's certificates
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    # The snapshot printed on the certificate.
    learner_name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(200))
    course_version: Mapped[int]
    score: Mapped[int | None]
    organisation_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the labels, dates and course title
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the award date; a reissue keeps it
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # when this revision was made
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    credential: Mapped[str | None] = deferred(mapped_column(Text))  # signed Open Badges 3.0 JSON
    # Set when the PDF could not be produced (a name the fonts cannot print); an admin resolves it by reissuing.
    pending_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)  # internal: admins and the audit log only
    revoked_public_reason: Mapped[str | None] = mapped_column(Text)  # shown on the public verification page
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    reissue_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reissue_request_note: Mapped[str | None] = mapped_column(Text)

    completion: Mapped[Completion] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[superseded_by_id])
    renews: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[renews_id])
