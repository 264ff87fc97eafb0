"""The issuer key this database's credentials are signed with, recorded the first time it is used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class IssuerKeyRecord(db.Model):
    """One row: a host whose signing key differs is noticed, instead of issuing credentials that fail against the
    other hosts' did.json. The public key only (its Multikey, as did.json publishes it); never key material."""

    __tablename__ = "issuer_keys"
    __table_args__ = (CheckConstraint("id = 1", name="one_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    public_key_multibase: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
