"""Administration: the working calendar and the per-agency SLA limits."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
