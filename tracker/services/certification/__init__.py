"""Certificates: award on completion (exactly once), revoke, reissue, renew, and verify.

The package's modules: `codes` (certificate codes), `status` (status and the expiry rule), `issuing` (award and
files), `lifecycle` (revoke, reissue, requests, renewal) and `verification` (public records, PDF checks).
"""

from .codes import new_code, normalise_code
from .issuing import award, produce_files
from .lifecycle import can_renew, current_certificate, reissue, request_reissue, revoke, start_renewal
from .status import EXPIRING_WINDOW, add_months, expiry_status, status

__all__ = [
    "EXPIRING_WINDOW",
    "add_months",
    "award",
    "can_renew",
    "current_certificate",
    "expiry_status",
    "new_code",
    "normalise_code",
    "produce_files",
    "reissue",
    "request_reissue",
    "revoke",
    "start_renewal",
    "status",
]
