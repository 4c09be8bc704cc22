"""Periodic work. The scheduler (one leader per cluster) only *enqueues* a named piece of
work; a worker does it — a thread of this process in the embedded default, any
`provisioner worker` in a cluster (a procrastinate task) — so a slow sweep never delays the
scheduler, and work whose leader died is not lost with it."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import timedelta

from provisioner.domain.errors import ProvisionerError
from provisioner.domain.states import RequestState
from provisioner.ops.metrics import record_liveness
from provisioner.store.db import Store
from provisioner.store.repositories import (
    dns as dns_repo,
    existing_sites as existing_repo,
    jobs as jobs_repo,
    liveness as liveness_repo,
    requests as requests_repo,
)
from provisioner.workflow.hosting.existing_sites import ExistingSites
from provisioner.workflow.monitoring.drift import DriftService
from provisioner.workflow.monitoring.renewal import TlsRenewal
from provisioner.workflow.monitoring.status import StatusService
from provisioner.workflow.people.sla import SlaService, scheduled_people_sweep
from provisioner.workflow.procedures.overdue import OverdueSteps
from provisioner.workflow.procedures.reminders import EvaluationReminders

log = logging.getLogger(__name__)

# name -> APScheduler interval trigger arguments
SCHEDULE: dict[str, dict[str, int]] = {
    "requeue-stale": {"minutes": 1},
    "liveness": {"minutes": 5},
    "people-sla": {"minutes": 5},
    "sop-evaluations": {"hours": 1},  # repeating SOP steps (evaluations) due again
    "sop-overdue": {"minutes": 15},  # SOP steps past their limit (some limits are 20 min)
    "dns-drift": {"hours": 1},
    "site-drift": {"hours": 1},  # registered existing sites' vhosts against their servers
    "tls-renewal": {"hours": 12},
}

LIVENESS_KEPT = timedelta(days=90)

PeriodicWork = dict[str, Callable[[], object]]


def periodic_work(
    store: Store,
    status: StatusService,
    *,
    drift: DriftService,
    renewal: TlsRenewal,
    sla: SlaService,
    evaluations: EvaluationReminders,
    overdue: OverdueSteps,
    existing_sites: ExistingSites,
) -> PeriodicWork:
    """What each scheduled name does, bound to this process's store and the monitoring,
    SLA and SOP services the composition root built."""
    return {
        "requeue-stale": lambda: requeue_stale(store),
        "liveness": lambda: liveness_sweep(store, status),
        "people-sla": lambda: scheduled_people_sweep(sla),
        "sop-evaluations": lambda: evaluation_sweep(evaluations),
        "sop-overdue": lambda: overdue_sweep(overdue),
        "dns-drift": drift.scheduled_check,
        "site-drift": existing_sites.scheduled_drift,
        "tls-renewal": renewal.renew,
    }


def requeue_stale(store: Store) -> list[int]:
    """Put back jobs whose worker stopped beating (a node that died)."""
    with store.session() as s:
        ids = jobs_repo.requeue_orphans(s, worker=None, stale_after=timedelta(minutes=5))
    if ids:
        log.warning("requeued stale jobs %s", ids)
    return ids


def evaluation_sweep(evaluations: EvaluationReminders) -> int:
    """Remind the team and the OPD, once per visit, of SOP evaluations due again."""
    reminded = evaluations.sweep()
    if reminded:
        log.info("SOP evaluations due: %s", ", ".join(r.ticket for r in reminded))
    return len(reminded)


def overdue_sweep(overdue: OverdueSteps) -> int:
    """Tell the step's role and the approvers, once per visit, of SOP steps past their limit."""
    announced = overdue.sweep()
    if announced:
        log.info("SOP steps overdue: %s", ", ".join(f"{o.ticket}/{o.step}" for o in announced))
    return len(announced)


def liveness_sweep(store: Store, status: StatusService) -> dict[str, bool]:
    """Check every live subdomain (every name server, HTTP, TLS), every name of an
    adopted agency record and every registered existing site, and keep the result in its
    history; history older than LIVENESS_KEPT is pruned."""
    with store.read() as s:
        live: list[tuple[int | None, str]] = [
            (r.id, r.fqdn)
            for state in (RequestState.LIVE, RequestState.LETTER_ISSUED)
            for r in requests_repo.list_requests(s, state=state, limit=10_000)
        ]
        requested = {fqdn for _, fqdn in live}
        live += [(None, fqdn) for fqdn, _ in dns_repo.adopted_sites(s) if fqdn not in requested]
        checked = {fqdn for _, fqdn in live}  # an existing site (its vhost) registered too
        live += [(None, e.fqdn) for e in existing_repo.active_sites(s) if e.fqdn not in checked]
    results: dict[str, bool] = {}
    for request_id, fqdn in live:
        try:
            result = status.status(fqdn, fresh=True)
        except ProvisionerError as exc:  # a stored name the status check refuses
            log.warning("liveness of %s not checked: %s", fqdn, exc.message)
            continue
        results[fqdn] = result.live
        record_liveness(result.live)
        detail = {"nameservers": result.nameservers, "http": result.http, "tls": result.tls}
        with store.session() as s:
            liveness_repo.record_liveness(
                s, request_id=request_id, fqdn=fqdn, live=result.live, detail=detail
            )
    with store.session() as s:
        liveness_repo.prune_liveness(s, older_than=LIVENESS_KEPT)
    return results


class InlinePeriodic:
    """The embedded default's periodic worker: one background thread runs enqueued work in
    order; a name already waiting is not queued twice (as procrastinate's queueing lock)."""

    def __init__(self, work: PeriodicWork) -> None:
        self.work = work
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._waiting: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(self, name: str) -> None:
        if name not in self.work:
            raise KeyError(f"no periodic work named {name!r}")
        with self._lock:
            if name in self._waiting:
                return
            self._waiting.add(name)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="periodic", daemon=True
                )
                self._thread.start()
        self._queue.put(name)

    def _loop(self) -> None:
        while (name := self._queue.get()) is not None:
            with self._lock:
                self._waiting.discard(name)
            run_periodic(self.work, name)

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)


def run_periodic(work: PeriodicWork, name: str) -> None:
    """Run one piece of periodic work; a failure is logged, never raised into the worker."""
    try:
        work[name]()
    except Exception:  # noqa: BLE001 - the next period tries again
        log.exception("periodic work %s failed", name)
