"""Requests that follow an SOP, and the SOP definitions (JSON shapes, never tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RequestTypeIn = Literal[
    "subdomain", "application_recommendation", "application_development", "consultation"
]
OutcomeIn = Literal[
    "done", "approve", "reject", "return", "needed", "not_needed", "continue", "improve", "retire"
]


class Bilingual(BaseModel):
    id: str
    en: str


class ProcedureIn(BaseModel):
    """A request under an SOP. `fields` holds what the SOP's intake asks for (e.g. a
    recommendation's legal basis, problem, benefit …); each missing one is a 422 naming it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    request_type: RequestTypeIn
    title: str = Field(..., max_length=300, description="the application or service asked for")
    agency: str = Field(..., max_length=200, description="the requesting OPD")
    request_letter_number: str = Field(..., max_length=100)
    request_letter_date: date | None = Field(None, strict=False, description="YYYY-MM-DD")
    fields: dict[str, str] = Field(default_factory=dict)
    sop_key: str | None = Field(None, max_length=63, description="default: the chosen SOP")
    request_id: int | None = Field(None, description="a subdomain request already submitted")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    outcome: OutcomeIn = "done"
    note: str = Field("", max_length=4000, description="required to reject, return or refuse")
    fields: dict[str, str] = Field(default_factory=dict)


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    request_id: int


class SopChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    key: str = Field(..., max_length=63)


class SopIn(BaseModel):
    """An edited definition as YAML (or JSON) text; stored as the next version."""

    model_config = ConfigDict(extra="forbid", strict=True)
    definition: str = Field(..., max_length=200_000)


class StepOut(BaseModel):
    key: str
    name: Bilingual
    role: str
    limit: str | None
    output_kind: str
    output: str
    outcomes: list[str]
    fields: list[str]
    documents: list[str]
    disposition: bool
    status: str


class RecordOut(BaseModel):
    step: str
    outcome: str
    actor: str
    role: str
    at: datetime
    note: str
    fields: dict[str, str]


class ClockOut(BaseModel):
    step: str
    limit_minutes: int
    used_minutes: float
    started_at: datetime | None
    ended_at: datetime | None
    due_at: datetime | None
    paused: bool
    overdue: bool


class DocumentOut(BaseModel):
    id: int
    kind: str
    step: str | None
    filename: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    download_url: str


class ProcedureLetterOut(BaseModel):
    id: int
    procedure_id: int
    ticket: str
    step: str
    kind: str
    kind_name: Bilingual
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    number: str | None
    verification_code: str | None
    download_url: str | None
    record_sha256: str | None = None  # the TTE-signed letter of record
    record_uploaded_at: datetime | None = None
    record_uploaded_by: str | None = None
    record_url: str | None = None


class EvidenceOut(BaseModel):
    step: str
    kind: str
    passed: bool | None
    data: dict[str, Any]
    at: datetime


class ProcedureOut(BaseModel):
    id: int
    ticket: str
    request_type: str
    sop_key: str
    sop_version: int
    title: str
    agency: str
    request_letter_number: str
    request_letter_date: date | None
    fields: dict[str, str]
    created_by: str
    created_at: datetime
    current_step: str | None
    ended: str | None
    steps: list[StepOut]
    history: list[RecordOut]
    clocks: list[ClockOut]
    documents: list[DocumentOut]
    letters: list[ProcedureLetterOut]
    evidence: list[EvidenceOut]
    request_id: int | None
    request_state: str | None


class SopSummaryOut(BaseModel):
    key: str
    version: int
    request_type: str
    name: Bilingual
    source: str
    steps: int
    chosen_for: list[str]
    edited: bool
