"""API shapes of the people area: sign-in, users, audit, SLA, revisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


class MeOut(BaseModel):
    username: str
    role: str
    agency: str | None
    csrf_token: str | None = None
    expires_at: datetime | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: Literal["opd", "network", "technical", "approver", "admin"]
    agency: str | None = Field(None, max_length=200)
    full_name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=200)
    password: str | None = Field(None, min_length=1, max_length=256)


class UserOut(BaseModel):
    username: str
    full_name: str
    role: str
    agency: str | None
    email: str | None
    disabled: bool
    locked: bool
    has_password: bool


class TokenOut(BaseModel):
    username: str
    token: str = Field(..., description="shown once; only its hash is stored")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    password: str = Field(..., min_length=1, max_length=256)
    current_password: str | None = Field(None, max_length=256)


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    day: date = Field(..., strict=False, description="YYYY-MM-DD")
    kind: Literal["off", "working"]
    note: str = Field("", max_length=200)


class AgencySlaIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    agency: str = Field(..., min_length=1, max_length=200)
    limits: dict[Literal["disposition", "availability", "create", "letter"], int]
    timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] | None = None


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


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: str = Field(..., max_length=2000, description="what the OPD must revise")


class StepClockOut(BaseModel):
    step: str
    label: str
    limit_minutes: int
    used_minutes: float
    started_at: datetime | None
    ended_at: datetime | None
    due_at: datetime | None
    paused: bool
    overdue: bool


class OverdueOut(BaseModel):
    request_id: int
    ticket: str
    agency: str
    clock: StepClockOut
