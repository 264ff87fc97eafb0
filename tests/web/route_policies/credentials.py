"""Policies of the credentials' public documents."""

from __future__ import annotations

POLICY = {
    "status_lists.revocation": "public",
}
