"""Job locks (site, DNS names, database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base, utcnow


class Lock(Base):
    """Named locks (site, DNS name, database): the primary key is the lock."""

    __tablename__ = "locks"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
