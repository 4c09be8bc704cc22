"""API shapes (never the store's tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RequestIn(BaseModel):
    """A request as JSON. Strict: `"yes"` or `1` is not a boolean, `"5"` not a number —
    only dates come as text (ISO 8601), JSON having no date type."""

    model_config = ConfigDict(extra="forbid", strict=True)

    label: str = Field(..., max_length=300, description="desired subdomain label, e.g. 'dinkes'")
    agency: str = Field(..., max_length=300, description="the requesting OPD")
    purpose: str = Field(..., max_length=4000)
    contact_name: str = Field(..., max_length=300)
    contact_email: str = Field(..., max_length=300)
    contact_phone: str = Field("", max_length=40)
    letter_number: str = Field(..., max_length=200, description="the OPD's request letter number")
    letter_date: date = Field(..., strict=False, description="YYYY-MM-DD")
    hosting: bool = Field(..., description="virtual host + database + deploy wanted")
    repo: str | None = Field(None, max_length=500, description="repository on Diskominfo's server")
    branch: str | None = Field("main", max_length=250)
    target_address: str | None = Field(None, max_length=64, description="IPv4, without hosting")
    # --- people: request types and what the SOPs ask (all optional: old clients keep working)
    request_type: Literal["new", "change_target", "change_contact", "deactivate"] = Field(
        "new", description="new subdomain, change of target/DNS, of the person responsible, "
        "or deactivation of an existing live site (named by `label`)"
    )
    contact_nip: str | None = Field(None, max_length=30, description="18-digit NIP")
    contact_position: str | None = Field(None, max_length=300, description="jabatan")
    contact_rank: str | None = Field(None, max_length=150, description="pangkat/golongan")
    site_kind: Literal["official", "public_service", "administration"] | None = Field(
        None, description="official site / public-service app / administration app"
    )
    stack: Literal["php", "static"] | None = Field(None, description="hosting wanted")
    db_wanted: bool | None = Field(None, description="a database is wanted with the hosting")


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


class RequestOut(BaseModel):
    id: int
    ticket: str
    label: str
    fqdn: str
    agency: str
    purpose: str
    contact_name: str
    contact_email: str
    letter_number: str
    letter_date: date
    hosting: bool
    repo_url: str | None
    branch: str | None
    target_address: str | None
    state: str
    state_label: str
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    plan_summary: list[str] | None
    plan_checksum: str | None
    commit_sha: str | None
    failure: dict[str, str | None] | None = Field(
        description="step, step_title, server, reason, public_reason; an OPD gets the plain "
        "public reason as `reason` and no server"
    )
    live_at: datetime | None
    jobs: list[JobOut] = []
    # --- people ---
    request_type: str = "new"
    subject_request_id: int | None = None
    contact_phone: str = ""
    contact_nip: str | None = None
    contact_position: str | None = None
    contact_rank: str | None = None
    site_kind: str | None = None
    stack: str | None = None
    db_wanted: bool | None = None
    revision_note: str | None = None
    letter_scan_sha256: str | None = None
    letter_approved_by: str | None = None
    letter_approved_at: datetime | None = None


class PlanOut(BaseModel):
    summary: list[str]
    checksum: str
    plan: dict[str, Any]


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    checksum: str | None = Field(None, description="checksum of the plan you reviewed")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(..., max_length=2000)


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


class LetterOut(BaseModel):
    number: str
    issued_at: datetime
    sha256: str
    verification_code: str
    download_url: str
