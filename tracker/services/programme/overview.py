"""Counts for the programme's overview page."""

from __future__ import annotations

from sqlalchemy import func, select

from ...enums import RiskClass, SystemStatus
from ...extensions import db
from ...models import AISystem, Policy, TrainingRequirement


def counts() -> dict[str, int]:
    """Three grouped queries."""
    by_status = dict(db.session.execute(select(AISystem.status, func.count()).group_by(AISystem.status)).all())
    high_risk = db.session.scalar(
        select(func.count())
        .select_from(AISystem)
        .where(AISystem.risk_class == RiskClass.HIGH_RISK.value, AISystem.status != SystemStatus.RETIRED.value)
    )
    return {
        "systems_in_use": sum(n for s, n in by_status.items() if s != SystemStatus.RETIRED.value),
        "systems_retired": by_status.get(SystemStatus.RETIRED.value, 0),
        "high_risk": high_risk or 0,
        "requirements": db.session.scalar(select(func.count()).select_from(TrainingRequirement)) or 0,
        "policies": db.session.scalar(select(func.count()).select_from(Policy)) or 0,
    }
