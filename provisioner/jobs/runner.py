"""The durable job runner: a journal of steps in the store.

The steps of a job form a graph (provisioner.domain.job_graph): every step whose needs are
done runs, up to `job_step_concurrency` at once (jobs.graph). Every transition is committed
before the next action, so a process that dies anywhere leaves a journal that says exactly
where it stopped — with several steps running, each of them. On resume a finished step is
never run again; a step that was running is first verified (its effect may already be
there) and then completed or redone — every step is idempotent. A failure lets the steps in
flight beside it finish and be recorded before the job stops.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError

from provisioner.config import Settings
from provisioner.domain.errors import ProvisionerError, ServerUnreachable, StepFailed
from provisioner.domain.job_graph import in_undo_order, job_graph
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.domain.states import RequestState
from provisioner.jobs.graph import Entry, GraphRun, Outcome, StepBudget
from provisioner.jobs.journal import Journal
from provisioner.ops.logs import job_id_var
from provisioner.ops.metrics import observe_step
from provisioner.steps.base import SiteSpec, Step, StepContext
from provisioner.store.db import Store
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    audit as audit_repo,
    jobs as jobs_repo,
    locks as locks_repo,
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
        on_request_state: Callable[[int, RequestState], None] | None = None,
        warm_ups: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.store = store
        # What a worker loads once when it starts, not in its first job (WeasyPrint).
        self.warm_ups = tuple(warm_ups)
        self.steps = steps
        self.settings = settings
        # Steps beside each job's first one, shared by the jobs this worker runs at once.
        self.step_budget = StepBudget(settings.job_step_concurrency - 1)
        self.box = SecretBox(settings.secret_key)
        self.worker_id = worker_id
        # Told (request id, new state) after the commit that moved a request, e.g. live or
        # letter issued: the composition root passes the announcements (bootstrap.events).
        self.on_request_state: Callable[[int, RequestState], None] = (
            on_request_state or (lambda _rid, _st: None)
        )
        self.journal = Journal(
            store, worker_id, lambda rid, state: self.on_request_state(rid, state)
        )

    def warm_up(self) -> threading.Thread:
        """Run the warm-ups in a thread of their own (a worker starting calls this): its
        first job starts at once, and the letter at its end finds them loaded."""

        def warm() -> None:
            for step in self.warm_ups:
                started = time.monotonic()
                try:
                    step()
                except Exception:  # noqa: BLE001 - a warm-up is an optimisation only
                    log.warning("warm-up %r failed", step, exc_info=True)
                log.info("warm-up %s: %.2f s", getattr(step, "__name__", step),
                         time.monotonic() - started)

        thread = threading.Thread(target=warm, name="warm-up", daemon=True)
        thread.start()
        return thread

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
            return self._wait_for(job_id, *conflict)
        site, kind, plan = self._start(job_id)
        if any(entry.status == StepStatus.UNDOING for entry in plan):
            return self._run_undo(job_id, site, kind, plan)
        cancelled = self._cancel_probe(job_id)
        graph = GraphRun(
            plan,
            job_graph(kind, [entry.name for entry in plan]),
            limit=self.settings.job_step_concurrency,
            cancelled=cancelled,
            name=f"job-{job_id}",
            budget=self.step_budget,
        )
        state, error = graph.run(
            lambda entry, outputs: self._run_step(
                StepContext(
                    job_id=job_id,
                    step=entry.name,
                    site=site,
                    outputs=outputs,
                    run_dir=self.settings.runs_dir / f"job-{job_id}" / entry.name,
                    log=functools.partial(self.journal.append_log, entry.step_id),
                    cancelled=cancelled,
                    wait_for=functools.partial(graph.wait_for, entry.name),
                ),
                entry,
            )
        )
        return self.journal.finish(job_id, state, error)

    def _wait_for(self, job_id: int, key: str, holder: int) -> JobState:
        """Another job holds one of this job's keys: back to the queue, saying which."""
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            job.state = JobState.QUEUED
            job.claimed_by = None
            job.error = f"menunggu pekerjaan {holder} ({key}) / waiting for job {holder} ({key})"
        return JobState.QUEUED

    def _start(self, job_id: int) -> tuple[SiteSpec, str, list[Entry]]:
        """The job's site, its kind and its journal as it stands."""
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            job.error = None
            site = site_spec(job.request, self.settings, self.box)
            plan = [Entry(st.id, st.name, StepStatus(st.status), st.outputs or {})
                    for st in job.steps]
            audit_repo.record_event(
                s, actor=self.worker_id, action="job:run", job_id=job.id, request_id=job.request_id
            )
            kind = job.kind
        return site, kind, plan

    def _run_step(self, ctx: StepContext, entry: Entry) -> Outcome:
        """Run one step (verifying first when it was running at a crash) and record it in the
        journal; runs in a thread of its own, beside the job's other ready steps."""
        name, request_id, impl = ctx.step, ctx.site.request_id, self.steps[ctx.step]
        started = time.monotonic()
        try:
            if entry.status == StepStatus.RUNNING:
                found = impl.verify(ctx)
                if found is not None:
                    ctx.log(f"{name}: already in place after a restart, not redone")
                    self.journal.step_done(entry.step_id, request_id, name, found)
                    observe_step(name, "verified", time.monotonic() - started)
                    return Outcome(outputs=found)
            self.journal.step_started(entry.step_id, request_id, name, ctx.run_dir)
            result = self._apply_with_backoff(impl, ctx)
        except ProvisionerError as exc:
            observe_step(name, "failed", time.monotonic() - started)
            # A playbook stopped by the cancel callback ends the job as cancelled; the
            # step stays failed so a retry resumes (and re-converges) right there.
            final = JobState.CANCELLED if ctx.cancelled() else JobState.FAILED
            error = self.journal.step_failed(ctx.job_id, entry.step_id, request_id, name, exc)
            return Outcome(final=final, error=error)
        except Exception as exc:  # noqa: BLE001 - a bug must still fail the job visibly
            log.exception("step %s of job %s crashed", name, ctx.job_id)
            ctx.log(traceback.format_exc())
            failure = StepFailed(name, "provisioner", f"{type(exc).__name__}: {exc}")
            error = self.journal.step_failed(ctx.job_id, entry.step_id, request_id, name, failure)
            return Outcome(final=JobState.FAILED, error=error)
        observe_step(name, "done", time.monotonic() - started)
        self.journal.step_done(entry.step_id, request_id, name, result)
        return Outcome(outputs=result)

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

    def undo(self, job_id: int) -> None:
        """Take a job's changes back, step by step in reverse dependency order, here and now
        (tests' clean-up, rollback, retire). An operator's undo of a failed job goes through
        the worker instead: JobUndoService marks the steps, `run` takes them back."""
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            site = site_spec(job.request, self.settings, self.box)
            names = [st.name for st in job.steps]
            needs = job_graph(job.kind, names)
            done = {st.name: (st.id, st.outputs or {}) for st in job.steps
                    if st.status in (StepStatus.DONE, StepStatus.FAILED, StepStatus.UNDOING)}
        outputs = {name: out for name, (_, out) in done.items()}
        for name in in_undo_order(names, needs, done):
            self._undo_step(job_id, done[name][0], site, name, outputs)

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
            log=functools.partial(self.journal.append_log, step_id),
        )
        self.steps[name].undo(ctx)
        self.journal.step_undone(step_id, site.request_id, job_id, name)

    # --- undo of a failed job, on the worker ------------------------------------------

    def _run_undo(self, job_id: int, site: SiteSpec, kind: str, plan: list[Entry]) -> JobState:
        """Take back the steps marked undoing in reverse dependency order (newest first);
        each is undone once its undo returned. When the DNS records are gone too, the job is
        undone, the request says so and its name is free again. A failure leaves the rest
        marked, so asking again (undo or retry) carries on where it stopped."""
        outputs = {
            entry.name: entry.outputs for entry in plan
            if entry.status in (StepStatus.DONE, StepStatus.UNDOING)
        }  # fmt: skip
        ids = {entry.name: entry.step_id for entry in plan}
        needs = job_graph(kind, [entry.name for entry in plan])
        marked = [entry.name for entry in plan if entry.status == StepStatus.UNDOING]
        for name in in_undo_order(list(ids), needs, marked):
            step_id = ids[name]
            try:
                self._undo_step(job_id, step_id, site, name, outputs)
            except ProvisionerError as exc:
                return self.journal.undo_failed(job_id, step_id, site.request_id, name, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must still fail the undo visibly
                log.exception("undo of step %s of job %s crashed", name, job_id)
                self.journal.append_log(step_id, traceback.format_exc())
                failure = StepFailed(name, "provisioner", f"{type(exc).__name__}: {exc}")
                return self.journal.undo_failed(job_id, step_id, site.request_id, name, failure)
        return self.journal.finish_undo(job_id)
