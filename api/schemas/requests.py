"""A request as JSON: what an OPD submits, what it reads back, and the network
team's decisions on it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.jobs import JobOut


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
    # Request types and what the SOPs ask: all optional, so older clients keep working.
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


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: str = Field(..., max_length=2000, description="what the OPD must revise")
