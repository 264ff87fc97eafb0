"""The evidence pack: one ZIP an inspector can read and check offline.

It holds the training plan (generated from the requirements, dated, citing Art. 4 as amended), the AI-system
inventory and its history, the role -> requirement map, the curriculum with content versions and fingerprints,
the completion and attempt logs, the acknowledgement log, the refresher schedule and an audit excerpt, as CSV,
with a PDF of the plan and the tables an inspector reads first; and `manifest.json`, which lists the SHA-256 of
every file and is signed with the organisation's Ed25519 issuer key (eddsa-jcs-2022, as the credentials are).

`build_pack` is a plain service function (no request, no commit) so that a background job can run it for a
large organisation; the page calls it directly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ...certificates import signing
from ...enums import CoverageStatus, OrganisationRole, RiskClass, SystemStatus
from ...extensions import Issuer, db
from ...models import (
    AISystem,
    AISystemChange,
    AISystemJobRole,
    AISystemTeam,
    Attempt,
    AuditEvent,
    Certificate,
    Completion,
    Course,
    LearningPath,
    LearningPathCourse,
    Lesson,
    Module,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    Question,
    Quiz,
    Team,
    TrainingRequirement,
    User,
    utcnow,
)
from ..certification import EXPIRING_WINDOW, expiry_status
from ..queries import is_current_revision
from ..reporting.evidence import Scope
from . import coverage, privacy
from .evidence_pack_pdf import PlanDocument, render_plan_pdf

FORMAT = "tracker-evidence-pack/1"
MANIFEST = "manifest.json"
AUDIT_PREFIXES = ("ai_system.", "requirement.", "policy.", "privacy.", "content.", "assignment.", "certificate.")
ORGANISATION_AUDIT_PREFIXES = ("ai_system.", "requirement.", "policy.version_published", "privacy.", "content.")
AUDIT_MONTHS = 12
AUDIT_LIMIT = 20_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # text a spreadsheet would run: guarded as in records.csv_cell


@dataclass(frozen=True)
class Pack:
    data: bytes
    manifest: dict[str, Any]
    file_name: str


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # stored in UTC (UTCDateTime hands back UTC)
    return value.isoformat()


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
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


class _People:
    """The people of the scope, named by name and email or by pseudonym."""

    def __init__(self, scope: Scope, pseudonymise: bool) -> None:
        query = select(User.id, User.display_name, User.email, User.job_role, User.active, Team.name).outerjoin(
            Team, Team.id == User.team_id
        )
        if scope.team_ids is not None:
            query = query.where(User.team_id.in_(sorted(scope.team_ids)))
        self.rows = {row.id: row for row in db.session.execute(query)}
        self.pseudonymise = pseudonymise
        self.ids = (
            select(User.id).where(User.team_id.in_(sorted(scope.team_ids)))
            if scope.team_ids is not None
            else (select(User.id))
        )

    def columns(self, user_id: int) -> list[str]:
        row = self.rows.get(user_id)
        if row is None:
            return ["", "", "", ""]
        if self.pseudonymise:
            return [privacy.pseudonym(user_id), "", row.name or "", row.job_role or ""]
        return [row.display_name, row.email, row.name or "", row.job_role or ""]


PERSON = ("person", "email", "team", "job_role")


# --------------------------------------------------------------------------- the files


def _inventory() -> tuple[bytes, bytes, list[dict]]:
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
    inventory = _csv(
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
                _iso(s["updated_at"]),
            ]
            for s in listed
        ),
    )
    history = _csv(
        ("system_id", "system", "at_utc", "actor_email", "action", "changes_json"),
        (
            [
                change.system_id,
                name,
                _iso(change.at),
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


def _requirements() -> list[dict]:
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


def _role_map(requirements: list[dict], inventory: list[dict]) -> bytes:
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
    return _csv(
        ("job_role", "ai_system", "requirement_kind", "item_slug", "item_title", "due_within_days", "reason"), lines
    )


def _curriculum() -> tuple[bytes, list[dict]]:
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
    data = _csv(
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
                _iso(c["facts_checked"]),
                c["modules"],
                c["lessons"],
                c["questions"],
                " ".join(c["paths"]),
                _iso(c["updated_at"]),
            ]
            for c in courses
        ),
    )
    return data, courses


def _completions(people: _People, now: datetime) -> tuple[bytes, bytes, dict]:
    """The completion log and the refresher schedule (what expires when)."""
    rows = db.session.execute(
        select(
            Completion.user_id,
            Course.slug,
            Course.title,
            Completion.cycle,
            Completion.course_version,
            Completion.completed_at,
            Completion.score,
            Completion.attempts,
            Completion.language,
            Certificate.code,
            Certificate.issued_at,
            Certificate.expires_at,
            Certificate.revoked_at,
            Certificate.pdf_sha256,
        )
        .join(Course, Course.id == Completion.course_id)
        .outerjoin(Certificate, and_(Certificate.completion_id == Completion.id, is_current_revision()))
        .where(Completion.user_id.in_(people.ids))
        .order_by(Completion.completed_at, Completion.id)
    ).all()
    completions = _csv(
        (
            *PERSON,
            "course_slug",
            "course_title",
            "cycle",
            "course_version",
            "completed_at_utc",
            "score_percent",
            "quiz_attempts",
            "language",
            "certificate_code",
            "certificate_status",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.title,
                r.cycle,
                r.course_version,
                _iso(r.completed_at),
                "" if r.score is None else r.score,
                r.attempts,
                r.language,
                r.code or "",
                _certificate_status(r, now),
            ]
            for r in rows
        ),
    )
    latest: dict[tuple[int, str], Any] = {}
    for r in rows:
        if r.code is not None and r.revoked_at is None:
            latest[(r.user_id, r.slug)] = r  # ordered by completion: the latest cycle wins
    schedule = sorted(
        (r for r in latest.values() if r.expires_at is not None), key=lambda r: (r.expires_at, r.user_id, r.slug)
    )
    months: dict[str, int] = {}
    for r in schedule:
        months[r.expires_at.strftime("%Y-%m")] = months.get(r.expires_at.strftime("%Y-%m"), 0) + 1
    refresher = _csv(
        (
            *PERSON,
            "course_slug",
            "course_title",
            "certificate_code",
            "issued_at_utc",
            "expires_at_utc",
            "renewal_opens_utc",
            "status",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.title,
                r.code,
                _iso(r.issued_at),
                _iso(r.expires_at),
                _iso(r.expires_at - EXPIRING_WINDOW),
                _certificate_status(r, now),
            ]
            for r in schedule
        ),
    )
    return (
        completions,
        refresher,
        {
            "completions": len(rows),
            "expiring_by_month": months,
            "expired": sum(1 for r in schedule if r.expires_at <= now),
        },
    )


def _certificate_status(row, now: datetime) -> str:
    if row.code is None:
        return "no_certificate"
    if row.revoked_at is not None:
        return "revoked"
    if row.pdf_sha256 is None:
        return "pending"
    state = expiry_status(row.expires_at, now)
    return state.value if state else "valid"


def _attempts(people: _People) -> tuple[bytes, int]:
    rows = db.session.execute(
        select(
            Attempt.user_id,
            Course.slug,
            Module.slug.label("module"),
            Attempt.number,
            Attempt.course_version,
            Attempt.language,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.passed,
            Attempt.pass_mark,
            Attempt.details_removed_at,
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(Attempt.user_id.in_(people.ids))
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    data = _csv(
        (
            *PERSON,
            "course_slug",
            "module_slug",
            "attempt_number",
            "course_version",
            "language",
            "started_at_utc",
            "submitted_at_utc",
            "score_percent",
            "pass_mark",
            "passed",
            "details_removed_at_utc",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.module,
                r.number,
                r.course_version,
                r.language,
                _iso(r.started_at),
                _iso(r.submitted_at),
                "" if r.score is None else r.score,
                r.pass_mark,
                "" if r.passed is None else ("yes" if r.passed else "no"),
                _iso(r.details_removed_at),
            ]
            for r in rows
        ),
    )
    return data, len(rows)


def _acknowledgements(people: _People) -> tuple[bytes, int]:
    rows = db.session.execute(
        select(
            PolicyAcknowledgement.user_id,
            Policy.slug,
            Policy.title,
            PolicyVersion.number,
            PolicyAcknowledgement.body_sha256,
            PolicyAcknowledgement.acknowledged_at,
            PolicyAcknowledgement.channel,
            PolicyAcknowledgement.ip_address,
            PolicyAcknowledgement.check_passed,
        )
        .join(PolicyVersion, PolicyVersion.id == PolicyAcknowledgement.version_id)
        .join(Policy, Policy.id == PolicyAcknowledgement.policy_id)
        .where(PolicyAcknowledgement.user_id.in_(people.ids))
        .order_by(PolicyAcknowledgement.acknowledged_at, PolicyAcknowledgement.id)
    ).all()
    data = _csv(
        (
            *PERSON,
            "policy_slug",
            "policy_title",
            "version",
            "text_sha256",
            "acknowledged_at_utc",
            "channel",
            "ip_address",
            "check_question",
        ),
        (
            [
                *people.columns(r.user_id),
                r.slug,
                r.title,
                r.number,
                r.body_sha256,
                _iso(r.acknowledged_at),
                r.channel,
                "" if people.pseudonymise else (r.ip_address or ""),
                "none" if r.check_passed is None else ("answered correctly" if r.check_passed else "not answered"),
            ]
            for r in rows
        ),
    )
    return data, len(rows)


def _policy_versions() -> tuple[bytes, list[dict]]:
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
    data = _csv(
        ("policy_slug", "policy_title", "version", "text_sha256", "published_at_utc", "change_note", "check_question"),
        (
            [r.slug, r.title, r.number, r.body_sha256, _iso(r.published_at), r.change_note, r.check_question or ""]
            for r in rows
        ),
    )
    return data, [dict(r._mapping) for r in rows]


def _audit_excerpt(scope: Scope, people: _People, now: datetime) -> bytes:
    since = now - timedelta(days=AUDIT_MONTHS * 31)
    prefixes = AUDIT_PREFIXES if scope.team_ids is None else ORGANISATION_AUDIT_PREFIXES
    query = (
        select(
            AuditEvent.at,
            AuditEvent.actor_email,
            AuditEvent.action,
            AuditEvent.target_type,
            AuditEvent.target_id,
            AuditEvent.details,
        )
        .where(AuditEvent.at >= since, or_(*(AuditEvent.action.startswith(p) for p in prefixes)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_LIMIT)
    )
    return _csv(
        ("at_utc", "actor", "action", "target_type", "target_id", "details_json"),
        (
            [
                _iso(r.at),
                "" if people.pseudonymise else (r.actor_email or ""),
                r.action,
                r.target_type or "",
                r.target_id or "",
                json.dumps(r.details, ensure_ascii=False, sort_keys=True),
            ]
            for r in db.session.execute(query)
        ),
    )


def _plan_csv(requirements: list[dict]) -> bytes:
    return _csv(
        ("requirement_id", "ai_system", "job_role", "requirement_kind", "item_slug", "item_title", "due_within_days"),
        (
            [r["id"], r["system"] or "", r["job_role"] or "", r["kind"], r["slug"], r["title"], r["due_days"]]
            for r in requirements
        ),
    )


README = """AI-literacy evidence pack
=========================

Organisation: {organisation}
Scope: {scope}
Generated: {generated} (UTC)

This pack records the measures the organisation took to support the AI literacy of its staff and other persons
dealing with AI systems on its behalf (Article 4 of Regulation (EU) 2024/1689, as amended by Regulation (EU)
2026/1744). It is an internal record; it does not certify compliance with any law.

Files
-----
training-plan.pdf         the training plan, inventory, role map, curriculum and coverage on the date
training-plan.csv         the training requirements the plan is generated from
inventory.csv             the AI systems: provider, role, purpose, risk class, owner, data, status, users
inventory-history.csv     every change to the inventory
role-requirements.csv     job role -> what it must hold (directly and through the AI systems it uses)
curriculum.csv            the courses with their content versions and SHA-256 fingerprints
policy-versions.csv       the policy versions with the SHA-256 of their text
completions.csv           the completion log (with certificate codes)
attempts.csv              the quiz attempt log
acknowledgements.csv      who acknowledged which policy version, when and from where
refresher-schedule.csv    current certificates and when each expires (renewal opens 30 days before)
coverage.csv              each person and AI system they use: trained and acknowledged, expiring or missing
audit-excerpt.csv         audit log entries about the programme, assignments, certificates and content
manifest.json             the SHA-256 of every file above, signed with the organisation's Ed25519 key

Checking the pack
-----------------
The manifest's proof is a W3C Data Integrity proof (eddsa-jcs-2022). Check it, and every file's SHA-256, with
the organisation's public key only: upload the ZIP on the organisation's /verify/ page, or run
`flask verify-evidence-pack FILE.zip`. The public key is published at /.well-known/did.json.
{pseudonymised}"""


def build_pack(scope: Scope, issuer: Issuer, now: datetime | None = None, *, pseudonymise: bool | None = None) -> Pack:
    """Build and sign the pack (no commit). `pseudonymise`: None follows the privacy settings."""
    now = (now or utcnow()).replace(microsecond=0)
    if pseudonymise is None:
        pseudonymise = privacy.settings().pseudonymise_exports
    people = _People(scope, pseudonymise)
    inventory_csv, history_csv, inventory = _inventory()
    requirements = _requirements()
    curriculum_csv, courses = _curriculum()
    completions_csv, refresher_csv, completion_facts = _completions(people, now)
    attempts_csv, attempt_count = _attempts(people)
    acks_csv, ack_count = _acknowledgements(people)
    versions_csv, versions = _policy_versions()
    cover = coverage.build(
        None if scope.team_ids is None else set(scope.team_ids),
        coverage.Filters(),
        now,
        paged=False,
        totals_only_below_minimum=False,
    )
    coverage_csv = _csv(coverage.EXPORT_COLUMNS, coverage.export_rows(cover, pseudonymise=pseudonymise))
    plan = PlanDocument(
        organisation=issuer.organisation_name,
        scope_label=scope.label,
        generated_at=now,
        inventory=inventory,
        requirements=requirements,
        courses=courses,
        policies=versions,
        coverage=[
            (
                c.name,
                c.risk_class,
                cover.totals[c.id].people,
                cover.totals[c.id].by_status[CoverageStatus.COVERED],
                cover.totals[c.id].by_status[CoverageStatus.EXPIRING],
                cover.totals[c.id].by_status[CoverageStatus.MISSING],
                cover.totals[c.id].by_status[CoverageStatus.NO_REQUIREMENT],
            )
            for c in cover.systems
        ],
        people=len([r for r in people.rows.values() if r.active]),
        completions=completion_facts["completions"],
        attempts=attempt_count,
        acknowledgements=ack_count,
        expiring_by_month=completion_facts["expiring_by_month"],
        pseudonymised=pseudonymise,
    )
    files: dict[str, bytes] = {
        "README.txt": README.format(
            organisation=issuer.organisation_name,
            scope=scope.label,
            generated=signing.iso_utc(now),
            pseudonymised="\nPeople are named by pseudonyms (P-...) in this pack, as the privacy settings ask.\n"
            if pseudonymise
            else "",
        ).encode("utf-8"),
        "training-plan.pdf": render_plan_pdf(plan),
        "training-plan.csv": _plan_csv(requirements),
        "inventory.csv": inventory_csv,
        "inventory-history.csv": history_csv,
        "role-requirements.csv": _role_map(requirements, inventory),
        "curriculum.csv": curriculum_csv,
        "policy-versions.csv": versions_csv,
        "completions.csv": completions_csv,
        "attempts.csv": attempts_csv,
        "acknowledgements.csv": acks_csv,
        "refresher-schedule.csv": refresher_csv,
        "coverage.csv": coverage_csv,
        "audit-excerpt.csv": _audit_excerpt(scope, people, now),
    }
    manifest = sign_manifest(files, issuer, scope, now, pseudonymise)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(_entry(name, now), content)
        archive.writestr(_entry(MANIFEST, now), json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    stamp = now.strftime("%Y%m%dT%H%MZ")
    return Pack(buffer.getvalue(), manifest, f"ai-literacy-evidence-pack-{scope.slug}-{stamp}.zip")


def _entry(name: str, now: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def sign_manifest(files: dict[str, bytes], issuer: Issuer, scope: Scope, now: datetime, pseudonymised: bool) -> dict:
    manifest = {
        "type": "AILiteracyEvidencePack",
        "format": FORMAT,
        "organisation": issuer.organisation_name,
        "issuer": issuer.did,
        "scope": scope.label,
        "generated_at": signing.iso_utc(now),
        "pseudonymised": pseudonymised,
        "files": [
            {"path": name, "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
            for name, content in files.items()
        ],
    }
    return signing.sign_credential(manifest, issuer.key, signing.verification_method_id(issuer.did), now)
