"""Liveness check history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base, utcnow


class LivenessCheck(Base):
    """One periodic check of a live subdomain: DNS on every name server, HTTP, TLS. Kept in
    its own table (not the audit log) because it is frequent, and pruned by age."""

    __tablename__ = "liveness_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an adopted record's name: it stood in the zone before any request.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    fqdn: Mapped[str] = mapped_column(String(253), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    live: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]]  # {"nameservers": …, "http": …, "tls": …}
