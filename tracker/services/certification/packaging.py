"""Certificate files for download: their names, a ZIP of many, and the marked copies of withdrawn certificates."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable

from anyascii import anyascii
from flask_babel import force_locale
from flask_babel import gettext as _

from ...certificates import stamp
from ...enums import CertificateStatus
from ...extensions import issuing
from ...i18n import BABEL_LOCALES
from ...models import Certificate
from ..reporting.cells import BOM, iso_utc, neutralise
from .issuing import ensure_all_files, ensure_files, printed_date
from .status import pending, status

# Certificates whose files are no longer served to their holders as current; admins get marked copies.
WITHDRAWN = (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED)


def withdrawn_status(cert: Certificate) -> CertificateStatus | None:
    """REVOKED or SUPERSEDED when the certificate's files are no longer current; None otherwise."""
    state = status(cert)
    return state if state in WITHDRAWN else None


def ascii_name(text: str, fallback: str = "learner") -> str:
    """A name for a file in plain ASCII letters, digits and hyphens, transliterated from any script
    (Σωκράτης Παπαδόπουλος -> Sokratis-Papadopoylos, Фёдор -> Fedor, 山田 太郎 -> ShanTian-TaiLang)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", anyascii(text)).strip("-")[:80].strip("-") or fallback


def file_name(cert: Certificate, extension: str, mark: CertificateStatus | None = None) -> str:
    """`certificate-<code>-<name>.<ext>`; a withdrawn certificate's copy carries its status: `...-REVOKED.pdf`."""
    suffix = f"-{mark.value.upper()}" if mark is not None else ""
    return f"certificate-{cert.code}-{ascii_name(cert.learner_name)}{suffix}.{extension}"


def marked_pdf(cert: Certificate, mark: CertificateStatus) -> bytes:
    """The issued PDF with its status stamped on every page, in the certificate's language. The issued bytes stay
    at the start of the file, so uploading the copy for verification still finds the certificate."""
    if not ensure_files(cert):
        raise ValueError("the certificate has no PDF")
    with force_locale(BABEL_LOCALES.get(cert.language, cert.language)):
        if mark == CertificateStatus.REVOKED:
            word = _("REVOKED")
            sentence = _(
                "Revoked on %(date)s. This certificate is no longer valid. Status: %(url)s",
                date=printed_date(cert.revoked_at, cert.language),
                url=issuing.current.verify_url(cert.code),
            )
        else:
            word = _("SUPERSEDED")
            sentence = _(
                "Superseded on %(date)s by a reissued certificate. This copy is not the current version. Status: "
                "%(url)s",
                date=printed_date(cert.superseded_at, cert.language),
                url=issuing.current.verify_url(cert.code),
            )
    return stamp.stamp_pdf(cert.pdf, word, sentence)


MANIFEST_HEADER = ("file", "name", "course", "code", "status", "issued", "expires", "sha256")


def zip_of(certificates: Iterable[Certificate], *, include_withdrawn: bool = False) -> bytes:
    """The PDFs in a ZIP with `manifest.csv` (one line per certificate: file, holder, course, code, status, dates and
    the SHA-256 of the file in the archive). Every file name is ASCII and unique, and ends in the certificate's
    status (`-VALID`, `-EXPIRING`, `-EXPIRED`, `-REVOKED`). A revoked or superseded certificate's PDF is included only
    with `include_withdrawn` (admins), as the copy stamped with its status; otherwise its manifest line has no file.
    Pending certificates (no files) are left out."""
    buffer = io.BytesIO()
    manifest = io.StringIO()
    rows = csv.writer(manifest, lineterminator="\r\n")
    rows.writerow(MANIFEST_HEADER)
    used: set[str] = set()
    certificates = [cert for cert in certificates if not pending(cert)]
    # The files of certificates issued without them are made now (once: later downloads get the same bytes).
    ensure_all_files(cert for cert in certificates if include_withdrawn or withdrawn_status(cert) is None)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for cert in certificates:
            state = status(cert)
            body: bytes | None = cert.pdf
            if state in WITHDRAWN:
                body = marked_pdf(cert, state) if include_withdrawn else None
            name = ""
            if body is not None:
                name = _unique(f"certificate-{cert.code}-{ascii_name(cert.learner_name)}-{state.value.upper()}", used)
                archive.writestr(name, body)
            rows.writerow(
                (
                    name,
                    neutralise(cert.learner_name),
                    neutralise(cert.course_title),
                    cert.code,
                    state.value,
                    iso_utc(cert.issued_at),
                    iso_utc(cert.expires_at) if cert.expires_at else "",
                    hashlib.sha256(body).hexdigest() if body is not None else "",
                )
            )
        archive.writestr("manifest.csv", BOM + manifest.getvalue())
    return buffer.getvalue()


def _unique(stem: str, used: set[str]) -> str:
    name, n = f"{stem}.pdf", 1
    while name.lower() in used:
        n += 1
        name = f"{stem}-{n}.pdf"
    used.add(name.lower())
    return name
