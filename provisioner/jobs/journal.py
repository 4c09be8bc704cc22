"""The job journal's writes, each its own transaction committed before the runner acts
again: a step started, done or failed, its log, the job finished, an undo recorded. The
request's state moves with its steps here, and is announced after the commit that moved it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from provisioner.domain.errors import ProvisionerError
from provisioner.domain.jobs import JobState, StepStatus, final_state, step_spec, tracks_request
from provisioner.domain.states import RequestState, ensure_transition, furthest
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.jobs import JobStep
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    audit as audit_repo,
    dns as dns_repo,
    jobs as jobs_repo,
    locks as locks_repo,
    requests as requests_repo,
)

log = logging.getLogger(__name__)


def _state_at_start(row: JobStep, req: Request) -> RequestState:
    """The request's state when `row` starts: the furthest stage reached (steps run side by
    side), but still failed while a step beside it has failed in this run (a retry resets
    the failed steps first, so a retried job moves the request again)."""
    current = RequestState(req.state)
    if current == RequestState.FAILED and any(
        other.status == StepStatus.FAILED for other in row.job.steps
    ):
        return current
    return furthest(current, step_spec(row.name).request_state)


class Journal:
    """`on_request_state(request_id, state)` is told after the commit that moved a request
    (live, letter issued …); a listener that fails never fails the job."""

    def __init__(
        self,
        store: Store,
        worker_id: str,
        on_request_state: Callable[[int, RequestState], None],
    ) -> None:
        self.store = store
        self.worker_id = worker_id
        self.on_request_state = on_request_state

    def step_undone(self, step_id: int, request_id: int, job_id: int, name: str) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.UNDONE
            row.error = None
            audit_repo.record_event(s, actor=self.worker_id, action=f"step:{name}:undone",
                                    request_id=request_id, job_id=job_id)

    def append_log(self, step_id: int, text: str) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.log = (row.log or "") + text.rstrip("\n") + "\n"
            jobs_repo.heartbeat(s, row.job_id)

    def set_request_state(self, s: Any, req: Request, target: RequestState) -> None:
        current = RequestState(req.state)
        if current != target:
            ensure_transition(current, target)
            req.state = target
            if target == RequestState.LIVE and req.live_at is None:
                req.live_at = utcnow()
            audit_repo.record_event(s, actor="provisioner", action=f"state:{target}",
                                    request_id=req.id)
            rid = req.id
            event.listen(s, "after_commit", lambda _s: self.announce(rid, target), once=True)

    def announce(self, request_id: int, state: RequestState) -> None:
        try:
            self.on_request_state(request_id, state)
        except Exception:  # noqa: BLE001 - a listener's failure must never fail the job
            log.exception("announcing request %s as %s failed", request_id, state)

    def step_started(self, step_id: int, request_id: int, name: str, run_dir: Path) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.RUNNING
            row.started_at = utcnow()
            row.finished_at = None
            row.error = None
            row.attempts += 1
            row.run_dir = str(run_dir)
            if tracks_request(row.job.kind):
                req = requests_repo.get_request(s, request_id)
                self.set_request_state(s, req, _state_at_start(row, req))
            jobs_repo.heartbeat(s, row.job_id)

    def step_done(self, step_id: int, request_id: int, name: str, out: dict[str, Any]) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.DONE
            row.outputs = out
            row.server = out.get("host") if isinstance(out.get("host"), str) else row.server
            row.finished_at = utcnow()
            req = requests_repo.get_request(s, request_id)
            # The request's commit is the one on production (a deploy job's dev commit
            # is not); a provisioning job reaches site_prod with its dev commit.
            if out.get("commit") and name in ("site_prod", "rollback_prod"):
                req.commit_sha = out["commit"]
            audit_repo.record_event(
                s,
                actor=self.worker_id,
                action=f"step:{name}:done",
                request_id=request_id,
                job_id=row.job_id,
            )

    def step_failed(
        self,
        job_id: int,
        step_id: int,
        request_id: int,
        name: str,
        exc: ProvisionerError,
    ) -> str:
        """Record a failed step (and the request failed); the job's error text is returned,
        the job itself is finished by the runner once the steps still in flight beside this
        one are done and recorded. The first step to fail in a run names the request's
        failure."""
        server = getattr(exc, "server", None) or "provisioner"
        reason = getattr(exc, "reason", None) or exc.message
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            first = not any(
                other.status == StepStatus.FAILED for other in row.job.steps if other is not row
            )
            row.status = StepStatus.FAILED
            row.server = server
            row.error = reason
            row.finished_at = utcnow()
            # Hook: a step that took earlier steps' effects back (production rolled back after
            # its checks failed) names them, so a retry redoes them instead of skipping them.
            for other in row.job.steps:
                if other.name in getattr(exc, "undone_steps", ()):
                    other.status = StepStatus.UNDONE
            req = requests_repo.get_request(s, request_id)
            restored = getattr(exc, "restored_commit", None)
            if restored is not None:  # production was put back: say what it serves now
                req.commit_sha = restored or None
            if tracks_request(row.job.kind):
                self.set_request_state(s, req, RequestState.FAILED)
                if first:
                    req.failure_step, req.failure_server = name, server
                    req.failure_reason = reason
            audit_repo.record_event(
                s,
                actor=self.worker_id,
                action=f"step:{name}:failed",
                request_id=request_id,
                job_id=job_id,
                detail={"server": server, "reason": reason},
            )
        return f"{name} @ {server}: {reason}"

    def finish(self, job_id: int, state: JobState, error: str | None) -> JobState:
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            job.state = state
            job.error = error
            job.finished_at = utcnow()
            locks_repo.release_locks(s, job_id)
            target = final_state(job.kind)
            if state == JobState.DONE and target is not None:
                req = job.request
                self.set_request_state(s, req, target)
                req.failure_step = req.failure_server = req.failure_reason = None
            audit_repo.record_event(
                s,
                actor=self.worker_id,
                action=f"job:{state}",
                request_id=job.request_id,
                job_id=job_id,
                detail={"error": error},
            )
        return state

    def undo_failed(
        self, job_id: int, step_id: int, request_id: int, name: str, exc: ProvisionerError
    ) -> JobState:
        server = getattr(exc, "server", None) or "provisioner"
        reason = getattr(exc, "reason", None) or exc.message
        error = f"undo {name} @ {server}: {reason}"
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.server, row.error = server, f"undo: {reason}"  # still marked undoing
            req = requests_repo.get_request(s, request_id)
            self.set_request_state(s, req, RequestState.FAILED)
            req.failure_step, req.failure_server = name, server
            req.failure_reason = f"undo: {reason}"
            audit_repo.record_event(s, actor=self.worker_id, action=f"step:{name}:undo_failed",
                              request_id=request_id, job_id=job_id,
                              detail={"server": server, "reason": reason})
        return self.finish(job_id, JobState.FAILED, error)

    def finish_undo(self, job_id: int) -> JobState:
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            req = job.request
            left = [f"{r.rtype} {r.name}" for r in dns_repo.records_of_request(s, req.id)]
            if left:
                # The DNS undo keeps a record someone else changed (it is reported, never
                # overwritten): the name stays held until that is sorted out.
                reason = (
                    f"undo: rekaman DNS masih ada: {', '.join(left)} / "
                    f"DNS records still stand: {', '.join(left)}"
                )
                for st in job.steps:
                    if st.name == "dns" and st.status == StepStatus.UNDONE:
                        st.status, st.error = StepStatus.UNDOING, reason
                self.set_request_state(s, req, RequestState.FAILED)
                req.failure_step, req.failure_server, req.failure_reason = "dns", None, reason
                job_state, error = JobState.FAILED, reason
            else:
                requests_repo.release_name(s, req.id)
                self.set_request_state(s, req, RequestState.UNDONE)
                job_state, error = JobState.UNDONE, None
            job.state, job.error, job.finished_at = job_state, error, utcnow()
            locks_repo.release_locks(s, job_id)
            audit_repo.record_event(s, actor=self.worker_id, action=f"job:{job_state}",
                              request_id=req.id, job_id=job_id, detail={"error": error})
        return job_state
