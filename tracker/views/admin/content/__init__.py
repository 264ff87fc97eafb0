"""Content administration under /admin/content: the course list, the YAML editor with its preview and publish
(`publishing`), the structured editor's drafts (`drafts`), and each course's published versions (`history`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("content", __name__, url_prefix="/content")

from . import drafts, history, publishing  # noqa: E402,F401  (they add their routes to bp)
