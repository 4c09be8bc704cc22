"""The DNS ownership registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base, utcnow


class DnsRecord(Base):
    """One record set (name + type, one value) provisioner created or adopted. `active`
    goes False when provisioner deletes it (undo, retire, repair); the row stays as history.

    `origin` says where the row came from: "provisioner" (it wrote the record) or
    "adopted" (the record stood in the zone before and the network team took it over, with
    its value then as the prerequisite base). `owner` is the agency an adopted record was
    assigned to, or "infrastructure" — a record provisioner never touches."""

    __tablename__ = "dns_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(253), index=True)
    name: Mapped[str] = mapped_column(String(253))
    rtype: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(512))
    ttl: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(
        String(16), default="provisioner", server_default="provisioner"
    )
    owner: Mapped[str | None] = mapped_column(String(200))
    adopted_by: Mapped[str | None] = mapped_column(String(64))
    adopted_at: Mapped[datetime | None]
    __table_args__ = (
        # One active owner per name and type: two jobs can never both "own" a record.
        Index(
            "uq_dns_records_active",
            "name",
            "rtype",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
