"""Tables of the people area: web sessions and the working calendar's admin overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models import Base, utcnow


class WebSession(Base):
    """A signed-in browser. Only the token's hash is kept, so a copy of the store does
    not hand out live sessions."""

    __tablename__ = "web_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class CalendarDay(Base):
    """Admin overrides of the working calendar: `off` adds a regional day off, `working`
    turns a day the holidays package lists (e.g. an estimated Islamic date) back on."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")


class AgencySla(Base):
    """Per-agency SLA limits (working minutes per step) and time zone."""

    __tablename__ = "agency_sla"
    agency: Mapped[str] = mapped_column(String(200), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Makassar")
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
