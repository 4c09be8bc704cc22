"""Issued letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base, utcnow


class Letter(Base):
    __tablename__ = "letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    number: Mapped[str] = mapped_column(String(200), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdf_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(64), index=True)
    evidence: Mapped[dict[str, Any] | None]
    signature: Mapped[str | None] = mapped_column(String(64))  # HMAC over number + sha256
    content: Mapped[dict[str, Any] | None]  # what was rendered, to recompute and correct
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    record_pdf_path: Mapped[str | None] = mapped_column(String(500))  # TTE-signed upload
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    record_uploaded_at: Mapped[datetime | None]
    record_uploaded_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("year", "serial"),)
