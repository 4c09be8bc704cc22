"""Data access for the hosting workflow: job parameters, commits that passed dev, busy sites,
retirement plans. The caller owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.domain.jobs import JobState, StepStatus
from provisioner.store.models import Job, JobStep
from provisioner.store.models_hosting_workflow import Deployment, Retirement


def add_deployment(
    session: Session, *, job_id: int, request_id: int, kind: str, ref: str | None,
    commit: str | None, actor: str,
) -> Deployment:
    row = Deployment(job_id=job_id, request_id=request_id, kind=kind, ref=ref, commit=commit,
                     created_by=actor)
    session.add(row)
    session.flush()
    return row


def deployment_for_job(session: Session, job_id: int) -> Deployment | None:
    return session.scalar(select(Deployment).where(Deployment.job_id == job_id))


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


def add_retirement(session: Session, **values: Any) -> Retirement:
    row = Retirement(**values)
    session.add(row)
    session.flush()
    return row


def open_retirement(session: Session, request_id: int) -> Retirement | None:
    """The newest retirement plan of a request that is not rejected."""
    return session.scalar(
        select(Retirement)
        .where(Retirement.request_id == request_id, Retirement.state != "rejected")
        .order_by(Retirement.id.desc())
        .limit(1)
    )
