"""How a queued job reaches a worker. The embedded default wakes the in-process worker;
a cluster defers a procrastinate task (provisioner.workflow.dispatch_procrastinate)."""

from __future__ import annotations

from typing import Protocol

from provisioner.config import Settings
from provisioner.store.db import Store
from provisioner.workflow.worker import Worker

DISPATCH_MODES = ("inline", "procrastinate")


class Dispatcher(Protocol):
    def queued(self, job_id: int) -> None:
        """A job was queued (approved or retried): make sure a worker will run it."""
        ...


class InlineDispatcher:
    """SQLite + the in-process worker: the job row is the queue; waking saves a poll."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def queued(self, job_id: int) -> None:
        self.worker.wake()


def build_dispatcher(settings: Settings, worker: Worker, store: Store) -> Dispatcher:
    """The dispatcher the settings ask for (`dispatch = "inline" | "procrastinate"`)."""
    if settings.dispatch == "procrastinate":
        from provisioner.workflow.dispatch_procrastinate import ProcrastinateDispatcher

        return ProcrastinateDispatcher(settings, store)
    if settings.dispatch != "inline":
        raise ValueError(f"dispatch must be one of {DISPATCH_MODES}, not {settings.dispatch!r}")
    return InlineDispatcher(worker)
