"""Certificate files for download: their names, a ZIP of many, and the marked copies of withdrawn certificates."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _

from ...certificates import stamp
from ...enums import CertificateStatus
from ...extensions import issuing
from ...i18n import BABEL_LOCALES
from ...models import Certificate
from .issuing import printed_date
from .status import status

# Certificates whose files are no longer served to their holders as current; admins get marked copies.
WITHDRAWN = (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED)


def withdrawn_status(cert: Certificate) -> CertificateStatus | None:
    """REVOKED or SUPERSEDED when the certificate's files are no longer current; None otherwise."""
    state = status(cert)
    return state if state in WITHDRAWN else None


def file_name(cert: Certificate, extension: str, mark: CertificateStatus | None = None) -> str:
    """`certificate-<code>-<name>.<ext>`; a withdrawn certificate's copy carries its status: `...-REVOKED.pdf`."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", cert.learner_name).strip("-") or "learner"
    suffix = f"-{mark.value.upper()}" if mark is not None else ""
    return f"certificate-{cert.code}-{name}{suffix}.{extension}"


def marked_pdf(cert: Certificate, mark: CertificateStatus) -> bytes:
    """The issued PDF with its status stamped on every page, in the certificate's language. The issued bytes stay
    at the start of the file, so uploading the copy for verification still finds the certificate."""
    if cert.pdf is None:
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


def zip_of(certificates: Iterable[Certificate]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for cert in certificates:
            if cert.pdf:
                archive.writestr(file_name(cert, "pdf"), cert.pdf)
    return buffer.getvalue()
