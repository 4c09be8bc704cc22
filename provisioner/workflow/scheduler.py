"""Periodic work on APScheduler. Triggers only enqueue or record; the work itself runs
in the worker, so a slow check never blocks the scheduler."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from provisioner.domain.states import RequestState
from provisioner.store import repositories as repo
from provisioner.store.db import Store
from provisioner.workflow.status import StatusService

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
        with store.session() as s:
            repo.record_event(
                s,
                actor="scheduler",
                action="liveness",
                request_id=request_id,
                detail={"live": result.live, "http": result.http},
            )
    return results


def build_scheduler(store: Store, status: StatusService, *, worker_id: str) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")

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
    return scheduler
