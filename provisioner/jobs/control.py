"""Control of queued and failed jobs: retry (resume at the step that failed), cancel, and
the undo of a provisioning job that failed (or was cancelled) after earlier steps changed
servers: what stands, read from the journal, and taking back exactly that.

Asking for the undo only marks the standing steps `undoing` and queues the job; the worker
runs each step's undo (JobRunner, newest first), marks it `undone`, and once the DNS
records are gone too the request is `undone` and its name free again. Nothing of it runs
in the HTTP request's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Conflict
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.domain.standing_changes import StandingChange, can_undo, standing_changes
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.jobs import Job
from provisioner.store.read_models import JobView, job_view
from provisioner.store.repositories import audit as audit_repo, jobs as jobs_repo


@dataclass(frozen=True)
class StandingReport:
    """A job's standing changes and whether an undo of them may be asked for now."""

    job_id: int
    request_id: int
    state: str
    changes: tuple[StandingChange, ...]
    undoable: bool


def _report(job: Job) -> StandingReport:
    changes = standing_changes(
        job.kind, job.steps, job.request.plan, cancelled=job.state == JobState.CANCELLED
    )
    return StandingReport(
        job_id=job.id,
        request_id=job.request_id,
        state=job.state,
        changes=changes,
        undoable=can_undo(job.kind, job.state, changes),
    )


@dataclass(frozen=True)
class JobControl:
    """Retry and cancel (the roles that operate jobs); `on_job_queued` hands a job queued
    again to the dispatcher."""

    store: Store
    on_job_queued: Callable[[int], None]

    def retry(self, job_id: int, actor: Actor, *, client_ip: str | None = None) -> JobView:
        """Queue a failed or cancelled job again; it resumes at the step that failed."""
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            if job.state not in (JobState.FAILED, JobState.CANCELLED):
                raise Conflict(
                    f"Hanya pekerjaan yang gagal/dibatalkan yang dapat diulang (status: "
                    f"{job.state}) / Only a failed or cancelled job can be retried"
                )
            for st in job.steps:
                if st.status == StepStatus.FAILED:
                    st.status = StepStatus.PLANNED
            _requeue(s, job, actor, "job:retry", client_ip)
            view = job_view(job)
        self.on_job_queued(job_id)
        return view

    def cancel(self, job_id: int, actor: Actor, *, client_ip: str | None = None) -> JobView:
        """Cancel a queued job, or ask a running one to stop at the next safe point."""
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            if job.state == JobState.QUEUED:
                job.state = JobState.CANCELLED
                job.finished_at = utcnow()
            elif job.state == JobState.RUNNING:
                job.cancel_requested = True
            else:
                raise Conflict(f"Pekerjaan sudah selesai ({job.state}) / Job already ended")
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="job:cancel",
                request_id=job.request_id,
                job_id=job.id,
                client_ip=client_ip,
            )
            return job_view(job)


@dataclass
class JobUndoService:
    store: Store
    on_job_queued: Callable[[int], None] = field(default=lambda _job_id: None)

    def standing(self, job_id: int, actor: Actor) -> StandingReport:
        """What the job's journal says stands on the servers (anyone who may see the job)."""
        with self.store.read() as s:
            job = jobs_repo.get_job(s, job_id)
            ensure_allowed(actor, Action.VIEW, agency=job.request.agency)
            return _report(job)

    def undo(self, job_id: int, actor: Actor, *, client_ip: str | None = None) -> StandingReport:
        """Queue the undo of exactly the standing changes (the roles that may retry or
        cancel a job); refused unless the job failed or was cancelled and left some."""
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            report = _report(job)
            if not report.undoable:
                raise Conflict(
                    f"Pekerjaan {job_id} ({job.kind}, {job.state}) tidak dapat dibatalkan: "
                    "hanya pekerjaan penyediaan yang gagal/dihentikan dengan perubahan yang "
                    f"masih ada / Job {job_id} ({job.kind}, {job.state}) cannot be undone: "
                    "only a failed or cancelled provisioning job with standing changes can"
                )
            marked = {c.step for c in report.changes}
            for st in job.steps:
                if st.name in marked:
                    st.status = StepStatus.UNDOING
                    st.error = None
            _requeue(s, job, actor, "job:undo", client_ip, detail={"steps": sorted(marked)})
            s.flush()
            queued = _report(job)
        self.on_job_queued(job_id)
        return queued


def _requeue(
    s: Session,
    job: Job,
    actor: Actor,
    action: str,
    client_ip: str | None,
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    """Put a stopped job back in the queue (a retry or an undo), with its audit entry."""
    job.state = JobState.QUEUED
    job.cancel_requested = False
    job.error = None
    job.finished_at = None
    audit_repo.record_event(s, actor=actor.username, action=action, request_id=job.request_id,
                            job_id=job.id, client_ip=client_ip, detail=detail)
