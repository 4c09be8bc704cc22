"""The durable job runner: a journal of steps in the store.

Every transition is committed before the next action, so a process that dies anywhere
leaves a journal that says exactly where it stopped. On resume a finished step is never
run again; a step that was running is first verified (its effect may already be there)
and then completed or redone — every step is idempotent.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from provisioner.config import Settings
from provisioner.domain.errors import ProvisionerError, StepFailed
from provisioner.domain.jobs import FINAL_STATE, JobState, StepStatus, step_spec
from provisioner.domain.states import RequestState, ensure_transition
from provisioner.steps.base import SiteSpec, Step, StepContext
from provisioner.store import repositories as repo
from provisioner.store.db import Store
from provisioner.store.models import JobStep, Request, utcnow
from provisioner.store.secrets import SecretBox

log = logging.getLogger(__name__)


def site_spec(req: Request, settings: Settings, box: SecretBox) -> SiteSpec:
    return SiteSpec(
        request_id=req.id,
        ticket=req.ticket,
        label=req.label,
        zone=req.zone,
        fqdn=req.fqdn,
        dev_fqdn=settings.dev_fqdn(req.label),
        agency=req.agency,
        contact_name=req.contact_name,
        letter_number=req.letter_number,
        letter_date=req.letter_date,
        hosting=req.hosting,
        repo_url=req.repo_url,
        branch=req.branch,
        target_address=req.target_address,
        db_name=req.db_name,
        db_user=req.db_user,
        db_password=box.decrypt(req.db_password_enc) if req.db_password_enc else None,
        plan=req.plan or {},
        plan_checksum=req.plan_checksum,
    )


class JobRunner:
    def __init__(
        self,
        store: Store,
        steps: Mapping[str, Step],
        settings: Settings,
        *,
        worker_id: str,
    ) -> None:
        self.store = store
        self.steps = steps
        self.settings = settings
        self.box = SecretBox(settings.secret_key)
        self.worker_id = worker_id

    # --- journal writes (each its own transaction) ----------------------------------

    def _append_log(self, step_id: int, text: str) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.log = (row.log or "") + text.rstrip("\n") + "\n"
            repo.heartbeat(s, row.job_id)

    def _set_request_state(self, s: Any, req: Request, target: RequestState) -> None:
        current = RequestState(req.state)
        if current != target:
            ensure_transition(current, target)
            req.state = target
            if target == RequestState.LIVE and req.live_at is None:
                req.live_at = utcnow()
            repo.record_event(s, actor="provisioner", action=f"state:{target}", request_id=req.id)

    def _cancel_probe(self, job_id: int) -> Callable[[], bool]:
        # ansible-runner polls this many times a second: ask the store at most twice a second.
        last = {"at": 0.0, "value": False}

        def cancelled() -> bool:
            now = time.monotonic()
            if now - last["at"] > 0.5:
                with self.store.read() as s:
                    last["value"] = bool(repo.get_job(s, job_id).cancel_requested)
                last["at"] = now
            return last["value"]

        return cancelled

    # --- the run --------------------------------------------------------------------

    def run(self, job_id: int) -> JobState:
        """Run a job this worker has claimed, from wherever its journal says it stopped."""
        with self.store.session() as s:
            job = repo.get_job(s, job_id)
            if not repo.acquire_lock(s, job.lock_key, job.id):
                holder = repo.lock_holder(s, job.lock_key)
                job.state = JobState.QUEUED
                job.claimed_by = None
                job.error = f"menunggu pekerjaan {holder} / waiting for job {holder}"
                return JobState.QUEUED
            job.error = None
            site = site_spec(job.request, self.settings, self.box)
            plan = [(st.id, st.name, StepStatus(st.status), st.outputs or {}) for st in job.steps]
            repo.record_event(
                s, actor=self.worker_id, action="job:run", job_id=job.id, request_id=job.request_id
            )

        outputs: dict[str, dict[str, Any]] = {
            name: out for _, name, status, out in plan if status == StepStatus.DONE
        }
        cancelled = self._cancel_probe(job_id)
        for step_id, name, status, _ in plan:
            if status == StepStatus.DONE:
                continue
            if cancelled():
                return self._finish(job_id, JobState.CANCELLED, None)
            impl = self.steps[name]
            ctx = StepContext(
                job_id=job_id,
                step=name,
                site=site,
                outputs=outputs,
                run_dir=self.settings.runs_dir / f"job-{job_id}" / name,
                log=lambda text, sid=step_id: self._append_log(sid, text),
                cancelled=cancelled,
            )
            try:
                if status == StepStatus.RUNNING:
                    found = impl.verify(ctx)
                    if found is not None:
                        ctx.log(f"{name}: already in place after a restart, not redone")
                        self._step_done(step_id, site.request_id, name, found)
                        outputs[name] = found
                        continue
                self._step_started(step_id, site.request_id, name, ctx.run_dir)
                result = impl.apply(ctx)
            except ProvisionerError as exc:
                return self._step_failed(job_id, step_id, site.request_id, name, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must still fail the job visibly
                log.exception("step %s of job %s crashed", name, job_id)
                ctx.log(traceback.format_exc())
                failure = StepFailed(name, "provisioner", f"{type(exc).__name__}: {exc}")
                return self._step_failed(job_id, step_id, site.request_id, name, failure)
            self._step_done(step_id, site.request_id, name, result)
            outputs[name] = result
        return self._finish(job_id, JobState.DONE, None)

    def _step_started(self, step_id: int, request_id: int, name: str, run_dir: Path) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.RUNNING
            row.started_at = utcnow()
            row.finished_at = None
            row.error = None
            row.attempts += 1
            row.run_dir = str(run_dir)
            self._set_request_state(
                s, repo.get_request(s, request_id), step_spec(name).request_state
            )
            repo.heartbeat(s, row.job_id)

    def _step_done(self, step_id: int, request_id: int, name: str, out: dict[str, Any]) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.DONE
            row.outputs = out
            row.server = out.get("host") if isinstance(out.get("host"), str) else row.server
            row.finished_at = utcnow()
            req = repo.get_request(s, request_id)
            if out.get("commit"):
                req.commit_sha = out["commit"]
            repo.record_event(
                s,
                actor=self.worker_id,
                action=f"step:{name}:done",
                request_id=request_id,
                job_id=row.job_id,
            )

    def _step_failed(
        self, job_id: int, step_id: int, request_id: int, name: str, exc: ProvisionerError
    ) -> JobState:
        server = getattr(exc, "server", None) or "provisioner"
        reason = getattr(exc, "reason", None) or exc.message
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.FAILED
            row.server = server
            row.error = reason
            row.finished_at = utcnow()
            req = repo.get_request(s, request_id)
            self._set_request_state(s, req, RequestState.FAILED)
            req.failure_step, req.failure_server, req.failure_reason = name, server, reason
            repo.record_event(
                s,
                actor=self.worker_id,
                action=f"step:{name}:failed",
                request_id=request_id,
                job_id=job_id,
                detail={"server": server, "reason": reason},
            )
        return self._finish(job_id, JobState.FAILED, f"{name} @ {server}: {reason}")

    def _finish(self, job_id: int, state: JobState, error: str | None) -> JobState:
        with self.store.session() as s:
            job = repo.get_job(s, job_id)
            job.state = state
            job.error = error
            job.finished_at = utcnow()
            repo.release_locks(s, job_id)
            if state == JobState.DONE:
                req = job.request
                self._set_request_state(s, req, FINAL_STATE)
                req.failure_step = req.failure_server = req.failure_reason = None
            repo.record_event(
                s,
                actor=self.worker_id,
                action=f"job:{state}",
                request_id=job.request_id,
                job_id=job_id,
                detail={"error": error},
            )
        return state

    def undo(self, job_id: int) -> None:
        """Take a job's changes back, step by step in reverse order (rollback / retire)."""
        with self.store.session() as s:
            job = repo.get_job(s, job_id)
            site = site_spec(job.request, self.settings, self.box)
            done = [(st.id, st.name, st.outputs or {}) for st in job.steps
                    if st.status in (StepStatus.DONE, StepStatus.FAILED)]
        outputs = {name: out for _, name, out in done}
        for step_id, name, _ in reversed(done):
            ctx = StepContext(
                job_id=job_id, step=name, site=site, outputs=outputs,
                run_dir=self.settings.runs_dir / f"job-{job_id}" / name,
                log=lambda text, sid=step_id: self._append_log(sid, text),
            )
            self.steps[name].undo(ctx)
            with self.store.session() as s:
                row = s.get(JobStep, step_id)
                assert row is not None
                row.status = StepStatus.UNDONE
                repo.record_event(s, actor=self.worker_id, action=f"step:{name}:undone",
                                  request_id=site.request_id, job_id=job_id)
