"""Read models: what services hand to the API, the web pages and the CLI instead of table
rows. Each is a frozen dataclass built inside the session by one small function here, and
complete when the session closes (a request with its jobs and their steps), so nothing
outside the store can trigger a lazy load on a detached row.

A failure carries both its technical detail (server, the tool's own words) for Diskominfo's
staff and a plain public reason for the agency (domain/failure_notice.py); which one a
caller sees is the presenter's choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from provisioner.domain.failure_notice import public_failure, public_job_error, step_label
from provisioner.domain.plan import RetirePlan, request_plan_from_dict
from provisioner.store.models.audit import Event
from provisioner.store.models.hosting import Retirement
from provisioner.store.models.jobs import Job, JobStep
from provisioner.store.models.letters import Letter
from provisioner.store.models.requests import Request


@dataclass(frozen=True)
class StepView:
    name: str
    title: str  # the step as people read it: "Basis data / Database"
    status: str
    server: str | None
    error: str | None  # technical: the tool's or server's own words
    public_error: str | None  # plain words for the agency
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    outputs: dict[str, Any] | None  # None also when not loaded (lists)
    log: str | None  # None when not loaded (lists)


@dataclass(frozen=True)
class JobView:
    id: int
    request_id: int
    kind: str
    state: str
    error: str | None
    public_error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    steps: tuple[StepView, ...]


@dataclass(frozen=True)
class RequestView:
    id: int
    ticket: str
    label: str
    zone: str
    fqdn: str
    agency: str
    purpose: str
    contact_name: str
    contact_email: str
    contact_phone: str
    letter_number: str
    letter_date: date
    hosting: bool
    repo_url: str | None
    branch: str | None
    target_address: str | None
    state: str
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    plan: dict[str, Any] | None
    plan_checksum: str | None
    commit_sha: str | None
    failure_step: str | None
    failure_server: str | None
    failure_reason: str | None  # technical
    failure_public: str | None  # plain words for the agency
    live_at: datetime | None
    request_type: str
    subject_request_id: int | None
    contact_nip: str | None
    contact_position: str | None
    contact_rank: str | None
    site_kind: str | None
    stack: str | None
    db_wanted: bool | None
    revision_note: str | None
    letter_scan_sha256: str | None
    letter_approved_by: str | None
    letter_approved_at: datetime | None
    db_name: str | None  # the site's database and its user (never the password)
    db_user: str | None
    jobs: tuple[JobView, ...]
    plan_summary: tuple[str, ...] | None = None  # the approved plan, one line per item


@dataclass(frozen=True)
class ApprovalResult:
    """What approving a request did: queued a job (provisioning, change of target) or
    carried the change out at once (contact, deactivation)."""

    outcome: Literal["job_queued", "carried_out"]
    request: RequestView
    job: JobView | None


@dataclass(frozen=True)
class LetterView:
    id: int
    request_id: int
    number: str
    year: int
    serial: int
    issued_at: datetime
    pdf_path: str
    sha256: str
    verification_code: str
    replaces_id: int | None
    record_pdf_path: str | None
    record_sha256: str | None
    record_uploaded_at: datetime | None
    record_uploaded_by: str | None


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor: str
    action: str
    request_id: int | None
    job_id: int | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class RetirementView:
    id: int
    request_id: int
    state: str
    plan: dict[str, Any]
    checksum: str
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    job_id: int | None
    summary: tuple[str, ...] = ()  # the plan, one line per item


def _copy(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


def step_view(row: JobStep, *, detail: bool = True) -> StepView:
    """`detail=False` leaves the (possibly large) log and outputs unread: lists defer them."""
    failed = row.status == "failed"
    return StepView(
        name=row.name,
        title=step_label(row.name),
        status=row.status,
        server=row.server,
        error=row.error,
        public_error=public_failure(row.name) if failed else None,
        attempts=row.attempts,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outputs=_copy(row.outputs) if detail else None,
        log=(row.log or "") if detail else None,
    )


def job_view(row: Job, *, detail: bool = True) -> JobView:
    steps = tuple(step_view(s, detail=detail) for s in row.steps)
    failed_step = next((s.name for s in steps if s.status == "failed"), None)
    return JobView(
        id=row.id,
        request_id=row.request_id,
        kind=row.kind,
        state=row.state,
        error=row.error,
        public_error=public_job_error(row.state, row.error, failed_step),
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        cancel_requested=bool(row.cancel_requested),
        steps=steps,
    )


def request_view(row: Request, *, detail: bool = True) -> RequestView:
    """The request with its jobs and their steps (`detail=False`: without logs/outputs)."""
    return RequestView(
        id=row.id,
        ticket=row.ticket,
        label=row.label,
        zone=row.zone,
        fqdn=row.fqdn,
        agency=row.agency,
        purpose=row.purpose,
        contact_name=row.contact_name,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone or "",
        letter_number=row.letter_number,
        letter_date=row.letter_date,
        hosting=row.hosting,
        repo_url=row.repo_url,
        branch=row.branch,
        target_address=row.target_address,
        state=row.state,
        created_by=row.created_by,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        rejection_reason=row.rejection_reason,
        plan=_copy(row.plan),
        plan_checksum=row.plan_checksum,
        commit_sha=row.commit_sha,
        failure_step=row.failure_step,
        failure_server=row.failure_server,
        failure_reason=row.failure_reason,
        failure_public=public_failure(row.failure_step) if row.failure_step else None,
        live_at=row.live_at,
        request_type=row.request_type or "new",
        subject_request_id=row.subject_request_id,
        contact_nip=row.contact_nip,
        contact_position=row.contact_position,
        contact_rank=row.contact_rank,
        site_kind=row.site_kind,
        stack=row.stack,
        db_wanted=row.db_wanted,
        revision_note=row.revision_note,
        letter_scan_sha256=row.letter_scan_sha256,
        letter_approved_by=row.letter_approved_by,
        letter_approved_at=row.letter_approved_at,
        db_name=row.db_name,
        db_user=row.db_user,
        jobs=tuple(job_view(j, detail=detail) for j in row.jobs),
        plan_summary=tuple(request_plan_from_dict(row.plan).summary()) if row.plan else None,
    )


def letter_view(row: Letter) -> LetterView:
    return LetterView(
        id=row.id,
        request_id=row.request_id,
        number=row.number,
        year=row.year,
        serial=row.serial,
        issued_at=row.issued_at,
        pdf_path=row.pdf_path,
        sha256=row.sha256,
        verification_code=row.verification_code,
        replaces_id=row.replaces_id,
        record_pdf_path=row.record_pdf_path,
        record_sha256=row.record_sha256,
        record_uploaded_at=row.record_uploaded_at,
        record_uploaded_by=row.record_uploaded_by,
    )


def event_view(row: Event) -> EventView:
    return EventView(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        request_id=row.request_id,
        job_id=row.job_id,
        detail=_copy(row.detail),
    )


def retirement_view(row: Retirement) -> RetirementView:
    return RetirementView(
        id=row.id,
        request_id=row.request_id,
        state=row.state,
        plan=dict(row.plan),
        checksum=row.checksum,
        reason=row.reason or "",
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        rejection_reason=row.rejection_reason,
        job_id=row.job_id,
        summary=tuple(RetirePlan.from_dict(row.plan).summary()),
    )
