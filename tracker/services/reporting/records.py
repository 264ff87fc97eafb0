"""Report files (PDF, CSV): data in, bytes out. No database, no Flask.

The evidence report's data types live here so that services build them and the renderers only read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .cells import csv_text, iso_utc  # noqa: F401  (csv_text: the views write the evidence and audit CSV from here)

# Printed on every evidence report (page, PDF). Worded with care: the app keeps records, it certifies nothing.
ARTICLE_4_STATEMENT = _l(
    "This report records training provided and completed to support the organisation's AI-literacy measures "
    "under Article 4 of Regulation (EU) 2024/1689 (the AI Act). "
    "It is an internal record and not a certification of compliance."
)
DUE_NEXT_EXPLAINED = _l(
    "Due next is the earliest open item: an assigned course not yet completed (by its due date), or the renewal "
    "of a certificate that expires within 30 days or has expired."
)


# --------------------------------------------------------------------------- the evidence report's data


@dataclass(frozen=True)
class CompletedCourse:
    course_title: str
    course_version: int
    completed_at: datetime  # UTC
    score: int | None  # percent; None when the course has no quiz
    certificate_code: str | None
    status: str | None  # certification.Status value; None without a certificate
    status_label: str
    expires_at: datetime | None  # UTC; None: does not expire
    language: str = "en"  # the language the person took the course in
    attempts: int = 0  # quiz attempts submitted in the completed cycle
    first_opened_at: datetime | None = None  # UTC; the first lesson (or quiz) opened in the cycle

    @property
    def time_to_complete(self) -> timedelta | None:
        """From the first lesson opened to the completion (the last quiz passed); None when not recorded."""
        return None if self.first_opened_at is None else self.completed_at - self.first_opened_at


@dataclass(frozen=True)
class DueItem:
    kind: str  # "assignment" | "renewal"
    course_title: str
    due_on: date
    overdue: bool

    @property
    def label(self) -> str:
        if self.kind == "renewal":
            return _("Renew %(course)s", course=self.course_title)
        return _("Complete %(course)s", course=self.course_title)


@dataclass(frozen=True)
class PersonRecord:
    id: int
    name: str
    email: str
    team: str | None
    job_role: str | None
    role: str  # learner | manager | admin
    completed: tuple[CompletedCourse, ...]
    due: tuple[DueItem, ...]  # earliest first

    @property
    def due_next(self) -> DueItem | None:
        return self.due[0] if self.due else None

    @property
    def overdue(self) -> bool:
        return any(item.overdue for item in self.due)


@dataclass(frozen=True)
class EvidenceReport:
    organisation_name: str
    generated_at: datetime  # UTC
    scope_label: str  # "Whole organisation", "Team Sales and its sub-teams North, South"
    people: tuple[PersonRecord, ...]
    inactive_excluded: int  # deactivated accounts in the scope, left out of the report
    statement: str = field(default_factory=lambda: str(ARTICLE_4_STATEMENT))  # in the language of the report

    @property
    def with_completion(self) -> int:
        return sum(1 for p in self.people if p.completed)

    @property
    def without_completion(self) -> int:
        return sum(1 for p in self.people if not p.completed)

    @property
    def with_overdue(self) -> int:
        return sum(1 for p in self.people if p.overdue)


def utc_timestamp(value: datetime | None) -> str:
    """ISO 8601 in UTC with the zone stated: 2026-01-31T09:00:00Z."""
    return iso_utc(value) if value else ""


# --------------------------------------------------------------------------- CSV

EVIDENCE_CSV_HEADER = (
    "person_name",
    "email",
    "team",
    "job_role",
    "role",
    "course_title",
    "course_version",
    "completed_at_utc",
    "score_percent",
    "certificate_code",
    "certificate_status",
    "certificate_status_label",
    "certificate_expires_at_utc",
    "due_next",
    "due_next_kind",
    "due_next_date",
    "due_next_overdue",
    "open_items",
    "report_generated_at_utc",
    "course_language",  # added last, so existing columns keep their positions
    "quiz_attempts",
    "first_lesson_opened_at_utc",
    "seconds_first_lesson_to_completion",
)


def evidence_csv_rows(report: EvidenceReport) -> Iterator[tuple]:
    """One row per person and completed course; one row with empty course columns for a person with none."""
    generated = utc_timestamp(report.generated_at)
    for person in report.people:
        due = person.due_next
        person_columns = (person.name, person.email, person.team or "", person.job_role or "", person.role)
        due_columns = (
            due.course_title if due else "",
            due.kind if due else "",
            due.due_on.isoformat() if due else "",
            ("yes" if due.overdue else "no") if due else "",
            len(person.due),
            generated,
        )
        if not person.completed:
            yield (*person_columns, "", "", "", "", "", "", "", "", *due_columns, "", "", "", "")
        for course in person.completed:
            yield (
                *person_columns,
                course.course_title,
                course.course_version,
                utc_timestamp(course.completed_at),
                "" if course.score is None else course.score,
                course.certificate_code or "",
                course.status or "",
                course.status_label,
                utc_timestamp(course.expires_at),
                *due_columns,
                course.language,
                course.attempts or "",  # 0: a completion recorded before attempts were counted
                utc_timestamp(course.first_opened_at),
                "" if course.time_to_complete is None else int(course.time_to_complete.total_seconds()),
            )
