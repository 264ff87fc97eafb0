"""A person's training record as CSV: the same records as the page, one row each, machine-readable (UTC, seconds)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from .records import utc_timestamp
from .transcript import Transcript

CSV_HEADER = (
    "person_email",
    "record",  # course | attempt | lesson | completion | certificate | event
    "course_slug",
    "course_title",
    "item",  # module (attempt), lesson, certificate code, audit action
    "number",  # attempt number, completion cycle, certificate revision
    "started_at_utc",
    "ended_at_utc",
    "due_on",
    "score_percent",
    "status",  # progress status, passed/failed, certificate status
    "language",
    "attempts",  # quiz attempts of a completion
    "seconds",  # time on a lesson page; first lesson to completion
    "detail",  # public revocation reason (internal too for admins), grant, event details
)


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else str(int(value.total_seconds()))


def _iso(value: datetime | None) -> str:
    return utc_timestamp(value) if value else ""


def _row(**values) -> tuple:
    return tuple("" if values.get(name) is None else values[name] for name in CSV_HEADER)


def csv_rows(transcript: Transcript) -> Iterator[tuple]:
    """The transcript as rows of CSV_HEADER: the same records as the page, machine-readable (UTC, seconds)."""
    email = transcript.email
    for course in transcript.courses:
        about = {"person_email": email, "course_slug": course.slug, "course_title": course.title}
        yield _row(
            **about,
            record="course",
            number=course.cycle,
            started_at_utc=_iso(course.started_at),
            ended_at_utc=_iso(course.completed_at),
            due_on=course.due_on.isoformat() if course.due_on else None,
            score_percent=course.percent if course.cycle is not None else None,
            status=course.status.value,
            detail="overdue" if course.overdue(transcript.today) else None,
        )
        for quiz in course.quizzes:
            for attempt in quiz.attempts:
                yield _row(
                    **about,
                    record="attempt",
                    item=quiz.module_title,
                    number=attempt.number,
                    started_at_utc=_iso(attempt.started_at),
                    ended_at_utc=_iso(attempt.submitted_at),
                    score_percent=attempt.score,
                    status="open" if attempt.passed is None else ("passed" if attempt.passed else "failed"),
                    language=attempt.language,
                    detail=None if attempt.in_current_cycle else "earlier cycle",
                )
            if quiz.unused_grant_at is not None:
                yield _row(
                    **about,
                    record="grant",
                    item=quiz.module_title,
                    started_at_utc=_iso(quiz.unused_grant_at),
                    status="unused",
                    detail=quiz.unused_grant_by,
                )
        for lesson in course.lessons:
            yield _row(
                **about,
                record="lesson",
                item=f"{lesson.module_title} / {lesson.lesson_title}",
                started_at_utc=_iso(lesson.opened_at),
                ended_at_utc=_iso(lesson.read_at),
                status="read",
                seconds=_seconds(lesson.time_on_page),
            )
        for completion in course.completions:
            yield _row(
                **about,
                record="completion",
                item=f"version {completion.course_version}",
                number=completion.cycle,
                started_at_utc=_iso(completion.first_opened_at),
                ended_at_utc=_iso(completion.completed_at),
                score_percent=completion.score,
                status="completed",
                language=completion.language,
                attempts=completion.attempts or None,  # 0: recorded before attempts were counted
                seconds=_seconds(completion.time_to_complete),
            )
        for cert in course.certificates:
            yield _row(
                **about,
                record="certificate",
                item=cert.code,
                number=cert.revision,
                started_at_utc=_iso(cert.issued_at),
                ended_at_utc=_iso(cert.expires_at),
                status=cert.status.value,
                detail=" | ".join(r for r in (cert.revoked_public_reason, cert.revoked_reason) if r) or None,
            )
    for event in transcript.events:
        details = None if event.details is None else json.dumps(event.details, ensure_ascii=False, sort_keys=True)
        yield _row(
            person_email=email,
            record="event",
            item=event.action,
            started_at_utc=_iso(event.at),
            status=f"{event.target_type}:{event.target_id}" if event.target_type else None,
            detail=" ".join(part for part in (event.actor_email, details) if part) or None,
        )


def file_name(transcript: Transcript) -> str:
    stamp = transcript.generated_at.strftime("%Y%m%dT%H%MZ")
    return f"transcript-{transcript.person_id}-{stamp}.csv"
