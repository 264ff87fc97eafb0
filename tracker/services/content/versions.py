"""The published versions of each course: recorded whole at every publish, listed, compared and restored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from ...extensions import db
from ...models import Course, CourseVersion, User
from . import changes, translations
from .export import (
    course_for_export,
    dump_yaml,
    export_course,
    export_course_yaml,
    export_translation,
    file_from_content,
    translation_file_from_content,
)
from .schema import validate_course


def record(
    course: Course,
    data: dict[str, Any],
    *,
    source_text: str | None = None,
    actor: User | None = None,
    restored_from: int | None = None,
) -> CourseVersion:
    """Keep the version the course just became: its file (as written, or laid out from the content), its
    normalised content with the translations, and what changed from the version before."""
    previous = db.session.scalar(
        select(CourseVersion.content).where(
            CourseVersion.course_id == course.id, CourseVersion.version == course.version - 1
        )
    )
    summary = changes.compare(previous, data).summary() if previous is not None else {}
    if restored_from is not None:
        summary["restored_from"] = restored_from
    version = CourseVersion(
        course_id=course.id,
        version=course.version,
        content_hash=course.content_hash,
        source_text=source_text if source_text is not None else dump_yaml(file_from_content(data)),
        content=data,
        summary=summary,
        published_by_id=actor.id if actor is not None else None,
        published_at=course.updated_at,
        restored_from=restored_from,
    )
    db.session.add(version)
    db.session.flush()
    return version


def record_missing(course: Course, data: dict[str, Any] | None = None, source_text: str | None = None) -> None:
    """Record the stored version of a course published before versions were kept (from `data` and its file when
    they match it, else from the database), so that the next publish can be compared with it and undone."""
    if has_version(course.id, course.version):
        return
    if data is None:
        data, source_text = stored_content(course)
    try:
        with db.session.begin_nested():  # someone else recording it at the same moment is as good
            db.session.add(
                CourseVersion(
                    course_id=course.id,
                    version=course.version,
                    content_hash=course.content_hash,
                    source_text=source_text if source_text is not None else dump_yaml(file_from_content(data)),
                    content=data,
                    summary={},
                    published_at=course.updated_at,
                )
            )
    except IntegrityError:
        pass


def has_version(course_id: int, version: int) -> bool:
    return (
        db.session.scalar(
            select(CourseVersion.id).where(CourseVersion.course_id == course_id, CourseVersion.version == version)
        )
        is not None
    )


def stored_content(course: Course) -> tuple[dict[str, Any], str]:
    """The stored course as normalised content (translations included) and as a course file."""
    course = course_for_export(course.slug) or course
    data, _problems = validate_course(export_course(course))
    # A stored course always exports to valid content (the round-trip test pins this).
    assert data is not None, _problems
    kept = {}
    for language in course.translations:
        translation = translations.carry_over(data, export_translation(course, language))
        if translation is not None:
            kept[language] = translation
    return {**data, "translations": kept}, export_course_yaml(course)


@dataclass(frozen=True)
class VersionRow:
    version: int
    content_hash: str
    published_at: datetime
    published_by: str | None  # the admin's name; None for a load from files
    summary: dict[str, Any]
    restored_from: int | None
    current: bool


def history(course: Course) -> list[VersionRow]:
    """Every recorded version, newest first; two queries, and neither reads the content."""
    rows = db.session.execute(
        select(CourseVersion, User.display_name)
        .outerjoin(User, User.id == CourseVersion.published_by_id)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.version.desc())
        .options(
            load_only(
                CourseVersion.version,
                CourseVersion.content_hash,
                CourseVersion.published_at,
                CourseVersion.summary,
                CourseVersion.restored_from,
            )
        )
    )
    return [
        VersionRow(
            v.version,
            v.content_hash,
            v.published_at,
            name,
            v.summary or {},
            v.restored_from,
            v.version == course.version,
        )
        for v, name in rows
    ]


def get_version(course: Course, version: int) -> CourseVersion | None:
    return db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.version == version)
    )


def latest_source(course: Course) -> str:
    """The course file of the current version as it was published, comments included; a layout of the stored
    content for a course published before versions were kept."""
    text = db.session.scalar(
        select(CourseVersion.source_text).where(
            CourseVersion.course_id == course.id,
            CourseVersion.version == course.version,
            CourseVersion.content_hash == course.content_hash,
        )
    )
    return text if text is not None else export_course_yaml(course)


def who_published(course_id: int, version: int) -> tuple[datetime | None, str | None]:
    row = db.session.execute(
        select(CourseVersion.published_at, User.display_name)
        .outerjoin(User, User.id == CourseVersion.published_by_id)
        .where(CourseVersion.course_id == course_id, CourseVersion.version == version)
    ).first()
    return (row[0], row[1]) if row else (None, None)


@dataclass
class VersionDiff:
    old: CourseVersion
    new: CourseVersion
    changes: changes.CourseChanges
    course_file: list[tuple[str, str]]  # unified diff rows of the course file
    translation_files: dict[str, list[tuple[str, str]]]  # language -> unified diff rows of its file


def diff(course: Course, old: CourseVersion, new: CourseVersion) -> VersionDiff:
    """Two versions compared: field by field, and as a unified diff of their files (translations included)."""
    rows = {}
    old_translations = old.content.get("translations", {})
    new_translations = new.content.get("translations", {})
    for language in sorted(old_translations.keys() | new_translations.keys()):
        texts = [
            dump_yaml(translation_file_from_content(content, content["translations"][language]))
            if language in content.get("translations", {})
            else ""
            for content in (old.content, new.content)
        ]
        if texts[0] != texts[1]:
            name = f"{course.slug}.{language}.yaml"
            rows[language] = changes.unified_diff(*texts, f"v{old.version}/{name}", f"v{new.version}/{name}")
    return VersionDiff(
        old,
        new,
        changes.compare(old.content, new.content),
        changes.unified_diff(
            old.source_text, new.source_text, f"v{old.version}/{course.slug}.yaml", f"v{new.version}/{course.slug}.yaml"
        ),
        rows,
    )


def restored_translations(version: CourseVersion, course: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The translations of a version, checked again against the course being published (as translation files
    are), so that a restore goes through the same checks as a load. What no longer passes is left out."""
    kept = {}
    for language, translation in version.content.get("translations", {}).items():
        file_data = translation_file_from_content(version.content, translation)
        checked, problems = translations.validate_translation(course, file_data, complete=False)
        if checked is not None and not problems:
            kept[language] = checked
    return kept
