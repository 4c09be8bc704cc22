"""Requests and the registry of names they hold."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioner.store.models.base import Base, utcnow

if TYPE_CHECKING:
    from provisioner.store.models.jobs import Job


class Request(Base):
    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(63))
    zone: Mapped[str] = mapped_column(String(253))
    fqdn: Mapped[str] = mapped_column(String(253), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    letter_number: Mapped[str] = mapped_column(String(100))
    letter_date: Mapped[date] = mapped_column(Date)
    hosting: Mapped[bool] = mapped_column(Boolean)
    repo_url: Mapped[str | None] = mapped_column(String(500))
    branch: Mapped[str | None] = mapped_column(String(200))
    target_address: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[dict[str, Any] | None]
    plan_checksum: Mapped[str | None] = mapped_column(String(64))
    commit_sha: Mapped[str | None] = mapped_column(String(40))
    db_name: Mapped[str | None] = mapped_column(String(64))
    db_user: Mapped[str | None] = mapped_column(String(32))
    db_password_enc: Mapped[str | None] = mapped_column(Text)
    failure_step: Mapped[str | None] = mapped_column(String(40))
    failure_server: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    live_at: Mapped[datetime | None]
    request_type: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    subject_request_id: Mapped[int | None] = mapped_column(Integer)  # the site a change is about
    contact_nip: Mapped[str | None] = mapped_column(String(18))
    contact_position: Mapped[str | None] = mapped_column(String(200))
    contact_rank: Mapped[str | None] = mapped_column(String(100))
    site_kind: Mapped[str | None] = mapped_column(String(20))
    stack: Mapped[str | None] = mapped_column(String(20))
    db_wanted: Mapped[bool | None] = mapped_column(Boolean)
    letter_scan_path: Mapped[str | None] = mapped_column(String(500))
    letter_scan_sha256: Mapped[str | None] = mapped_column(String(64))
    revision_note: Mapped[str | None] = mapped_column(Text)
    letter_approved_by: Mapped[str | None] = mapped_column(String(64))
    letter_approved_at: Mapped[datetime | None]
    evaluation_reminded_at: Mapped[datetime | None]
    # The SOP holds production until its acceptance: provisioning stops after the dev checks.
    hold_production: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )

    jobs: Mapped[list[Job]] = relationship(back_populates="request", order_by="Job.id")


class NameClaim(Base):
    """The registry of names taken or requested. The partial unique index makes two
    racing requests for one name end with exactly one holder."""

    __tablename__ = "name_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(253))
    label: Mapped[str] = mapped_column(String(63))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        Index(
            "uq_name_claims_active",
            "zone",
            "label",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
