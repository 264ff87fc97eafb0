"""The evidence pack: one ZIP an inspector can read and check offline.

It holds the training plan (generated from the requirements, dated, citing Art. 4 as amended), the AI-system
inventory and its history, the role -> requirement map, the curriculum with content versions and fingerprints,
the completion and attempt logs, the acknowledgement log, the refresher schedule and an audit excerpt, as CSV,
with a PDF of the plan and the tables an inspector reads first; and `manifest.json`, which lists the SHA-256 of
every file and is signed with the organisation's Ed25519 issuer key (eddsa-jcs-2022, as the credentials are).
The files themselves are read in `evidence_pack_files`.

`build_pack` is a plain service function (no request, no commit) so that a background job can run it for a
large organisation; the page calls it directly.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...certificates import signing
from ...enums import CoverageStatus
from ...extensions import Issuer
from ...models import utcnow
from ..reporting.evidence import Scope
from . import coverage, privacy
from . import evidence_pack_files as pack_files
from . import evidence_pack_records as pack_records
from .evidence_pack_pdf import PlanDocument, render_plan_pdf

FORMAT = "tracker-evidence-pack/1"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Pack:
    data: bytes
    manifest: dict[str, Any]
    file_name: str


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
    people = pack_records.People(scope, pseudonymise)
    inventory_csv, history_csv, inventory = pack_files.inventory_files()
    requirements = pack_files.requirement_rows()
    curriculum_csv, courses = pack_files.curriculum()
    completions_csv, refresher_csv, completion_facts = pack_records.completion_files(people, now)
    attempts_csv, attempt_count = pack_records.attempt_log(people)
    acks_csv, ack_count = pack_records.acknowledgement_log(people)
    versions_csv, versions = pack_files.policy_versions()
    cover = coverage.build(
        None if scope.team_ids is None else set(scope.team_ids),
        coverage.Filters(),
        now,
        paged=False,
        totals_only_below_minimum=False,
    )
    coverage_csv = pack_files.csv_bytes(coverage.EXPORT_COLUMNS, coverage.export_rows(cover, pseudonymise=pseudonymise))
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
        "training-plan.csv": pack_files.plan_csv(requirements),
        "inventory.csv": inventory_csv,
        "inventory-history.csv": history_csv,
        "role-requirements.csv": pack_files.role_map(requirements, inventory),
        "curriculum.csv": curriculum_csv,
        "policy-versions.csv": versions_csv,
        "completions.csv": completions_csv,
        "attempts.csv": attempts_csv,
        "acknowledgements.csv": acks_csv,
        "refresher-schedule.csv": refresher_csv,
        "coverage.csv": coverage_csv,
        "audit-excerpt.csv": pack_records.audit_excerpt(scope, people, now),
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
