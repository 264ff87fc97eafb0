"""Evidence of AI-literacy training (Article 4 of the EU AI Act): PDF and CSV reports for the organisation or a team."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
