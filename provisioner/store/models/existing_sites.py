"""Existing sites: virtual hosts found on a web server, made before provisioner (or beside
it), registered as an agency's site so they are monitored like the sites provisioner made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base, utcnow


class ExistingSite(Base):
    """One registered existing site. `state` is `hand-made` (its vhost untouched since it was
    found) or `managed` (migrated: own user, pool and releases; `migration` holds the plan
    that was applied and `original_b64` the hand-made file's bytes, for the way back)."""

    __tablename__ = "existing_sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    fqdn: Mapped[str] = mapped_column(String(253), index=True)
    zone: Mapped[str] = mapped_column(String(253))
    label: Mapped[str] = mapped_column(String(63))
    agency: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(100))  # the inventory name of its web server
    vhost_file: Mapped[str] = mapped_column(String(500))  # the path Apache reads it from
    config_file: Mapped[str] = mapped_column(String(500))  # where the file's bytes live
    config_sha256: Mapped[str] = mapped_column(String(64))  # as registered
    document_root: Mapped[str | None] = mapped_column(String(500))
    php: Mapped[bool] = mapped_column(Boolean)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20), default="hand-made")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    migration: Mapped[dict[str, Any] | None]
    migration_checksum: Mapped[str | None] = mapped_column(String(64))
    original_b64: Mapped[str | None] = mapped_column(Text)
    release: Mapped[str | None] = mapped_column(String(500))
    migrated_by: Mapped[str | None] = mapped_column(String(64))
    migrated_at: Mapped[datetime | None]
    __table_args__ = (
        # One active registration per name.
        Index(
            "uq_existing_sites_active",
            "fqdn",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
