"""Checks of what must hold across the stored data whatever happened concurrently: each completion has one current
certificate, a revoked certificate is never reissued, a certificate has all its files or none (none while pending),
a finished course has its completion, a learner has at most one open attempt per quiz, the maintained matrix tables
agree with the data they come from. Read-only; `flask check-invariants` prints what it finds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select

from ..extensions import db
from ..models import Attempt, Certificate, Completion, CourseProgress
from .certification.status import is_pending


@dataclass(frozen=True)
class Violation:
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


def completions_without_current_certificate() -> list[Violation]:
    """A completion's certificate is its one revision that is not superseded (revoked or not)."""
    current = exists().where(Certificate.completion_id == Completion.id, Certificate.superseded_at.is_(None))
    rows = db.session.execute(
        select(Completion.id, Completion.user_id, Completion.course_id, Completion.cycle)
        .where(~current)
        .order_by(Completion.id)
    )
    return [
        Violation(
            "completion without a current certificate",
            f"completion {cid} (person {user_id}, course {course_id}, cycle {cycle}) has no certificate that is "
            "not superseded",
        )
        for cid, user_id, course_id, cycle in rows
    ]


def certificates_with_two_current_revisions() -> list[Violation]:
    rows = db.session.execute(
        select(Certificate.completion_id, func.count(Certificate.id), func.min(Certificate.code))
        .where(Certificate.superseded_at.is_(None))
        .group_by(Certificate.completion_id)
        .having(func.count(Certificate.id) > 1)
        .order_by(Certificate.completion_id)
    )
    return [
        Violation(
            "certificate with two current revisions",
            f"completion {completion_id} has {count} revisions that are not superseded (one of them {code})",
        )
        for completion_id, count, code in rows
    ]


def revoked_certificates_reissued() -> list[Violation]:
    """Revoking refuses a superseded certificate and reissuing a revoked one: both at once is a lost race."""
    rows = db.session.execute(
        select(Certificate.code, Certificate.superseded_by_id)
        .where(Certificate.revoked_at.is_not(None), Certificate.superseded_at.is_not(None))
        .order_by(Certificate.id)
    )
    return [
        Violation(
            "revoked certificate with a newer revision",
            f"certificate {code} is revoked and also superseded (by certificate id {newer})",
        )
        for code, newer in rows
    ]


def certificate_files_out_of_step() -> list[Violation]:
    """A certificate has its PDF, the PDF's hash and its signed credential, or none of them: none while pending (a
    name the font cannot print) or until first use (bulk-loaded data, see `issuing.ensure_files`)."""
    parts = {"a PDF": Certificate.pdf, "a PDF hash": Certificate.pdf_sha256, "a credential": Certificate.credential}
    present = [column.is_not(None) for column in parts.values()]
    rows = db.session.execute(
        select(Certificate.code, is_pending(), *present)
        .where(or_(and_(or_(*present), ~and_(*present)), and_(is_pending(), or_(*present))))
        .order_by(Certificate.id)
    )
    violations = []
    for code, waiting, *has in rows:
        held = [name for name, there in zip(parts, has, strict=True) if there]
        if waiting:
            detail = f"is pending and has {', '.join(held)}"
        else:
            detail = f"has {', '.join(held)} without {', '.join(n for n in parts if n not in held)}"
        violations.append(Violation("certificate files", f"certificate {code} {detail}"))
    return violations


def finished_progress_without_completion() -> list[Violation]:
    """A course at 100 % (or marked completed) in the learner's current cycle has the completion of that cycle."""
    completion = exists().where(
        Completion.user_id == CourseProgress.user_id,
        Completion.course_id == CourseProgress.course_id,
        Completion.cycle == CourseProgress.cycle,
    )
    rows = db.session.execute(
        select(CourseProgress.user_id, CourseProgress.course_id, CourseProgress.cycle, CourseProgress.percent)
        .where(or_(CourseProgress.percent >= 100, CourseProgress.completed_at.is_not(None)), ~completion)
        .order_by(CourseProgress.id)
    )
    return [
        Violation(
            "finished course without a completion",
            f"person {user_id} is at {percent} % of course {course_id} (cycle {cycle}) without a completion",
        )
        for user_id, course_id, cycle, percent in rows
    ]


def people_with_two_open_attempts() -> list[Violation]:
    rows = db.session.execute(
        select(Attempt.user_id, Attempt.quiz_id, func.count(Attempt.id))
        .where(Attempt.submitted_at.is_(None))
        .group_by(Attempt.user_id, Attempt.quiz_id)
        .having(func.count(Attempt.id) > 1)
        .order_by(Attempt.user_id, Attempt.quiz_id)
    )
    return [
        Violation("two open attempts", f"person {user_id} has {count} open attempts at quiz {quiz_id}")
        for user_id, quiz_id, count in rows
    ]


def matrix_tables_out_of_step() -> list[Violation]:
    """The maintained matrix tables hold what a fresh computation gives (statuses, summaries, counts per team), and
    so do the coverage rows kept with them (a status per person and AI system, a summary per person).

    Statuses that change with time alone (a due date passing) are brought to now first, inside a savepoint that
    is rolled back: the check stores nothing."""
    from .reporting import status_table  # the reporting services import the models' users of this module

    savepoint = db.session.begin_nested()
    try:
        found = status_table.differences()
    finally:
        savepoint.rollback()
    return [Violation("matrix tables", message) for message in found]


CHECKS = (
    completions_without_current_certificate,
    certificates_with_two_current_revisions,
    revoked_certificates_reissued,
    certificate_files_out_of_step,
    finished_progress_without_completion,
    people_with_two_open_attempts,
    matrix_tables_out_of_step,
)


def violations() -> list[Violation]:
    """Every violation of every check (one aggregate query per check, whatever the size of the data)."""
    return [violation for check in CHECKS for violation in check()]
