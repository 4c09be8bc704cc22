"""DNS drift: the approval of a zone's repair plan."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    zone: str = Field(max_length=253)
    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
