"""The shape of a provisioning job: which steps, in which order, and what each step
means for the request's state (pure logic; the runner in workflow/ does the I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provisioner.domain.states import RequestState


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"


@dataclass(frozen=True)
class StepSpec:
    name: str
    # The request's state while this step runs; after the last step of a stage the next
    # step's state takes over, so "live" is reached only once the production checks pass.
    request_state: RequestState
    title_id: str
    title_en: str


S = RequestState
HOSTING_STEPS: tuple[StepSpec, ...] = (
    StepSpec("dns", S.PROVISIONING, "Rekaman DNS", "DNS records"),
    StepSpec("database", S.PROVISIONING, "Basis data", "Database"),
    StepSpec("site_dev", S.PROVISIONING, "Vhost + deploy ke server dev", "Vhost + deploy to dev"),
    StepSpec("checks_dev", S.TESTING_DEV, "Uji di server dev", "Checks on dev"),
    StepSpec("site_prod", S.PRODUCTION, "Promosi ke server produksi", "Promote to production"),
    StepSpec("checks_prod", S.PRODUCTION, "Uji di server produksi", "Checks on production"),
    StepSpec("letter", S.LIVE, "Surat rekomendasi", "Recommendation letter"),
)
DNS_ONLY_STEPS: tuple[StepSpec, ...] = (
    StepSpec("dns", S.PROVISIONING, "Rekaman DNS", "DNS records"),
    StepSpec("letter", S.LIVE, "Surat balasan", "Reply letter"),
)
FINAL_STATE = S.LETTER_ISSUED


def provision_steps(hosting: bool) -> tuple[StepSpec, ...]:
    return HOSTING_STEPS if hosting else DNS_ONLY_STEPS


def step_spec(name: str) -> StepSpec:
    for spec in HOSTING_STEPS + DNS_ONLY_STEPS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def site_lock_key(fqdn: str) -> str:
    """One job at a time per site: the production name identifies the site."""
    return f"site:{fqdn}"
