"""Public answers: name availability and whether a subdomain is live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AvailabilityOut(BaseModel):
    label: str
    fqdn: str
    valid: bool
    available: bool | None
    reasons: list[str]
    nameservers: dict[str, str]
    suggestions: list[str]


class StatusOut(BaseModel):
    fqdn: str
    live: bool
    nameservers: dict[str, list[str] | str]
    http: dict[str, Any]
    request: dict[str, Any] | None
    checked_at: datetime
    tls: dict[str, Any] | None = None  # certificate expiry ("not_after", "days_left") if any


class LivenessCheckOut(BaseModel):
    checked_at: datetime
    live: bool
    nameservers: dict[str, list[str] | str] = {}
    http: dict[str, Any] = {}
    tls: dict[str, Any] | None = None
