"""Open Badges 3.0 credentials for certificates, signed with a W3C Data Integrity proof (``eddsa-jcs-2022``).

Every certificate is also an ``OpenBadgeCredential`` (W3C Verifiable Credentials Data Model 2.0 + 1EdTech Open
Badges 3.0). Keys, did:web and the proof live in signing.py, encodings in encoding.py; the names re-exported
below keep existing ``badges.<name>`` imports working.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .encoding import b58decode, b58encode, b64url_decode, jcs_canonicalize
from .signing import (
    IssuerKey,
    did_document,
    did_web,
    iso_utc,
    jwks,
    public_key_from_multibase,
    sign_credential,
    verification_method_id,
    verify_credential,
)

__all__ = [
    "BadgeData",
    "IssuerKey",
    "b58decode",
    "b58encode",
    "b64url_decode",
    "build_credential",
    "credential_json",
    "did_document",
    "did_web",
    "iso_utc",
    "jcs_canonicalize",
    "jwks",
    "public_key_from_multibase",
    "score_result_description_id",
    "sign_credential",
    "verification_method_id",
    "verify_credential",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@dataclass(frozen=True)
class BadgeData:
    certificate_code: str
    credential_url: str  # where this JSON can be downloaded; used as the credential "id"
    verify_url: str  # public human verification page
    learner_name: str
    learner_id: str  # an opaque stable id for the subject, e.g. "urn:uuid:..." (no email!)
    course_slug: str
    course_title: str
    course_summary: str
    course_version: int
    achievement_url: str  # id of the Achievement, e.g. "{base}/courses/{slug}#v{version}"
    criteria_narrative: str  # e.g. "Read every lesson and passed every module quiz (pass mark 80%)."
    score: int | None
    issued_at: datetime  # aware UTC -> validFrom (ISO 8601 with Z, seconds precision)
    expires_at: datetime | None  # -> validUntil when set
    issuer_id: str  # the issuer's DID, e.g. "did:web:training.example.com"
    issuer_name: str
    issuer_url: str
    # The W3C Bitstring Status List entry (credentialStatus) through which the credential can be revoked.
    credential_status: dict | None = None


def score_result_description_id(achievement_url: str) -> str:
    return f"{achievement_url}-score" if "#" in achievement_url else f"{achievement_url}#score"


def build_credential(data: BadgeData) -> dict:
    """The unsigned OpenBadgeCredential. Every property is a VC 2.0 core term or defined by the OB 3.0 context."""
    if data.score is not None and not 0 <= data.score <= 100:
        raise ValueError("score must be a percentage between 0 and 100")
    result_description_id = score_result_description_id(data.achievement_url)
    achievement = {
        "id": data.achievement_url,
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": data.course_title,
        "description": data.course_summary,
        "criteria": {"narrative": data.criteria_narrative},
        "version": str(data.course_version),
        # Part of the Achievement definition whether or not this award carries a score, so the Achievement with
        # this id reads the same in every credential. A Result must point at a ResultDescription of its Achievement.
        "resultDescription": [
            {
                "id": result_description_id,
                "type": ["ResultDescription"],
                "name": "Course score",
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
            }
        ],
    }
    subject: dict[str, Any] = {
        "id": data.learner_id,
        "type": ["AchievementSubject"],
        "name": data.learner_name,
        "achievement": achievement,
    }
    description = f"Awarded for completing the course “{data.course_title}” (version {data.course_version})"
    if data.score is not None:
        subject["result"] = [{"type": ["Result"], "resultDescription": result_description_id, "value": str(data.score)}]
        description += f" with a score of {data.score}%"
    description += "."
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": data.credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": data.course_title,
        "description": description,
        "issuer": {
            "id": data.issuer_id,
            "type": ["Profile"],
            "name": data.issuer_name,
            "url": data.issuer_url,
        },
        "validFrom": iso_utc(data.issued_at),
        "credentialSubject": subject,
        "evidence": [
            {
                "id": data.verify_url,
                "type": ["Evidence"],
                "name": f"Certificate {data.certificate_code}",
                "description": "Public verification page for this certificate: course, award date, score and "
                "whether the certificate is still valid.",
            }
        ],
    }
    if data.expires_at is not None:
        credential["validUntil"] = iso_utc(data.expires_at)
    if data.credential_status is not None:
        credential["credentialStatus"] = dict(data.credential_status)
    return credential


def credential_json(signed: dict) -> bytes:
    """Stable pretty JSON for download and embedding. Verification re-canonicalises, so layout does not matter."""
    return (json.dumps(signed, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
