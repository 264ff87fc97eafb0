"""Published versions of a course (what was published, by whom, when) and admins' unpublished drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class CourseVersion(db.Model):
    """One published version of a course, kept whole so that it can be compared and restored."""

    __tablename__ = "course_versions"
    # One row per version number: two publishes can never both become version N.
    __table_args__ = (
        UniqueConstraint("course_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    # The course file as published, comments and layout included (translations are in `content`).
    source_text: Mapped[str] = mapped_column(Text)
    # The normalised content whose fingerprint is `content_hash`, translations included.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What changed from the version before, counted (services/content/changes.py, `CourseChanges.summary`).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    restored_from: Mapped[int | None]


class CourseDraft(db.Model):
    """An admin's unpublished edits of a course in the structured editor: the course file being edited and the
    version it started from. Publishing goes through the same preview and the same check as a YAML edit."""

    __tablename__ = "course_drafts"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    base_version: Mapped[int]
    base_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
