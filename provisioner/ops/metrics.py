"""Prometheus metrics. Process-wide collectors live in the default registry; the jobs by
state gauge is read from the store at scrape time, so every node reports the same truth."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

STEP_SECONDS = Histogram(
    "provisioner_step_duration_seconds",
    "Duration of a job step (apply or verify), by step and outcome",
    ["step", "outcome"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)
LIVENESS = Counter(
    "provisioner_liveness_checks_total",
    "Liveness checks of live subdomains, by result",
    ["result"],
)
SLA_OVERDUE = Gauge(
    "provisioner_sla_overdue_requests",
    "Requests past their SLA deadline (set by the SLA clock)",
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_step(step: str, outcome: str, seconds: float) -> None:
    STEP_SECONDS.labels(step=step, outcome=outcome).observe(seconds)


def record_liveness(live: bool) -> None:
    LIVENESS.labels(result="live" if live else "down").inc()


def set_sla_overdue(count: int) -> None:
    """For the SLA clock: how many requests are overdue right now."""
    SLA_OVERDUE.set(count)


class _JobsCollector:
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self):  # type: ignore[no-untyped-def,unused-ignore]
        family = GaugeMetricFamily(
            "provisioner_jobs", "Jobs in the store by state", labels=["state"]
        )
        counts = self.counts()
        for state in ("queued", "running", "done", "failed", "cancelled", "undone"):
            family.add_metric([state], counts.get(state, 0))
        yield family


def render(job_counts: Callable[[], dict[str, int]]) -> bytes:
    """The exposition text: process metrics plus jobs by state read now."""
    per_scrape = CollectorRegistry(auto_describe=False)
    per_scrape.register(_JobsCollector(job_counts))  # type: ignore[arg-type,unused-ignore]
    return generate_latest(REGISTRY) + generate_latest(per_scrape)


def job_counts_from(store: object) -> Callable[[], dict[str, int]]:
    """A reader of jobs by state from `store` (a provisioner.store.db.Store)."""
    from provisioner.store.repositories import jobs as jobs_repo

    def counts() -> dict[str, int]:
        with store.read() as s:  # type: ignore[attr-defined]
            return jobs_repo.count_jobs_by_state(s)

    return counts
