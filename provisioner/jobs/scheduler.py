"""The scheduler on APScheduler: one leader per cluster (a lease in the store) whose
triggers only enqueue named periodic work (provisioner.workflow.periodic); workers run it."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from provisioner.jobs.periodic import SCHEDULE
from provisioner.store.db import Store
from provisioner.store.repositories import leases as leases_repo

log = logging.getLogger(__name__)


LEASE_NAME = "scheduler"


class LeaderElection:
    """Exactly one active scheduler among nodes sharing a store: the holder of the
    `scheduler` lease (a row with an expiry, on SQLite and PostgreSQL alike). The leader
    renews it every third of its life; a standby takes over once it expires."""

    def __init__(self, store: Store, node: str, *, lease_seconds: float = 30.0) -> None:
        self.store = store
        self.node = node
        self.lease_seconds = lease_seconds
        self._leader = threading.Event()

    def renew(self) -> bool:
        try:
            with self.store.session() as s:
                leader = leases_repo.take_lease(s, LEASE_NAME, self.node,
                                                seconds=self.lease_seconds)
        except Exception:  # noqa: BLE001 - a store we cannot reach means we are not leader
            log.warning("scheduler lease renewal failed", exc_info=True)
            leader = False
        if leader != self._leader.is_set():
            log.warning("scheduler %s is now %s", self.node, "leader" if leader else "standby")
            (self._leader.set if leader else self._leader.clear)()
        return leader

    def is_leader(self) -> bool:
        return self._leader.is_set()

    def resign(self) -> None:
        if self._leader.is_set():
            with self.store.session() as s:
                leases_repo.release_lease(s, LEASE_NAME, self.node)
            self._leader.clear()


class LeaderOnlyScheduler(BackgroundScheduler):
    """A BackgroundScheduler whose jobs run only on the leader: every node schedules the
    same triggers, the standby's fire as no-ops until it takes the lease over."""

    def __init__(self, election: LeaderElection, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.election = election

    def add_job(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # type: ignore[override,unused-ignore]
        if kwargs.pop("leader_only", True):
            inner = func

            @functools.wraps(inner)
            def func(*a: Any, **kw: Any) -> Any:
                return inner(*a, **kw) if self.election.is_leader() else None

        return super().add_job(func, *args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait=wait)
        self.election.resign()


def build_scheduler(
    store: Store,
    enqueue: Callable[[str], None],
    *,
    worker_id: str,
    lease_seconds: float = 30.0,
) -> BackgroundScheduler:
    """A scheduler that, while it holds the lease, enqueues each piece of periodic work
    (provisioner.workflow.periodic.SCHEDULE) for a worker to run."""
    node = f"{worker_id}:{os.getpid()}:{secrets.token_hex(3)}"
    election = LeaderElection(store, node, lease_seconds=lease_seconds)
    election.renew()
    scheduler = LeaderOnlyScheduler(election, timezone="UTC")
    scheduler.add_job(
        election.renew,
        "interval",
        seconds=max(1.0, lease_seconds / 3),
        id="leader-lease",
        max_instances=1,
        coalesce=True,
        leader_only=False,
    )
    for name, every in SCHEDULE.items():
        scheduler.add_job(
            enqueue,
            "interval",
            args=[name],
            id=name,
            name=f"enqueue {name}",  # what the scheduler's own log lines call it
            max_instances=1,
            coalesce=True,
            **every,
        )
    return scheduler
