"""Certificates: award on completion (exactly once), revoke, reissue, renew, and verify.

The package's modules: `codes` (certificate codes), `status` (status and the expiry rule), `issuing` (award and
files, made at issue or on first use), `lifecycle` (revoke, reissue, requests, renewal) and `verification`
(public records, PDF checks).
"""

from .codes import new_code, normalise_code
from .issuing import award, ensure_files, produce_files
from .lifecycle import can_renew, current_certificate, reissue, request_reissue, revoke, start_renewal
from .status import EXPIRING_WINDOW, add_months, expiry_status, pending, status

__all__ = [
    "EXPIRING_WINDOW",
    "add_months",
    "award",
    "can_renew",
    "current_certificate",
    "ensure_files",
    "expiry_status",
    "new_code",
    "normalise_code",
    "pending",
    "produce_files",
    "reissue",
    "request_reissue",
    "revoke",
    "start_renewal",
    "status",
]
