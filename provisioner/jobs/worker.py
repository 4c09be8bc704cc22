"""The in-process worker of the embedded default: threads that claim queued jobs.

The worker id is stable across restarts of the same node, so on start-up the jobs it
was running when the process died are taken back and resumed from their journal.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from provisioner.domain.jobs import JobState
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store
from provisioner.store.repositories import jobs as jobs_repo

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        store: Store,
        runner: JobRunner,
        *,
        threads: int = 2,
        poll_seconds: float = 0.5,
        stale_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.store = store
        self.runner = runner
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pool: list[threading.Thread] = []

    def resume_orphans(self) -> list[int]:
        with self.store.session() as s:
            ids = jobs_repo.requeue_orphans(
                s, worker=self.runner.worker_id, stale_after=self.stale_after
            )
        if ids:
            log.info("resuming jobs %s left running by a previous process", ids)
        return ids

    def run_once(self) -> int | None:
        """Claim and run one queued job; None when there was nothing to do."""
        with self.store.read() as s:
            candidates = jobs_repo.queued_job_ids(s)
        for job_id in candidates:
            with self.store.session() as s:
                if not jobs_repo.claim_job(s, job_id, self.runner.worker_id):
                    continue
            if self.runner.run(job_id) == JobState.QUEUED:
                return None  # waiting for another job's lock: back off until the next poll
            return job_id
        return None

    def wake(self) -> None:
        """Called after a job is queued, so it starts without waiting for the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # noqa: BLE001 - keep the worker alive; the job records the error
                log.exception("worker loop error")
                ran = None
            if ran is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def start(self) -> None:
        """Resume this node's orphans and start the threads; with `threads=0` (jobs are
        dispatched elsewhere, e.g. procrastinate) the worker stays idle."""
        if self.threads <= 0:
            return
        self.runner.warm_up()
        self.resume_orphans()
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, name=f"worker-{i}", daemon=True)
            t.start()
            self._pool.append(t)

    def alive(self) -> bool:
        """True while every worker thread runs (readiness); an idle worker (threads=0) is
        not this process's job, so it counts as alive."""
        if self.threads <= 0:
            return True
        return bool(self._pool) and all(t.is_alive() for t in self._pool)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._pool:
            t.join(timeout)
