"""Certificate files for download: their names, and a ZIP of many."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

from ...models import Certificate


def file_name(cert: Certificate, extension: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", cert.learner_name).strip("-") or "learner"
    return f"certificate-{cert.code}-{name}.{extension}"


def zip_of(certificates: Iterable[Certificate]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for cert in certificates:
            if cert.pdf:
                archive.writestr(file_name(cert, "pdf"), cert.pdf)
    return buffer.getvalue()
