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


class LetterVerificationOut(BaseModel):
    """A letter found by its verification code (a subdomain request's or an SOP request's),
    with what was recomputed: the code from the stored content, the stored PDF's hash and,
    for a subdomain request's letter, the HMAC over the number and the PDF's hash."""

    code: str
    number: str
    kind: str  # reply | refusal | invitation | recommendation | assignment | berita_acara | …
    kind_name: str  # "Surat penolakan / Refusal letter"
    source: str  # request | sop
    issued_at: datetime | None
    opd: str  # the requesting agency
    addressee: str
    fqdn: str
    sha256: str
    code_ok: bool
    file_ok: bool  # the stored PDF still hashes to the hash kept at issue
    signature_ok: bool | None  # None: a letter issued without provisioner's HMAC
    valid: bool
    replaces: str | None
    replaced_by: str | None
