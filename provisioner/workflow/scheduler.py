"""Periodic work on APScheduler. Triggers only enqueue or record; the work itself runs
in the worker, so a slow check never blocks the scheduler."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from provisioner.domain.states import RequestState
from provisioner.ops.metrics import record_liveness
from provisioner.store import repositories as repo
from provisioner.store.db import Store
from provisioner.workflow.dns_drift import scheduled_drift_check
from provisioner.workflow.sla import scheduled_people_sweep
from provisioner.workflow.status import StatusService
from provisioner.workflow.tls_renewal import renew_expiring_certificates

log = logging.getLogger(__name__)


def liveness_sweep(store: Store, status: StatusService) -> dict[str, bool]:
    """Check every live subdomain once and record the result as an event."""
    with store.read() as s:
        live = [
            (r.id, r.fqdn)
            for state in (RequestState.LIVE, RequestState.LETTER_ISSUED)
            for r in repo.list_requests(s, state=state, limit=10_000)
        ]
    results: dict[str, bool] = {}
    for request_id, fqdn in live:
        result = status.status(fqdn)
        results[fqdn] = result.live
        record_liveness(result.live)
        with store.session() as s:
            repo.record_event(
                s,
                actor="scheduler",
                action="liveness",
                request_id=request_id,
                detail={"live": result.live, "http": result.http},
            )
    return results


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
                leader = repo.take_lease(s, LEASE_NAME, self.node, seconds=self.lease_seconds)
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
                repo.release_lease(s, LEASE_NAME, self.node)
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
    store: Store, status: StatusService, *, worker_id: str, lease_seconds: float = 30.0
) -> BackgroundScheduler:
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

    def requeue_stale() -> None:
        with store.session() as s:
            ids = repo.requeue_orphans(s, worker=None, stale_after=timedelta(minutes=5))
        if ids:
            log.warning("requeued stale jobs %s", ids)

    scheduler.add_job(
        requeue_stale, "interval", minutes=1, id="requeue-stale", max_instances=1, coalesce=True
    )
    scheduler.add_job(
        liveness_sweep,
        "interval",
        minutes=5,
        id="liveness",
        args=[store, status],
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(scheduled_drift_check, "interval", hours=1, id="dns-drift", args=[store], max_instances=1, coalesce=True)  # noqa: E501
    scheduler.add_job(renew_expiring_certificates, "interval", hours=12, id="tls-renewal", max_instances=1, coalesce=True)  # noqa: E501
    scheduler.add_job(scheduled_people_sweep, "interval", minutes=5, id="people-sla", args=[store], max_instances=1, coalesce=True)  # noqa: E501 — people: overdue SLA steps + 6-month evaluation reminders
    return scheduler
