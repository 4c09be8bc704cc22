"""One run of a job's steps as a graph: every step whose needs are done starts, at most
`limit` at a time, each in its own thread; the runner's `run_step` records each step in the
journal (its own transaction) before it returns.

A job always may run one step; every step beside it borrows a token from the worker's
`StepBudget`, shared by all the jobs a worker runs at once: a job alone gets its branches
side by side, twenty jobs at once do not run three playbooks each on the same cores. A
token is only taken to start a step and a step only waits for a sibling already started,
so no job can wait on another's tokens.

When a step fails (or the job is cancelled) nothing new starts, the steps already in
flight finish and are recorded, and only then does the run end, with the first failure's
state and error: the job is finished by the caller after every branch has stopped.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from provisioner.domain.errors import StepFailed
from provisioner.domain.job_graph import Needs, ready_steps
from provisioner.domain.jobs import JobState, StepStatus


@dataclass(frozen=True)
class Entry:
    """A journal row as a run sees it when it starts."""

    step_id: int
    name: str
    status: StepStatus
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What running one step came to: its outputs, or the state it ends the job in (failed,
    or cancelled when the cancel stopped it) with the job's error text."""

    outputs: dict[str, Any] | None = None
    final: JobState | None = None
    error: str | None = None


RunStep = Callable[[Entry, dict[str, dict[str, Any]]], Outcome]


class StepBudget:
    """The steps a worker's jobs may run beside each job's first one, all jobs together."""

    def __init__(self, extra: int) -> None:
        self._tokens = threading.BoundedSemaphore(extra) if extra > 0 else None

    def take(self) -> bool:
        """A token if one is free now (never waits)."""
        return self._tokens is not None and self._tokens.acquire(blocking=False)

    def give(self) -> None:
        assert self._tokens is not None
        self._tokens.release()


class GraphRun:
    def __init__(
        self,
        entries: Sequence[Entry],
        needs: Needs,
        *,
        limit: int,
        cancelled: Callable[[], bool],
        name: str = "job",
        budget: StepBudget | None = None,
    ) -> None:
        self.entries = {e.name: e for e in entries}
        self.order = [e.name for e in entries]
        self.needs = needs
        self.limit = max(1, limit)
        # Without a shared budget the job has its own: `limit` steps at once.
        self.budget = budget or StepBudget(self.limit - 1)
        self.borrowed: set[str] = set()  # steps in flight that hold a token of the budget
        self.cancelled = cancelled
        self.name = name
        self.statuses: dict[str, StepStatus] = {e.name: e.status for e in entries}
        self.outputs = {e.name: e.outputs for e in entries if e.status == StepStatus.DONE}
        self.started: set[str] = set()
        self.finished = {name: threading.Event() for name in self.order}
        for name, status in self.statuses.items():
            if status == StepStatus.DONE:
                self.finished[name].set()
        self.stop: JobState | None = None
        self.error: str | None = None

    def run(self, run_step: RunStep) -> tuple[JobState, str | None]:
        """Run every step that is not done yet; the job's final state and error."""
        running: dict[Future[Outcome], str] = {}
        with ThreadPoolExecutor(self.limit, thread_name_prefix=f"{self.name}-step") as pool:
            while True:
                if self.stop is None and self.cancelled():
                    self.stop = JobState.CANCELLED
                if self.stop is None:
                    self._submit_ready(pool, running, run_step)
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    self._record(running.pop(future), future.result())
        return self._final()

    def _submit_ready(
        self, pool: ThreadPoolExecutor, running: dict[Future[Outcome], str], run_step: RunStep
    ) -> None:
        free = self.limit - len(running)
        for name in ready_steps(self.order, self.needs, self.statuses, self.started)[:free]:
            if running:  # beside a step of its own, a step needs a token of the budget
                if not self.budget.take():
                    break  # tried again when one of this job's steps ends
                self.borrowed.add(name)
            self.started.add(name)
            # A snapshot: every step it needs is in it; steps in flight add to the run's own.
            # The caller's context goes along (the job id its log lines carry).
            future = pool.submit(contextvars.copy_context().run, run_step, self.entries[name],
                                 dict(self.outputs))
            running[future] = name

    def _record(self, name: str, outcome: Outcome) -> None:
        if name in self.borrowed:
            self.borrowed.discard(name)
            self.budget.give()
        if outcome.final is None:
            self.statuses[name] = StepStatus.DONE
            self.outputs[name] = outcome.outputs or {}
        else:
            self.statuses[name] = StepStatus.FAILED
            if self.stop is None:
                self.stop = outcome.final
            self.error = self.error or outcome.error
        self.finished[name].set()

    def _final(self) -> tuple[JobState, str | None]:
        if self.stop is not None:
            return self.stop, self.error
        left = [name for name in self.order if self.statuses[name] != StepStatus.DONE]
        if left:  # a need that can never be met (never in the specs: job_graph checks them)
            return JobState.FAILED, f"langkah tidak dapat dimulai / steps cannot start: {left}"
        return JobState.DONE, None

    def wait_for(self, waiter: str, name: str) -> dict[str, Any] | None:
        """Block `waiter` (a step in flight) until step `name` of this job is done; its
        outputs, or None when the job has no such step. Only for a step started no later
        than the waiter (a step beside it, earlier in the journal), so a wait always ends;
        raises StepFailed when that step failed or the job is stopping."""
        if name not in self.finished:
            return None
        if name not in self.started and self.statuses[name] != StepStatus.DONE:
            raise StepFailed(waiter, "provisioner", f"{name} belum dimulai / not started")
        event = self.finished[name]
        while not event.wait(0.2):
            if self.cancelled():
                raise StepFailed(waiter, "provisioner", f"menunggu {name} / waiting for {name}: "
                                 "dibatalkan / cancelled")
        if self.statuses[name] != StepStatus.DONE:
            raise StepFailed(waiter, "provisioner", f"{name} gagal / failed")
        return self.outputs.get(name)

