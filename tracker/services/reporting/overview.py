"""Headline numbers for the administration home page."""

from __future__ import annotations

from sqlalchemy import func, select

from ...extensions import db
from ...models import Course, NameChangeRequest, Team, User
from ..certification import listing


def admin_counts() -> dict[str, int]:
    def count(model, *conditions) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0

    return {
        "people": count(User, User.active.is_(True)),
        "teams": count(Team),
        "courses": count(Course),
        "attention": listing.attention_count() + count(NameChangeRequest, NameChangeRequest.status == "pending"),
    }
