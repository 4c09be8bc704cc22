"""What every hardware step looks like to the job runner.

A step is idempotent: `apply` may run again after a crash and must converge, and
`verify` answers whether the step's effect is already in place (used when a job resumes
with a step that was running when the process died).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from provisioner.domain.app_layout import plans_database


@dataclass(frozen=True)
class SiteSpec:
    """The request as the steps see it: a snapshot, never a table row."""

    request_id: int
    ticket: str
    label: str
    zone: str
    fqdn: str
    dev_fqdn: str
    agency: str
    contact_name: str
    letter_number: str
    letter_date: date
    hosting: bool
    repo_url: str | None
    branch: str | None
    target_address: str | None
    db_name: str | None
    db_user: str | None
    db_password: str | None = field(repr=False)
    plan: dict[str, Any]
    plan_checksum: str | None

    @property
    def wants_database(self) -> bool:
        """Whether the site has a database: the approved plan says (a static site's may name
        none); a step run without a plan (a test, a repair) goes by the derived name."""
        if not self.plan:
            return bool(self.db_name)
        return bool(self.db_name) and plans_database(self.plan)


@dataclass
class StepContext:
    job_id: int
    step: str
    site: SiteSpec
    # Outputs of the steps already done in this job, by step name.
    outputs: dict[str, dict[str, Any]]
    run_dir: Path
    log: Callable[[str], None]
    cancelled: Callable[[], bool] = lambda: False
    # Steps of one job may run side by side. wait_for(name) blocks until step `name` of
    # this job (one started beside this one) is done and returns its outputs, None when the
    # job has no such step; it raises StepFailed when that step failed or the job stops.
    # For a need only known while the step runs (a dev deploy whose app has a migrate hook
    # needs the database first).
    wait_for: Callable[[str], dict[str, Any] | None] = lambda _name: None


class Step(Protocol):
    name: str

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        """Make the change; return what later steps and the record need."""
        ...

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        """The step's outputs if its effect is already in place, else None."""
        ...

    def undo(self, ctx: StepContext) -> None:
        """Remove the step's effect (used by rollback and retire)."""
        ...
