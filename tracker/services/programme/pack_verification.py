"""Checking an evidence pack with nothing but the organisation's public key: the manifest's signature, then every
file against the SHA-256 the manifest lists. No database: the same check runs on the verification page, on the
command line, or anywhere the public key is known."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ...certificates import signing
from .evidence_pack import FORMAT, MANIFEST

MAX_ENTRIES = 200
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024


@dataclass
class PackCheck:
    ok: bool = False
    signature_valid: bool = False
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0
    organisation: str | None = None
    scope: str | None = None
    generated_at: str | None = None
    issuer: str | None = None


def _safe_name(name: str) -> bool:
    return bool(name) and not name.startswith(("/", "\\")) and ".." not in name.split("/") and "\\" not in name


def verify_pack(data: bytes, public_key_multibase: str) -> PackCheck:
    """A pack is genuine when its manifest's proof verifies with `public_key_multibase` (an Ed25519 Multikey,
    'z6Mk...') and the files in the ZIP are exactly those the manifest lists, byte for byte."""
    check = PackCheck()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        check.problems.append(_("This is not a ZIP file."))
        return check
    with archive:
        if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_TOTAL_BYTES:
            check.problems.append(_("The ZIP file is larger than an evidence pack can be."))
            return check
        names = [e.filename for e in entries if not e.is_dir()]
        if MANIFEST not in names:
            check.problems.append(_("The ZIP file has no manifest.json: it is not an evidence pack."))
            return check
        try:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError):
            check.problems.append(_("manifest.json cannot be read."))
            return check
        if (
            not isinstance(manifest, dict)
            or manifest.get("format") != FORMAT
            or not isinstance(manifest.get("files"), list)
        ):
            check.problems.append(_("manifest.json is not the manifest of an evidence pack."))
            return check
        check.organisation = str(manifest.get("organisation") or "")
        check.scope = str(manifest.get("scope") or "")
        check.generated_at = str(manifest.get("generated_at") or "")
        check.issuer = str(manifest.get("issuer") or "")
        check.signature_valid = signing.verify_credential(manifest, public_key_multibase)
        if not check.signature_valid:
            check.problems.append(
                _(
                    "The manifest's signature does not verify with the organisation's public key: the manifest was "
                    "changed, or another key signed it."
                )
            )
        listed: dict[str, dict] = {}
        for item in manifest["files"]:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not _safe_name(item["path"]):
                check.problems.append(_("manifest.json lists a file with an unusable name."))
                continue
            listed[item["path"]] = item
        present = {e.filename: e for e in entries if not e.is_dir()}
        for name, item in listed.items():
            entry = present.get(name)
            if entry is None:
                check.problems.append(_("%(name)s is listed in the manifest but missing.", name=name))
                continue
            if entry.file_size > MAX_FILE_BYTES:
                check.problems.append(_("%(name)s is too large to check.", name=name))
                continue
            try:
                digest = hashlib.sha256(archive.read(entry)).hexdigest()
            except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
                check.problems.append(_("%(name)s cannot be read.", name=name))
                continue
            if digest != item.get("sha256"):
                check.problems.append(_("%(name)s was changed: its SHA-256 differs from the manifest.", name=name))
            else:
                check.files_checked += 1
        for name in present:
            if name != MANIFEST and name not in listed:
                check.problems.append(_("%(name)s is not listed in the manifest.", name=name))
    check.ok = check.signature_valid and not check.problems
    return check
