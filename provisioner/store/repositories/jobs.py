"""Jobs and their step journal: create, claim, heartbeat, take over, read outputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from provisioner.domain.errors import NotFound
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.store.models.base import utcnow
from provisioner.store.models.jobs import Job, JobStep
from provisioner.store.models.requests import Request


def create_job(
    session: Session, *, request_id: int, kind: str, lock_key: str, steps: Sequence[str], actor: str
) -> Job:
    job = Job(
        request_id=request_id,
        kind=kind,
        state=JobState.QUEUED,
        lock_key=lock_key,
        created_by=actor,
        steps=[
            JobStep(position=i, name=name, status=StepStatus.PLANNED)
            for i, name in enumerate(steps)
        ],
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.scalar(select(Job).where(Job.id == job_id).options(selectinload(Job.steps)))
    if job is None:
        raise NotFound(f"Pekerjaan {job_id} tidak ada / Job {job_id} not found")
    return job


def queued_job_ids(session: Session, limit: int = 10) -> list[int]:
    return list(
        session.scalars(
            select(Job.id).where(Job.state == JobState.QUEUED).order_by(Job.id).limit(limit)
        )
    )


def claim_job(session: Session, job_id: int, worker: str) -> bool:
    """Compare-and-set queued -> running; exactly one worker wins."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, claimed_by=worker, heartbeat_at=now, started_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def requeue_orphans(session: Session, *, worker: str | None, stale_after: timedelta) -> list[int]:
    """Jobs left running by a process that died: ours (after a restart) or any whose
    heartbeat is older than `stale_after`. They go back to the queue and resume."""
    cutoff = utcnow() - stale_after
    cond = Job.heartbeat_at < cutoff
    if worker is not None:
        cond = cond | (Job.claimed_by == worker)
    ids = list(session.scalars(select(Job.id).where(Job.state == JobState.RUNNING, cond)))
    if ids:
        session.execute(
            update(Job).where(Job.id.in_(ids)).values(state=JobState.QUEUED, claimed_by=None)
        )
    return ids


def heartbeat(session: Session, job_id: int) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))


def take_over_job(session: Session, job_id: int, worker: str, *, stale_after: timedelta) -> bool:
    """Claim a job for `worker`: queued, already ours, or running with a heartbeat older than
    `stale_after` (its worker died). A compare-and-set, so exactly one worker wins."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            (Job.state == JobState.QUEUED)
            | (
                (Job.state == JobState.RUNNING)
                & ((Job.claimed_by == worker) | (Job.heartbeat_at < now - stale_after))
            ),
        )
        .values(state=JobState.RUNNING, claimed_by=worker, heartbeat_at=now, started_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def count_jobs_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {str(state): int(n) for state, n in rows}


def active_job_ids(session: Session, request_id: int) -> list[int]:
    """Jobs of a request that are queued or running."""
    return list(session.scalars(
        select(Job.id).where(
            Job.request_id == request_id, Job.state.in_((JobState.QUEUED, JobState.RUNNING))
        )
    ))


def step_outputs(
    session: Session, request_id: int, name: str, *, done_only: bool = True
) -> list[tuple[int, dict[str, Any]]]:
    """(job id, outputs) of every done step `name` of a request's jobs, newest first."""
    stmt = (
        select(JobStep.job_id, JobStep.outputs)
        .join(Job, Job.id == JobStep.job_id)
        .where(Job.request_id == request_id, JobStep.name == name)
        .order_by(JobStep.finished_at.desc(), JobStep.id.desc())
    )
    if done_only:
        stmt = stmt.where(JobStep.status == StepStatus.DONE)
    return [(job_id, out or {}) for job_id, out in session.execute(stmt)]


def passed_dev_commits(session: Session, request_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(commit, manifest) of every release whose dev checks passed, newest first: the site_dev
    outputs of the jobs whose checks_dev step is done."""
    passed = {job_id for job_id, _ in step_outputs(session, request_id, "checks_dev")}
    seen: dict[str, dict[str, Any]] = {}
    for job_id, out in step_outputs(session, request_id, "site_dev"):
        if job_id in passed and out.get("commit") and out["commit"] not in seen:
            seen[out["commit"]] = out.get("manifest") or {}
    return list(seen.items())


def tls_step_outputs(session: Session, request_states: Sequence[str]) -> list[dict[str, Any]]:
    """Outputs of every done TLS step (`tls_*`) of the jobs of requests in
    `request_states`, newest first."""
    rows = session.execute(
        select(JobStep.outputs)
        .join(Job, JobStep.job_id == Job.id)
        .join(Request, Job.request_id == Request.id)
        .where(JobStep.name.like("tls_%"), JobStep.status == StepStatus.DONE)
        .where(Request.state.in_(list(request_states)))
        .order_by(JobStep.id.desc())
    ).scalars()
    return [out or {} for out in rows]
