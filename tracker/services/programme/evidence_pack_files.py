"""The organisation-wide files of the evidence pack: inventory and its history, requirements and the role map,
curriculum, policy versions, each read with a fixed number of queries; and the CSV writer every file uses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ...enums import OrganisationRole, RiskClass, SystemStatus
from ...extensions import db
from ...models import (
    AISystem,
    AISystemChange,
    AISystemJobRole,
    AISystemTeam,
    Course,
    LearningPath,
    LearningPathCourse,
    Lesson,
    Module,
    Policy,
    PolicyVersion,
    Question,
    Quiz,
    Team,
    TrainingRequirement,
    User,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # text a spreadsheet would run: guarded as in records.csv_cell


def iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # stored in UTC (UTCDateTime hands back UTC)
    return value.isoformat()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV with a byte-order mark, cells guarded against spreadsheet formulas as in the other exports; one writer
    for the whole file (tens of thousands of lines)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(
        [("'" + v) if v.__class__ is str and v.startswith(FORMULA_START) else v for v in row] for row in rows
    )
    return buffer.getvalue().encode("utf-8")


def inventory_files() -> tuple[bytes, bytes, list[dict]]:
    owner = aliased(User)
    systems = db.session.execute(
        select(AISystem, owner.email)
        .outerjoin(owner, owner.id == AISystem.owner_id)
        .order_by(func.lower(AISystem.name))
    ).all()
    teams_of: dict[int, list[str]] = {}
    for system_id, name in db.session.execute(
        select(AISystemTeam.system_id, Team.name).join(Team, Team.id == AISystemTeam.team_id)
    ):
        teams_of.setdefault(system_id, []).append(name)
    roles_of: dict[int, list[str]] = {}
    for system_id, role in db.session.execute(select(AISystemJobRole.system_id, AISystemJobRole.job_role)):
        roles_of.setdefault(system_id, []).append(role)
    listed = []
    for system, owner_email in systems:
        listed.append(
            {
                "id": system.id,
                "name": system.name,
                "vendor": system.vendor,
                "organisation_role": OrganisationRole(system.organisation_role),
                "purpose": system.purpose,
                "risk_class": RiskClass(system.risk_class),
                "risk_note": system.risk_note,
                "owner": owner_email or "",
                "data_classes": list(system.data_classes or []),
                "status": SystemStatus(system.status),
                "links": [link["url"] for link in system.links or []],
                "teams": sorted(teams_of.get(system.id, []), key=str.casefold),
                "job_roles": sorted(roles_of.get(system.id, []), key=str.casefold),
                "updated_at": system.updated_at,
            }
        )
    inventory = csv_bytes(
        (
            "id",
            "name",
            "vendor_or_provider",
            "organisation_role",
            "purpose",
            "risk_class",
            "risk_class_note",
            "owner",
            "approved_data_classes",
            "status",
            "links",
            "used_by_teams",
            "used_by_job_roles",
            "updated_at_utc",
        ),
        (
            [
                s["id"],
                s["name"],
                s["vendor"],
                s["organisation_role"].value,
                s["purpose"],
                s["risk_class"].value,
                s["risk_note"],
                s["owner"],
                "; ".join(s["data_classes"]),
                s["status"].value,
                " ".join(s["links"]),
                "; ".join(s["teams"]),
                "; ".join(s["job_roles"]),
                iso(s["updated_at"]),
            ]
            for s in listed
        ),
    )
    history = csv_bytes(
        ("system_id", "system", "at_utc", "actor_email", "action", "changes_json"),
        (
            [
                change.system_id,
                name,
                iso(change.at),
                change.actor_email or "",
                change.action,
                json.dumps(change.changes, ensure_ascii=False, sort_keys=True),
            ]
            for change, name in db.session.execute(
                select(AISystemChange, AISystem.name)
                .join(AISystem, AISystem.id == AISystemChange.system_id)
                .order_by(AISystemChange.at, AISystemChange.id)
            )
        ),
    )
    return inventory, history, listed


def requirement_rows() -> list[dict]:
    rows = db.session.execute(
        select(
            TrainingRequirement,
            AISystem.name,
            Course.slug,
            Course.title,
            LearningPath.slug,
            LearningPath.title,
            Policy.slug,
            Policy.title,
        )
        .outerjoin(AISystem, AISystem.id == TrainingRequirement.system_id)
        .outerjoin(Course, Course.id == TrainingRequirement.course_id)
        .outerjoin(LearningPath, LearningPath.id == TrainingRequirement.path_id)
        .outerjoin(Policy, Policy.id == TrainingRequirement.policy_id)
        .order_by(TrainingRequirement.id)
    ).all()
    result = []
    for req, system, c_slug, c_title, p_slug, p_title, pol_slug, pol_title in rows:
        if req.course_id:
            kind, slug, title = "course", c_slug, c_title
        elif req.path_id:
            kind, slug, title = "learning_path", p_slug, p_title
        else:
            kind, slug, title = "policy", pol_slug, pol_title
        result.append(
            {
                "id": req.id,
                "system": system,
                "job_role": req.job_role,
                "kind": kind,
                "slug": slug,
                "title": title,
                "due_days": req.due_days,
            }
        )
    return result


def role_map(requirements: list[dict], inventory: list[dict]) -> bytes:
    """Each job role with what it must hold: directly, and through each AI system the role uses."""
    lines = []
    systems_by_role: dict[str, list[str]] = {}
    for system in inventory:
        if system["status"].in_use:
            for role in system["job_roles"]:
                systems_by_role.setdefault(role, []).append(system["name"])
    roles = sorted({r["job_role"] for r in requirements if r["job_role"]} | set(systems_by_role), key=str.casefold)
    for role in roles:
        for req in requirements:
            if req["job_role"] == role or (req["job_role"] is None and req["system"] in systems_by_role.get(role, [])):
                lines.append(
                    [
                        role,
                        req["system"] or "",
                        req["kind"],
                        req["slug"],
                        req["title"],
                        req["due_days"],
                        "job role" if req["job_role"] == role else "AI system used by the job role",
                    ]
                )
    for req in requirements:
        if req["job_role"] is None:
            lines.append(
                [
                    "(every user of the system)",
                    req["system"] or "",
                    req["kind"],
                    req["slug"],
                    req["title"],
                    req["due_days"],
                    "AI system (through team or job role)",
                ]
            )
    return csv_bytes(
        ("job_role", "ai_system", "requirement_kind", "item_slug", "item_title", "due_within_days", "reason"), lines
    )


def curriculum() -> tuple[bytes, list[dict]]:
    live_module = and_(Module.course_id == Course.id, Module.retired.is_(False))
    modules = select(func.count(Module.id)).where(live_module).correlate(Course).scalar_subquery()
    lessons = (
        select(func.count(Lesson.id))
        .join(Module, Module.id == Lesson.module_id)
        .where(live_module, Lesson.retired.is_(False))
        .correlate(Course)
        .scalar_subquery()
    )
    questions = (
        select(func.count(Question.id))
        .join(Quiz, Quiz.id == Question.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .where(live_module, Question.retired.is_(False))
        .correlate(Course)
        .scalar_subquery()
    )
    paths: dict[int, list[str]] = {}
    for course_id, slug in db.session.execute(
        select(LearningPathCourse.course_id, LearningPath.slug).join(
            LearningPath, LearningPath.id == LearningPathCourse.path_id
        )
    ):
        paths.setdefault(course_id, []).append(slug)
    courses = []
    for course, m, n_lessons, n_questions in db.session.execute(
        select(Course, modules, lessons, questions).order_by(Course.title)
    ):
        courses.append(
            {
                "slug": course.slug,
                "title": course.title,
                "version": course.version,
                "fingerprint": course.content_hash,
                "published": course.published,
                "language": course.source_language,
                "translations": sorted(course.translations or {}),
                "valid_months": course.certificate_valid_months,
                "minutes": course.estimated_minutes,
                "facts_checked": course.facts_checked,
                "modules": m,
                "lessons": n_lessons,
                "questions": n_questions,
                "updated_at": course.updated_at,
                "paths": sorted(paths.get(course.id, [])),
            }
        )
    data = csv_bytes(
        (
            "course_slug",
            "title",
            "version",
            "content_fingerprint_sha256",
            "published",
            "language",
            "translations",
            "certificate_valid_months",
            "estimated_minutes",
            "facts_checked",
            "modules",
            "lessons",
            "questions",
            "learning_paths",
            "updated_at_utc",
        ),
        (
            [
                c["slug"],
                c["title"],
                c["version"],
                c["fingerprint"],
                "yes" if c["published"] else "no",
                c["language"],
                " ".join(c["translations"]),
                c["valid_months"] or "",
                c["minutes"],
                iso(c["facts_checked"]),
                c["modules"],
                c["lessons"],
                c["questions"],
                " ".join(c["paths"]),
                iso(c["updated_at"]),
            ]
            for c in courses
        ),
    )
    return data, courses


def policy_versions() -> tuple[bytes, list[dict]]:
    rows = db.session.execute(
        select(
            Policy.slug,
            Policy.title,
            PolicyVersion.number,
            PolicyVersion.body_sha256,
            PolicyVersion.published_at,
            PolicyVersion.change_note,
            PolicyVersion.check_question,
        )
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .order_by(Policy.slug, PolicyVersion.number)
    ).all()
    data = csv_bytes(
        ("policy_slug", "policy_title", "version", "text_sha256", "published_at_utc", "change_note", "check_question"),
        (
            [r.slug, r.title, r.number, r.body_sha256, iso(r.published_at), r.change_note, r.check_question or ""]
            for r in rows
        ),
    )
    return data, [dict(r._mapping) for r in rows]


def plan_csv(requirements: list[dict]) -> bytes:
    return csv_bytes(
        ("requirement_id", "ai_system", "job_role", "requirement_kind", "item_slug", "item_title", "due_within_days"),
        (
            [r["id"], r["system"] or "", r["job_role"] or "", r["kind"], r["slug"], r["title"], r["due_days"]]
            for r in requirements
        ),
    )
