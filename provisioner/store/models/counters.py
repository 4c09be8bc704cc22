"""Named counters."""

from __future__ import annotations

from sqlalchemy import (
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base


class Counter(Base):
    """Gap-free sequences (letter numbers per year, tickets per day)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
