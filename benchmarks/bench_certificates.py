"""Certificate PDFs: renders per second in one process, PDF size, memory peak per render."""

from __future__ import annotations

import json
import random
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from tracker.certificates.render import CertificateData, render_certificate

RENDERS = 300
WARM_UP = 20
MEMORY_SAMPLES = 20

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTVWXYZ"
_ASCII_NAMES = ["Alex Morgan", "Priya Natarajan", "John O'Neill", "Mary-Jane Watson", "Chen Wei", "Sam Taylor"]
# Letters outside ASCII land in a second font subset that is rebuilt for each new combination (uncached).
_SCRIPTS = ["áéíóúñçøåäöüłśźżčšžő", "αβγδεζηθικλμνξοπρστυφχψω", "абвгдежзийклмнопрстуфхцчшщыэюя"]


def _code(rng: random.Random) -> str:
    return "-".join("".join(rng.choice(_ALPHABET) for _ in range(5)) for _ in range(4))


def _name(rng: random.Random, index: int) -> str:
    if index % 2 == 0:
        return rng.choice(_ASCII_NAMES)
    letters = rng.choice(_SCRIPTS)
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 9))).capitalize() for _ in range(2))


def _credential(code: str, name: str, issued: datetime) -> bytes:
    """An Open Badges 3.0-like credential of about 2 KB."""
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"https://training.example.org/credentials/{code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "https://training.example.org/issuer",
            "type": ["Profile"],
            "name": "Northwind Logistics Ltd",
            "url": "https://training.example.org",
        },
        "validFrom": issued.isoformat(),
        "validUntil": (issued + timedelta(days=730)).isoformat(),
        "name": "Responsible use of generative AI at work",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "hashed": True, "identityHash": "sha256$" + "ab" * 32}],
            "name": name,
            "achievement": {
                "id": "https://training.example.org/achievements/genai-at-work/v3",
                "type": ["Achievement"],
                "name": "Responsible use of generative AI at work",
                "description": "Completed the course on safe, lawful and effective use of generative AI tools, "
                "including data protection, confidentiality, verification of outputs and human oversight.",
                "criteria": {"narrative": "Complete all lessons and pass the final quiz with at least 80%."},
            },
            "result": [{"type": ["Result"], "value": "92"}],
        },
        "proof": [
            {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": issued.isoformat(),
                "verificationMethod": "https://training.example.org/issuer#key-1",
                "proofPurpose": "assertionMethod",
                "proofValue": "z" + "58DAH" * 17,
            }
        ],
    }
    return json.dumps(credential, ensure_ascii=False, indent=2).encode()


def _samples(count: int, seed: int) -> list[CertificateData]:
    rng = random.Random(seed)
    issued = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    samples = []
    for index in range(count):
        code, name = _code(rng), _name(rng, index)
        samples.append(
            CertificateData(
                code=code,
                learner_name=name,
                course_title="Responsible use of generative AI at work",
                course_version=3,
                score=rng.randint(80, 100),
                issued_at=issued,
                expires_at=issued + timedelta(days=730),
                organisation_name="Northwind Logistics Ltd",
                verify_url=f"https://training.example.org/verify/{code}",
                attachment=_credential(code, name, issued),
            )
        )
    return samples


def run() -> list[str]:
    for data in _samples(WARM_UP, seed=1):
        render_certificate(data)

    samples = _samples(RENDERS, seed=2)  # unique codes, URLs (QR codes) and attachments; half non-ASCII names
    wall, cpu = time.perf_counter(), time.process_time()
    sizes = [len(render_certificate(data)) for data in samples]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    peaks = []
    tracemalloc.start()
    for data in _samples(MEMORY_SAMPLES, seed=3):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        render_certificate(data)
        peaks.append(tracemalloc.get_traced_memory()[1] - before)
    tracemalloc.stop()

    attachment = statistics.mean(len(data.attachment or b"") for data in samples)
    return [
        f"{RENDERS} renders after {WARM_UP} warm-up: {RENDERS / wall:.0f} certificates/s "
        f"({wall * 1000 / RENDERS:.2f} ms each; CPU time {RENDERS / cpu:.0f}/s), one process",
        f"mean PDF size: {statistics.mean(sizes) / 1024:.1f} KB "
        f"(min {min(sizes) / 1024:.1f}, max {max(sizes) / 1024:.1f}; attachment {attachment / 1024:.1f} KB JSON)",
        f"memory peak per render (tracemalloc, {MEMORY_SAMPLES} renders): "
        f"mean {statistics.mean(peaks) / 1024:.0f} KB, max {max(peaks) / 1024:.0f} KB",
    ]
