"""The manager's view: the people x courses matrix, assignments and exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")
