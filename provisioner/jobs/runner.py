"""The durable job runner: a journal of steps in the store.

Every transition is committed before the next action, so a process that dies anywhere
leaves a journal that says exactly where it stopped. On resume a finished step is never
run again; a step that was running is first verified (its effect may already be there)
and then completed or redone — every step is idempotent.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from provisioner.config import Settings
from provisioner.domain.errors import ProvisionerError, ServerUnreachable, StepFailed
from provisioner.domain.jobs import (
    JobState,
    StepStatus,
    final_state,
    step_spec,
    tracks_request,
)
from provisioner.domain.states import RequestState, ensure_transition
from provisioner.ops.logs import job_id_var
from provisioner.ops.metrics import observe_step
from provisioner.steps.base import SiteSpec, Step, StepContext
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.jobs import JobStep
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    audit as audit_repo,
)
from provisioner.store.repositories import (
    dns as dns_repo,
)
from provisioner.store.repositories import (
    jobs as jobs_repo,
)
from provisioner.store.repositories import (
    locks as locks_repo,
)
from provisioner.store.repositories import (
    requests as requests_repo,
)
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


def job_lock_keys(site: SiteSpec, site_key: str) -> list[str]:
    """Everything a provisioning job owns while it runs: the site, each DNS name it writes
    and its database, so two jobs never touch one name or one database at once."""
    keys = [site_key, f"dns:{site.fqdn}"]
    if site.hosting:
        keys.append(f"dns:{site.dev_fqdn}")
    if site.db_name:
        keys.append(f"db:{site.db_name}")
    return keys


class _LockBusy(Exception):
    def __init__(self, key: str, holder: int) -> None:
        super().__init__(key)
        self.key, self.holder = key, holder


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
        # Told (request id, new state) after the commit that moved a request, e.g. live or
        # letter issued; the composition root connects the notifications here.
        self.on_request_state: Callable[[int, RequestState], None] = lambda _rid, _st: None

    # --- journal writes (each its own transaction) ----------------------------------

    def _append_log(self, step_id: int, text: str) -> None:
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.log = (row.log or "") + text.rstrip("\n") + "\n"
            jobs_repo.heartbeat(s, row.job_id)

    def _set_request_state(self, s: Any, req: Request, target: RequestState) -> None:
        current = RequestState(req.state)
        if current != target:
            ensure_transition(current, target)
            req.state = target
            if target == RequestState.LIVE and req.live_at is None:
                req.live_at = utcnow()
            audit_repo.record_event(s, actor="provisioner", action=f"state:{target}",
                                    request_id=req.id)
            rid = req.id
            event.listen(s, "after_commit", lambda _s: self._announce(rid, target), once=True)

    def _announce(self, request_id: int, state: RequestState) -> None:
        try:
            self.on_request_state(request_id, state)
        except Exception:  # noqa: BLE001 - a listener's failure must never fail the job
            log.exception("announcing request %s as %s failed", request_id, state)

    def _cancel_probe(self, job_id: int) -> Callable[[], bool]:
        # ansible-runner polls this many times a second: ask the store at most twice a second.
        last: dict[str, float | bool] = {"at": 0.0, "value": False}

        def cancelled() -> bool:
            now = time.monotonic()
            if now - float(last["at"]) > 0.5:
                with self.store.read() as s:
                    last["value"] = bool(jobs_repo.get_job(s, job_id).cancel_requested)
                last["at"] = now
            return bool(last["value"])

        return cancelled

    @contextmanager
    def _heartbeat(self, job_id: int) -> Iterator[None]:
        """Beat while the job runs, so a long step (a slow playbook) is never taken for a
        dead worker's orphan; a SIGKILL stops the beat and the job becomes stale."""
        stop = threading.Event()
        interval = self.settings.job_heartbeat_seconds

        def beat() -> None:
            while not stop.wait(interval):
                try:
                    with self.store.session() as s:
                        jobs_repo.heartbeat(s, job_id)
                except Exception:  # noqa: BLE001 - a missed beat is retried next interval
                    log.warning("heartbeat of job %s failed", job_id, exc_info=True)

        thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(5)

    # --- the run --------------------------------------------------------------------

    def run(self, job_id: int) -> JobState:
        """Run a job this worker has claimed, from wherever its journal says it stopped."""
        token = job_id_var.set(job_id)
        try:
            with self._heartbeat(job_id):
                return self._run(job_id)
        finally:
            job_id_var.reset(token)

    def _take_locks(self, job_id: int) -> tuple[str, int] | None:
        try:
            with self.store.session() as s:
                job = jobs_repo.get_job(s, job_id)
                site = site_spec(job.request, self.settings, self.box)
                conflict = locks_repo.acquire_locks(s, job_lock_keys(site, job.lock_key), job.id)
                if conflict is not None:
                    raise _LockBusy(*conflict)  # roll back: take all keys or none
        except _LockBusy as busy:
            return busy.key, busy.holder
        except IntegrityError:
            return "(race)", 0
        return None

    def _run(self, job_id: int) -> JobState:
        conflict = self._take_locks(job_id)
        if conflict is not None:
            key, holder = conflict
            with self.store.session() as s:
                job = jobs_repo.get_job(s, job_id)
                job.state = JobState.QUEUED
                job.claimed_by = None
                job.error = (
                    f"menunggu pekerjaan {holder} ({key}) / waiting for job {holder} ({key})"
                )
            return JobState.QUEUED
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            job.error = None
            site = site_spec(job.request, self.settings, self.box)
            plan = [(st.id, st.name, StepStatus(st.status), st.outputs or {}) for st in job.steps]
            audit_repo.record_event(
                s, actor=self.worker_id, action="job:run", job_id=job.id, request_id=job.request_id
            )

        if any(status == StepStatus.UNDOING for _, _, status, _ in plan):
            return self._run_undo(job_id, site, plan)
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
                log=functools.partial(self._append_log, step_id),
                cancelled=cancelled,
            )
            started = time.monotonic()
            try:
                if status == StepStatus.RUNNING:
                    found = impl.verify(ctx)
                    if found is not None:
                        ctx.log(f"{name}: already in place after a restart, not redone")
                        self._step_done(step_id, site.request_id, name, found)
                        observe_step(name, "verified", time.monotonic() - started)
                        outputs[name] = found
                        continue
                self._step_started(step_id, site.request_id, name, ctx.run_dir)
                result = self._apply_with_backoff(impl, ctx)
            except ProvisionerError as exc:
                observe_step(name, "failed", time.monotonic() - started)
                # A playbook stopped by the cancel callback ends the job as cancelled; the
                # step stays failed so a retry resumes (and re-converges) right there.
                final = JobState.CANCELLED if cancelled() else JobState.FAILED
                return self._step_failed(job_id, step_id, site.request_id, name, exc, final)
            except Exception as exc:  # noqa: BLE001 - a bug must still fail the job visibly
                log.exception("step %s of job %s crashed", name, job_id)
                ctx.log(traceback.format_exc())
                failure = StepFailed(name, "provisioner", f"{type(exc).__name__}: {exc}")
                return self._step_failed(job_id, step_id, site.request_id, name, failure)
            observe_step(name, "done", time.monotonic() - started)
            self._step_done(step_id, site.request_id, name, result)
            outputs[name] = result
        return self._finish(job_id, JobState.DONE, None)

    def _apply_with_backoff(self, impl: Step, ctx: StepContext) -> dict[str, Any]:
        """Apply a step; while its server is unreachable wait and try again with a doubling
        back-off, then give up with the server and the reason (the job fails, a retry later
        resumes here). Only unreachability is retried: a refused change fails at once."""
        delay = self.settings.step_retry_backoff
        for attempt in range(self.settings.step_retries + 1):
            try:
                return impl.apply(ctx)
            except ServerUnreachable as exc:
                if attempt >= self.settings.step_retries or ctx.cancelled():
                    raise
                ctx.log(
                    f"{ctx.step}: {exc.server} tidak terjangkau, coba lagi dalam {delay:g} dtk / "
                    f"{exc.server} unreachable ({exc.reason}), retrying in {delay:g}s"
                )
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

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
            if tracks_request(row.job.kind):
                self._set_request_state(
                    s, requests_repo.get_request(s, request_id), step_spec(name).request_state
                )
            jobs_repo.heartbeat(s, row.job_id)

    def _step_done(self, step_id: int, request_id: int, name: str, out: dict[str, Any]) -> None:
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

    def _step_failed(
        self,
        job_id: int,
        step_id: int,
        request_id: int,
        name: str,
        exc: ProvisionerError,
        final: JobState = JobState.FAILED,
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
                self._set_request_state(s, req, RequestState.FAILED)
                req.failure_step, req.failure_server, req.failure_reason = name, server, reason
            audit_repo.record_event(
                s,
                actor=self.worker_id,
                action=f"step:{name}:failed",
                request_id=request_id,
                job_id=job_id,
                detail={"server": server, "reason": reason},
            )
        return self._finish(job_id, final, f"{name} @ {server}: {reason}")

    def _finish(self, job_id: int, state: JobState, error: str | None) -> JobState:
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            job.state = state
            job.error = error
            job.finished_at = utcnow()
            locks_repo.release_locks(s, job_id)
            target = final_state(job.kind)
            if state == JobState.DONE and target is not None:
                req = job.request
                self._set_request_state(s, req, target)
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

    def undo(self, job_id: int) -> None:
        """Take a job's changes back, step by step in reverse order, here and now (tests'
        clean-up, rollback, retire). An operator's undo of a failed job goes through the
        worker instead: JobUndoService marks the steps, `run` takes them back."""
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            site = site_spec(job.request, self.settings, self.box)
            done = [(st.id, st.name, st.outputs or {}) for st in job.steps
                    if st.status in (StepStatus.DONE, StepStatus.FAILED, StepStatus.UNDOING)]
        outputs = {name: out for _, name, out in done}
        for step_id, name, _ in reversed(done):
            self._undo_step(job_id, step_id, site, name, outputs)

    def _undo_step(
        self,
        job_id: int,
        step_id: int,
        site: SiteSpec,
        name: str,
        outputs: dict[str, dict[str, Any]],
    ) -> None:
        ctx = StepContext(
            job_id=job_id, step=name, site=site, outputs=outputs,
            run_dir=self.settings.runs_dir / f"job-{job_id}" / name,
            log=functools.partial(self._append_log, step_id),
        )
        self.steps[name].undo(ctx)
        with self.store.session() as s:
            row = s.get(JobStep, step_id)
            assert row is not None
            row.status = StepStatus.UNDONE
            row.error = None
            audit_repo.record_event(s, actor=self.worker_id, action=f"step:{name}:undone",
                              request_id=site.request_id, job_id=job_id)

    # --- undo of a failed job, on the worker ------------------------------------------

    def _run_undo(
        self,
        job_id: int,
        site: SiteSpec,
        plan: list[tuple[int, str, StepStatus, dict[str, Any]]],
    ) -> JobState:
        """Take back the steps marked undoing, newest first; each is undone once its undo
        returned. When the DNS records are gone too, the job is undone, the request
        says so and its name is free again. A failure leaves the rest marked, so asking
        again (undo or retry) carries on where it stopped."""
        outputs = {
            name: out for _, name, status, out in plan
            if status in (StepStatus.DONE, StepStatus.UNDOING)
        }  # fmt: skip
        for step_id, name, status, _ in reversed(plan):
            if status != StepStatus.UNDOING:
                continue
            try:
                self._undo_step(job_id, step_id, site, name, outputs)
            except ProvisionerError as exc:
                return self._undo_failed(job_id, step_id, site.request_id, name, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must still fail the undo visibly
                log.exception("undo of step %s of job %s crashed", name, job_id)
                self._append_log(step_id, traceback.format_exc())
                failure = StepFailed(name, "provisioner", f"{type(exc).__name__}: {exc}")
                return self._undo_failed(job_id, step_id, site.request_id, name, failure)
        return self._finish_undo(job_id)

    def _undo_failed(
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
            self._set_request_state(s, req, RequestState.FAILED)
            req.failure_step, req.failure_server = name, server
            req.failure_reason = f"undo: {reason}"
            audit_repo.record_event(s, actor=self.worker_id, action=f"step:{name}:undo_failed",
                              request_id=request_id, job_id=job_id,
                              detail={"server": server, "reason": reason})
        return self._finish(job_id, JobState.FAILED, error)

    def _finish_undo(self, job_id: int) -> JobState:
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
                self._set_request_state(s, req, RequestState.FAILED)
                req.failure_step, req.failure_server, req.failure_reason = "dns", None, reason
                job_state, error = JobState.FAILED, reason
            else:
                requests_repo.release_name(s, req.id)
                self._set_request_state(s, req, RequestState.UNDONE)
                job_state, error = JobState.UNDONE, None
            job.state, job.error, job.finished_at = job_state, error, utcnow()
            locks_repo.release_locks(s, job_id)
            audit_repo.record_event(s, actor=self.worker_id, action=f"job:{job_state}",
                              request_id=req.id, job_id=job_id, detail={"error": error})
        return job_state
