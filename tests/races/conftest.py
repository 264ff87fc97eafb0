"""Races of real concurrent requests. Tests marked `postgres` need PostgreSQL's row locks and concurrent writers:
they are left out (deselected, not skipped) when the suite runs on SQLite."""

from __future__ import annotations

import os


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
