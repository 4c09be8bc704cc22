"""A job and its steps as the API shows them (staff see more than an OPD, see
api.presenters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class StepOut(BaseModel):
    name: str
    status: str
    server: str | None
    error: str | None
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    outputs: dict[str, Any] | None = None
    title: str | None = Field(None, description="the step in plain words")
    public_error: str | None = Field(
        None, description="the failure in plain words (what an OPD is shown as `error`)"
    )


class StandingChangeOut(BaseModel):
    """A change a job that stopped part-way left on a server (from its journal)."""

    step: str
    server: str
    text: str = Field(..., description="what stands, in words (Indonesian / English)")
    items: list[str] = Field(..., description="what exactly, e.g. each DNS record")
    partial: bool = Field(..., description="the step failed: part of its change may stand")
    undoing: bool = Field(..., description="an undo of it is queued or running")


class JobOut(BaseModel):
    id: int
    request_id: int
    kind: str
    state: str
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    steps: list[StepOut]
    public_error: str | None = Field(
        None, description="the failure in plain words (what an OPD is shown as `error`)"
    )
    standing_changes: list[StandingChangeOut] = Field(
        [], description="what a failed or cancelled provisioning job left on the servers "
        "(staff only; empty otherwise)"
    )
    undoable: bool = Field(
        False, description="POST /api/v1/jobs/{id}/undo would take the standing changes back"
    )
