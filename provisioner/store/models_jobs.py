"""Tables of the jobs area beyond the journal: leases (one active scheduler per cluster) and
the liveness history of live subdomains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models import Base, utcnow


class Lease(Base):
    """A named lease held by one node until `expires_at`; works on SQLite and PostgreSQL
    alike, so the embedded default and a cluster elect their scheduler the same way."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]


class LivenessCheck(Base):
    """One periodic check of a live subdomain: DNS on every name server, HTTP, TLS. Kept in
    its own table (not the audit log) because it is frequent, and pruned by age."""

    __tablename__ = "liveness_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    fqdn: Mapped[str] = mapped_column(String(253), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    live: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]]  # {"nameservers": …, "http": …, "tls": …}
