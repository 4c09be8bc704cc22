"""Dispatch through procrastinate (PostgreSQL): several `provisioner worker` processes on
several machines share the queue. procrastinate carries only "run job N"; the journal in
the store stays the truth about what each job did, so a task delivered twice never makes a
change twice (the take-over is a compare-and-set, a finished job is never run again).

- approving/retrying a job defers `provisioner.run_job(job_id)` with `lock` = the site's
  lock key (procrastinate never runs two jobs of one site at once) and `queueing_lock` =
  the job (a job is never queued twice);
- the scheduler's periodic work is a `provisioner.periodic(name)` task (one waiting and one
  running per name, cluster-wide), run by whichever worker takes it;
- a worker killed mid-job stops beating; another worker's recovery loop finds the stalled
  procrastinate job, puts it back, and the next worker takes the journal over once its
  heartbeat is older than `job_stale_seconds`, then resumes it step by step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import procrastinate
from procrastinate import exceptions as pexc

from provisioner.config import Settings
from provisioner.domain.jobs import JobState
from provisioner.jobs.periodic import PeriodicWork, run_periodic
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store
from provisioner.store.repositories import jobs as jobs_repo

log = logging.getLogger(__name__)

TASK_NAME = "provisioner.run_job"
PERIODIC_TASK_NAME = "provisioner.periodic"
QUEUE = "provisioner-jobs"
FINAL_JOB_STATES = {JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.UNDONE}


def libpq_url(store_url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://…` as the libpq conninfo procrastinate wants."""
    scheme, rest = store_url.split("://", 1)
    if not scheme.startswith("postgresql"):
        raise ValueError("dispatch=procrastinate needs a PostgreSQL database_url")
    return f"postgresql://{rest}"


class _Runtime:
    """What the task needs inside a worker process (set by `run_worker`)."""

    runner: JobRunner | None = None
    store: Store | None = None
    settings: Settings | None = None
    periodic: PeriodicWork | None = None


_runtime = _Runtime()


def build_app(settings: Settings, *, sync: bool = False) -> procrastinate.App:
    """The procrastinate app; `sync` for processes that only defer (the API, migrate)."""
    conninfo = libpq_url(settings.store_url)
    connector = (
        procrastinate.SyncPsycopgConnector(conninfo=conninfo)
        if sync
        else procrastinate.PsycopgConnector(conninfo=conninfo)
    )
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK_NAME, queue=QUEUE)
    def run_job(job_id: int) -> None:
        _run_job(app, job_id)

    @app.task(name=PERIODIC_TASK_NAME, queue=QUEUE)
    def periodic(name: str) -> None:
        assert _runtime.periodic is not None
        run_periodic(_runtime.periodic, name)

    return app


def _defer(app: procrastinate.App, job_id: int, lock_key: str, *, in_seconds: int = 0) -> None:
    task = app.tasks[TASK_NAME]
    options: dict[str, object] = {"lock": lock_key, "queueing_lock": f"job:{job_id}"}
    if in_seconds:
        options["schedule_in"] = {"seconds": in_seconds}
    # Already waiting in the queue (queueing_lock): one delivery is enough.
    with contextlib.suppress(pexc.AlreadyEnqueued):
        task.configure(**options).defer(job_id=job_id)  # type: ignore[arg-type]


def _run_job(app: procrastinate.App, job_id: int) -> None:
    runner, store, settings = _runtime.runner, _runtime.store, _runtime.settings
    assert runner is not None and store is not None and settings is not None
    stale = timedelta(seconds=settings.job_stale_seconds)
    with store.session() as s:
        taken = jobs_repo.take_over_job(s, job_id, runner.worker_id, stale_after=stale)
        job = jobs_repo.get_job(s, job_id)
        state, lock_key = JobState(job.state), job.lock_key
    if not taken:
        if state in FINAL_JOB_STATES:
            log.info("job %s already %s: nothing to do", job_id, state)
            return
        # Another worker still beats on it (or has not been stale long enough): look again.
        _defer(app, job_id, lock_key, in_seconds=max(1, int(settings.job_heartbeat_seconds)))
        return
    if runner.run(job_id) == JobState.QUEUED:
        _defer(app, job_id, lock_key, in_seconds=2)  # waiting for another job's lock


class ProcrastinateDispatcher:
    """Used by the API/CLI process: a queued job becomes a procrastinate task."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.app = build_app(settings, sync=True)

    def queued(self, job_id: int) -> None:
        with self.store.read() as s:
            lock_key = jobs_repo.get_job(s, job_id).lock_key
        # A connection per approval: approvals are rare, and nothing stays open to leak.
        with self.app.open():
            _defer(self.app, job_id, lock_key)

    def periodic(self, name: str) -> None:
        task = self.app.tasks[PERIODIC_TASK_NAME]
        # One waiting per name (queueing_lock) and one running per name (lock), cluster-wide.
        key = f"periodic:{name}"
        with self.app.open(), contextlib.suppress(pexc.AlreadyEnqueued):
            task.configure(lock=key, queueing_lock=key).defer(name=name)

    def close(self) -> None:
        pass


async def _recover_stalled(app: procrastinate.App, settings: Settings) -> None:
    """Put back the tasks of workers that stopped beating (SIGKILL, lost machine)."""
    while True:
        await asyncio.sleep(settings.job_heartbeat_seconds)
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=settings.job_stale_seconds, queue=QUEUE
            )
            for job in stalled:
                try:
                    await app.job_manager.retry_job(job)
                    log.warning("procrastinate job %s of a dead worker put back", job.id)
                except Exception:  # noqa: BLE001 - another worker put it back first
                    continue
        except Exception:  # noqa: BLE001 - the database may be briefly away; try again
            log.warning("stalled-job recovery failed", exc_info=True)


def run_worker(
    settings: Settings,
    store: Store,
    runner: JobRunner,
    work: PeriodicWork,
    *,
    concurrency: int | None = None,
) -> None:
    """Run one procrastinate worker in this process until SIGINT/SIGTERM: provisioning
    jobs and the periodic work the scheduler enqueues."""
    _runtime.runner, _runtime.store, _runtime.settings = runner, store, settings
    _runtime.periodic = work
    runner.warm_up()
    app = build_app(settings)

    async def main() -> None:
        async with app.open_async():
            recovery = asyncio.create_task(_recover_stalled(app, settings))
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    name=runner.worker_id,
                    concurrency=concurrency or settings.worker_concurrency,
                    update_heartbeat_interval=settings.job_heartbeat_seconds,
                    stalled_worker_timeout=settings.job_stale_seconds,
                    fetch_job_polling_interval=1.0,
                )
            finally:
                recovery.cancel()

    asyncio.run(main())


def apply_schema(settings: Settings) -> bool:
    """Install procrastinate's own schema with its own tooling, once; True if applied now."""
    import psycopg

    with psycopg.connect(libpq_url(settings.store_url)) as conn:
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    if exists and exists[0]:
        return False
    app = build_app(settings, sync=True)
    with app.open():
        app.schema_manager.apply_schema()
    return True
