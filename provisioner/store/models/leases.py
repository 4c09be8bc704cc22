"""Named leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base


class Lease(Base):
    """A named lease held by one node until `expires_at`; works on SQLite and PostgreSQL
    alike, so the embedded default and a cluster elect their scheduler the same way."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]
