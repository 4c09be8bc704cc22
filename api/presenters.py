"""Read models → API shapes, in one place, and what each caller may see of a failure.

Diskominfo's staff get both the technical detail (server, the tool's own words, logs, step
outputs) and the plain public reason; an OPD gets only the plain reason — no server paths,
SQL or raw tool output (BSSN 4/2021: error handling without leaks)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from api.schemas.audit import AuditEntryOut, AuditVerifyOut
from api.schemas.hosting import RetirementOut
from api.schemas.jobs import JobOut, StandingChangeOut, StepOut
from api.schemas.letters import LetterDetailOut, LetterOut
from api.schemas.people import MeOut, UserOut
from api.schemas.public import AvailabilityOut, LivenessCheckOut, StatusOut
from api.schemas.requests import RequestOut
from api.schemas.sla import OverdueOut, StepClockOut
from provisioner.domain.actors import Actor, Role
from provisioner.domain.failure_notice import public_progress, step_label
from provisioner.domain.sla import StepClock
from provisioner.domain.states import RequestState
from provisioner.jobs.control import StandingReport
from provisioner.workflow.monitoring.status import SiteStatus
from provisioner.workflow.people.audit import AuditReport
from provisioner.workflow.people.sla import OverdueStep
from provisioner.workflow.people.users import UserView
from provisioner.workflow.read_models import (
    ApprovalResult,
    JobView,
    LetterView,
    RequestView,
    RetirementView,
    StepView,
)
from provisioner.workflow.requests.availability import AvailabilityVerdict


def sees_detail(actor: Actor) -> bool:
    """Whether the caller may read the technical detail of a failure (staff, not an OPD)."""
    return actor.role is not Role.OPD


# --- what one caller may see (also used by the web pages) ----------------------------------


def step_for(actor: Actor, step: StepView) -> StepView:
    """An OPD's copy: no server, no tool's words or outputs; its log is the step's progress
    in plain words, so the job can still be followed live."""
    if sees_detail(actor):
        return step
    return dataclasses.replace(step, server=None, error=None, outputs=None,
                               log=public_progress(step.name, step.status))


def job_for(actor: Actor, job: JobView) -> JobView:
    """The job as `actor` may see it: an OPD's copy has no technical detail left in it."""
    if sees_detail(actor):
        return job
    return dataclasses.replace(
        job, error=None, steps=tuple(step_for(actor, s) for s in job.steps)
    )


def repo_name(url: str | None) -> str | None:
    """A repository as the agency named it ("sample-app"), not the code server's address."""
    if not url:
        return None
    return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def request_for(actor: Actor, req: RequestView) -> RequestView:
    """The request as `actor` may see it (its failure and jobs, see job_for; the repository
    by the name the agency gave, never the code server's address)."""
    if sees_detail(actor):
        return req
    return dataclasses.replace(
        req,
        failure_server=None,
        failure_reason=None,
        repo_url=repo_name(req.repo_url),
        jobs=tuple(job_for(actor, j) for j in req.jobs),
    )


# --- JSON ------------------------------------------------------------------------------------


def _step_out(step: StepView, *, with_outputs: bool) -> StepOut:
    return StepOut(
        name=step.name,
        title=step.title,
        status=step.status,
        server=step.server,
        error=step.error if step.error is not None else step.public_error,
        public_error=step.public_error,
        attempts=step.attempts,
        started_at=step.started_at,
        finished_at=step.finished_at,
        outputs=step.outputs if with_outputs else None,
    )


def job_out(job: JobView, actor: Actor, *, with_outputs: bool = False) -> JobOut:
    shown = job_for(actor, job)
    return JobOut(
        id=shown.id,
        request_id=shown.request_id,
        kind=shown.kind,
        state=shown.state,
        error=shown.error if shown.error is not None else shown.public_error,
        public_error=shown.public_error,
        created_by=shown.created_by,
        created_at=shown.created_at,
        started_at=shown.started_at,
        finished_at=shown.finished_at,
        steps=[_step_out(s, with_outputs=with_outputs) for s in shown.steps],
    )


def step_log(job: JobView, name: str, actor: Actor) -> str:
    """A step's log for staff; for an OPD its progress in plain words (see step_for)."""
    step = next((s for s in job_for(actor, job).steps if s.name == name), None)
    return (step.log or "") if step is not None else ""


def request_out(req: RequestView, actor: Actor) -> RequestOut:
    shown = request_for(actor, req)
    state = RequestState(shown.state)
    failure = (
        {
            "step": shown.failure_step,
            "step_title": step_label(shown.failure_step),
            "server": shown.failure_server,
            "reason": (
                shown.failure_reason if shown.failure_reason is not None
                else shown.failure_public
            ),
            "public_reason": shown.failure_public,
        }
        if shown.failure_step
        else None
    )
    return RequestOut(
        id=shown.id,
        ticket=shown.ticket,
        label=shown.label,
        fqdn=shown.fqdn,
        agency=shown.agency,
        purpose=shown.purpose,
        contact_name=shown.contact_name,
        contact_email=shown.contact_email,
        letter_number=shown.letter_number,
        letter_date=shown.letter_date,
        hosting=shown.hosting,
        repo_url=shown.repo_url,
        branch=shown.branch,
        target_address=shown.target_address,
        state=state,
        state_label=f"{state.label_id} / {state.label_en}",
        created_by=shown.created_by,
        created_at=shown.created_at,
        decided_by=shown.decided_by,
        decided_at=shown.decided_at,
        rejection_reason=shown.rejection_reason,
        plan_summary=list(shown.plan_summary) if shown.plan_summary is not None else None,
        plan_checksum=shown.plan_checksum,
        commit_sha=shown.commit_sha,
        failure=failure,
        live_at=shown.live_at,
        jobs=[job_out(j, actor) for j in shown.jobs],
        request_type=shown.request_type,
        subject_request_id=shown.subject_request_id,
        contact_phone=shown.contact_phone,
        contact_nip=shown.contact_nip,
        contact_position=shown.contact_position,
        contact_rank=shown.contact_rank,
        site_kind=shown.site_kind,
        stack=shown.stack,
        db_wanted=shown.db_wanted,
        revision_note=shown.revision_note,
        letter_scan_sha256=shown.letter_scan_sha256,
        letter_approved_by=shown.letter_approved_by,
        letter_approved_at=shown.letter_approved_at,
    )


def approval_out(done: ApprovalResult, actor: Actor) -> JobOut | RequestOut:
    """The queued job, or — when the change was carried out at once — the request."""
    if done.outcome == "job_queued" and done.job is not None:
        return job_out(done.job, actor)
    return request_out(done.request, actor)


def with_standing(out: JobOut, report: StandingReport, actor: Actor) -> JobOut:
    """The job with what it left standing on the servers and whether an undo may be asked
    for (staff only: an OPD sees no server names or database names)."""
    if not sees_detail(actor):
        return out
    changes = [
        StandingChangeOut(
            step=c.step, server=c.server, text=c.text, items=list(c.items),
            partial=c.partial, undoing=c.undoing,
        )
        for c in report.changes
    ]  # fmt: skip
    return out.model_copy(update={"standing_changes": changes, "undoable": report.undoable})


def retirement_out(row: RetirementView) -> RetirementOut:
    """A retirement plan with its one-line summary and its decision."""
    return RetirementOut(
        id=row.id, request_id=row.request_id, state=row.state, summary=list(row.summary),
        checksum=row.checksum, plan=row.plan, reason=row.reason, proposed_by=row.proposed_by,
        proposed_at=row.proposed_at, decided_by=row.decided_by, decided_at=row.decided_at,
        rejection_reason=row.rejection_reason, job_id=row.job_id,
    )


def issued_letter_out(letter: LetterView, request_id: int) -> LetterOut:
    """The letter a request's job issued, with where to download it."""
    return LetterOut(
        number=letter.number,
        issued_at=letter.issued_at,
        sha256=letter.sha256,
        verification_code=letter.verification_code,
        download_url=f"/api/v1/requests/{request_id}/letter.pdf",
    )


def letter_out(letter: LetterView) -> LetterDetailOut:
    """One letter with its letter of record, if the agency uploaded it."""
    base = f"/api/v1/letters/{letter.id}"
    return LetterDetailOut(
        id=letter.id,
        request_id=letter.request_id,
        number=letter.number,
        issued_at=letter.issued_at,
        sha256=letter.sha256,
        verification_code=letter.verification_code,
        replaces_id=letter.replaces_id,
        download_url=f"{base}.pdf",
        record_sha256=letter.record_sha256,
        record_uploaded_at=letter.record_uploaded_at,
        record_uploaded_by=letter.record_uploaded_by,
        record_url=f"{base}/record.pdf" if letter.record_pdf_path else None,
    )


def availability_out(v: AvailabilityVerdict) -> AvailabilityOut:
    return AvailabilityOut(
        label=v.label,
        fqdn=v.fqdn,
        valid=v.valid,
        available=v.available,
        reasons=v.reasons,
        nameservers=v.nameservers,
        suggestions=v.suggestions,
    )


def status_out(s: SiteStatus) -> StatusOut:
    return StatusOut(
        fqdn=s.fqdn,
        live=s.live,
        nameservers=s.nameservers,
        http=s.http,
        request=s.request,
        checked_at=s.checked_at,
        tls=s.tls,
    )


def liveness_out(check: dict[str, Any]) -> LivenessCheckOut:
    """One of the scheduler's periodic liveness checks."""
    return LivenessCheckOut(**check)


def me_out(
    actor: Actor, *, csrf_token: str | None = None, expires_at: datetime | None = None
) -> MeOut:
    """Who is calling; a session also gives its CSRF token and when it expires."""
    return MeOut(
        username=actor.username,
        role=actor.role,
        agency=actor.agency,
        csrf_token=csrf_token,
        expires_at=expires_at,
    )


def user_out(user: UserView) -> UserOut:
    return UserOut(**vars(user))


def audit_entry_out(entry: dict[str, Any]) -> AuditEntryOut:
    return AuditEntryOut(**entry)


def audit_verify_out(report: AuditReport) -> AuditVerifyOut:
    return AuditVerifyOut(
        ok=report.ok, entries=report.entries, problems=[str(p) for p in report.problems]
    )


def clock_out(clock: StepClock) -> StepClockOut:
    return StepClockOut(**vars(clock))


def overdue_out(step: OverdueStep) -> OverdueOut:
    return OverdueOut(
        request_id=step.request_id,
        ticket=step.ticket,
        agency=step.agency,
        clock=clock_out(step.clock),
    )
