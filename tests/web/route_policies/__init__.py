"""Access policies of routes, one module per area; the role walk merges every module's POLICY dict.

Policies: public, signed_in, owner, owner_or_admin, manager_or_admin, admin (see tests/web/test_role_walk.py).
"""

from __future__ import annotations

import importlib
import pkgutil


def merged() -> dict[str, str]:
    policy: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        overlap = policy.keys() & module.POLICY.keys()
        assert not overlap, f"{info.name} repeats policies for {overlap}"
        policy.update(module.POLICY)
    return policy
