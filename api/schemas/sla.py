"""The SLA clocks of a request's steps, in working minutes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


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
