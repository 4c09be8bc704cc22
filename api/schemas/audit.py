"""The hash-chained audit log: its entries and the check of its chain."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditEntryOut(BaseModel):
    seq: int | None
    at: str
    actor: str
    action: str
    request_id: int | None
    job_id: int | None
    client_ip: str | None
    detail: Any = None
    before: Any = None
    after: Any = None
    prev_hash: str | None
    hash: str | None


class AuditVerifyOut(BaseModel):
    ok: bool
    entries: int
    problems: list[str]
