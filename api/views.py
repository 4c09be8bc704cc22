"""Table rows → API shapes, in one place."""

from __future__ import annotations

from api.schemas import JobOut, RequestOut, StepOut
from provisioner.domain.provision_plan import plan_summary
from provisioner.domain.states import RequestState
from provisioner.store.models import Job, Request


def job_out(job: Job, *, with_outputs: bool = False) -> JobOut:
    return JobOut(
        id=job.id,
        request_id=job.request_id,
        kind=job.kind,
        state=job.state,
        error=job.error,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        steps=[
            StepOut(
                name=s.name,
                status=s.status,
                server=s.server,
                error=s.error,
                attempts=s.attempts,
                started_at=s.started_at,
                finished_at=s.finished_at,
                outputs=s.outputs if with_outputs else None,
            )
            for s in job.steps
        ],
    )


def request_out(req: Request) -> RequestOut:
    state = RequestState(req.state)
    failure = (
        {"step": req.failure_step, "server": req.failure_server, "reason": req.failure_reason}
        if req.failure_step
        else None
    )
    return RequestOut(
        id=req.id,
        ticket=req.ticket,
        label=req.label,
        fqdn=req.fqdn,
        agency=req.agency,
        purpose=req.purpose,
        contact_name=req.contact_name,
        contact_email=req.contact_email,
        letter_number=req.letter_number,
        letter_date=req.letter_date,
        hosting=req.hosting,
        repo_url=req.repo_url,
        branch=req.branch,
        target_address=req.target_address,
        state=state,
        state_label=f"{state.label_id} / {state.label_en}",
        created_by=req.created_by,
        created_at=req.created_at,
        decided_by=req.decided_by,
        decided_at=req.decided_at,
        rejection_reason=req.rejection_reason,
        plan_summary=plan_summary(req.plan) if req.plan else None,
        plan_checksum=req.plan_checksum,
        commit_sha=req.commit_sha,
        failure=failure,
        live_at=req.live_at,
        jobs=[job_out(j) for j in req.jobs],
        **people_fields(req),
    )


def people_fields(req: Request) -> dict[str, object]:
    """The people area's columns of a request (types, SOP fields, revision, letter)."""
    return {
        f: getattr(req, f)
        for f in (
            "request_type", "subject_request_id", "contact_phone", "contact_nip",
            "contact_position", "contact_rank", "site_kind", "stack", "db_wanted",
            "revision_note", "letter_scan_sha256", "letter_approved_by", "letter_approved_at",
        )
    }  # fmt: skip
