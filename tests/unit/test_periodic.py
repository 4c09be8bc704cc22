"""The scheduler only enqueues named periodic work; the inline periodic worker runs it on
its own thread, once per name while waiting, and a failing piece never stops the others."""

from __future__ import annotations

import threading
from pathlib import Path

from provisioner.jobs.periodic import SCHEDULE, InlinePeriodic
from provisioner.jobs.scheduler import build_scheduler
from provisioner.store.db import Store, migrate


def test_the_scheduler_enqueues_every_named_piece_and_runs_nothing_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate(url)
    store = Store(url)
    asked: list[str] = []
    scheduler = build_scheduler(store, asked.append, worker_id="node-a", lease_seconds=30)
    scheduler.start(paused=True)  # triggers registered, none fires during the test
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"leader-lease", *SCHEDULE}
        for name in SCHEDULE:
            jobs[name].func(*jobs[name].args)  # what the trigger does when it fires
        assert asked == list(SCHEDULE)
    finally:
        scheduler.shutdown(wait=False)
        store.dispose()


def test_inline_periodic_runs_each_name_once_while_waiting_and_survives_a_failure() -> None:
    gate = threading.Event()
    ran: list[str] = []
    done = threading.Event()

    def slow() -> None:
        gate.wait(10)
        ran.append("slow")

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("name server away")

    def last() -> None:
        ran.append("last")
        done.set()

    runner = InlinePeriodic({"slow": slow, "broken": broken, "last": last})
    runner.enqueue("slow")  # starts running and blocks on the gate
    for _ in range(3):
        runner.enqueue("broken")  # waiting: queued once
    runner.enqueue("last")
    gate.set()
    assert done.wait(10)
    runner.stop()
    assert ran == ["slow", "broken", "last"]
