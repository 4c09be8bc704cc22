"""The hosting workflow: deploy, promote, and a site's retirement plan and its decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DeployIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    branch: str | None = Field(None, max_length=200, description="branch head to deploy")
    commit: str | None = Field(None, max_length=40, description="exact commit (40 hex)")


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    commit: str | None = Field(
        None, max_length=40, description="a commit that passed dev (default: the newest)"
    )


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field("", max_length=2000)


class RetireDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    checksum: str | None = Field(None, description="checksum of the plan you reviewed")


class RetireRejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(..., max_length=2000)


class RetirementOut(BaseModel):
    id: int
    request_id: int
    state: str
    summary: list[str]
    checksum: str
    plan: dict[str, Any]
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    job_id: int | None
