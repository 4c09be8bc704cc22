"""DNS drift: the approval of a zone's repair plan; the adoption of existing records."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from provisioner.domain.dns_adoption import MAX_ADOPTIONS


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    zone: str = Field(max_length=253)
    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")


class AdoptRecordIn(BaseModel):
    """One record to adopt, as the list showed it, and whom it goes to: an agency (its
    name in `agency`) or `infrastructure` (never touched again)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=253)
    rtype: str = Field(min_length=1, max_length=10)
    value: str = Field(max_length=512)
    assign: Literal["agency", "infrastructure"]
    agency: str | None = Field(default=None, max_length=200)


class AdoptPlanIn(BaseModel):
    """The records of one zone to adopt: the review step (nothing is stored)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    zone: str = Field(max_length=253)
    records: list[AdoptRecordIn] = Field(min_length=1, max_length=MAX_ADOPTIONS)


class AdoptIn(AdoptPlanIn):
    """The same records with the checksum of the plan that was reviewed."""

    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
