"""Policies of the audit log (admins) and the evidence reports (managers and admins)."""

from __future__ import annotations

POLICY = {
    "admin.audit.index": "admin",
    "admin.audit.export": "admin",
    "api.admin.audit_events": "admin",
    "reports.evidence_page": "manager_or_admin",
    "reports.evidence_pdf": "manager_or_admin",
    "reports.evidence_csv": "manager_or_admin",
}
