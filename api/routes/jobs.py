"""Jobs: read the journal, retry from the failed step, cancel."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentActor, ServicesDep
from api.schemas import JobOut
from api.views import job_out

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: int, services: ServicesDep, actor: CurrentActor) -> JobOut:
    """The job's journal: each step's status, server, outputs and error."""
    return job_out(services.requests.job(job_id, actor), with_outputs=True)


@router.get("/{job_id}/steps/{name}/log", response_model=str)
def get_step_log(job_id: int, name: str, services: ServicesDep, actor: CurrentActor) -> str:
    """The step's log (playbook output, checks)."""
    job = services.requests.job(job_id, actor)
    return next((s.log for s in job.steps if s.name == name), "")


@router.post("/{job_id}/retry", response_model=JobOut, status_code=202)
def retry_job(job_id: int, services: ServicesDep, actor: CurrentActor) -> JobOut:
    """Queue a failed job again; it resumes at the failed step."""
    services.requests.retry(job_id, actor)
    return job_out(services.requests.job(job_id, actor))


@router.post("/{job_id}/cancel", response_model=JobOut, status_code=202)
def cancel_job(job_id: int, services: ServicesDep, actor: CurrentActor) -> JobOut:
    """Cancel a queued job, or ask a running one to stop at the next safe point."""
    services.requests.cancel(job_id, actor)
    return job_out(services.requests.job(job_id, actor))
