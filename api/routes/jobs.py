"""Jobs: read the journal, retry from the failed step, cancel, undo what a failed job left."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentActor, JobControlDep, QueriesDep, UndoDep
from api.gates import requires
from api.presenters import job_out, step_log, with_standing
from api.schemas.jobs import JobOut
from api.session import ClientIp
from provisioner.domain.actors import Action

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut)
def get_job(
    job_id: int, undo: UndoDep, queries: QueriesDep, actor: CurrentActor
) -> JobOut:
    """The job's journal: each step's status, server, outputs and error (an OPD: each
    step's status and, for a failure, the reason in plain words)."""
    out = job_out(queries.job(job_id, actor), actor, with_outputs=True)
    return with_standing(out, undo.standing(job_id, actor), actor)


@router.get("/{job_id}/steps/{name}/log", response_model=str)
def get_step_log(job_id: int, name: str, queries: QueriesDep, actor: CurrentActor) -> str:
    """The step's log (playbook output, checks); an OPD gets the plain reason of a failed
    step instead of the tools' output."""
    return step_log(queries.job(job_id, actor), name, actor)


@router.post("/{job_id}/retry", response_model=JobOut, status_code=202,
             dependencies=[requires(Action.OPERATE)])
def retry_job(job_id: int, control: JobControlDep, actor: CurrentActor) -> JobOut:
    """Queue a failed job again; it resumes at the failed step."""
    return job_out(control.retry(job_id, actor), actor)


@router.post("/{job_id}/cancel", response_model=JobOut, status_code=202,
             dependencies=[requires(Action.OPERATE)])
def cancel_job(job_id: int, control: JobControlDep, actor: CurrentActor) -> JobOut:
    """Cancel a queued job, or ask a running one to stop at the next safe point."""
    return job_out(control.cancel(job_id, actor), actor)


@router.post("/{job_id}/undo", response_model=JobOut, status_code=202,
             dependencies=[requires(Action.OPERATE)])
def undo_job(
    job_id: int, undo: UndoDep, queries: QueriesDep, actor: CurrentActor, ip: ClientIp
) -> JobOut:
    """Take back exactly what a failed (or cancelled) provisioning job left standing
    (`standing_changes`): the worker runs each step's undo, newest first; once the DNS
    records are gone the request is `undone` and its name free again. 409 when nothing
    stands or the job did not fail."""
    report = undo.undo(job_id, actor, client_ip=ip)
    return with_standing(job_out(queries.job(job_id, actor), actor), report, actor)
