"""How a queued job — or a piece of periodic work — reaches a worker. The embedded default
wakes the in-process worker; a cluster defers a procrastinate task
(provisioner.workflow.dispatch_procrastinate)."""

from __future__ import annotations

from typing import Protocol

from provisioner.config import Settings
from provisioner.jobs.periodic import InlinePeriodic, PeriodicWork
from provisioner.jobs.worker import Worker
from provisioner.store.db import Store

DISPATCH_MODES = ("inline", "procrastinate")


class Dispatcher(Protocol):
    def queued(self, job_id: int) -> None:
        """A job was queued (approved or retried): make sure a worker will run it."""
        ...

    def periodic(self, name: str) -> None:
        """The scheduler's trigger for periodic work `name`: have a worker run it once."""
        ...

    def close(self) -> None:
        """Stop what this process runs for the dispatcher (inline periodic work)."""
        ...


class InlineDispatcher:
    """SQLite + the in-process worker: the job row is the queue; waking saves a poll."""

    def __init__(self, worker: Worker, work: PeriodicWork) -> None:
        self.worker = worker
        self.periodic_runner = InlinePeriodic(work)

    def queued(self, job_id: int) -> None:
        self.worker.wake()

    def periodic(self, name: str) -> None:
        self.periodic_runner.enqueue(name)

    def close(self) -> None:
        self.periodic_runner.stop()


def build_dispatcher(
    settings: Settings, worker: Worker, store: Store, work: PeriodicWork
) -> Dispatcher:
    """The dispatcher the settings ask for (`dispatch = "inline" | "procrastinate"`)."""
    if settings.dispatch == "procrastinate":
        from provisioner.jobs.dispatch_procrastinate import ProcrastinateDispatcher

        return ProcrastinateDispatcher(settings, store)
    if settings.dispatch != "inline":
        raise ValueError(f"dispatch must be one of {DISPATCH_MODES}, not {settings.dispatch!r}")
    return InlineDispatcher(worker, work)
