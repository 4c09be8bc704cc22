"""Steps `checks_dev` and `checks_prod`: testinfra on the host and HTTP by the site's name.
The evidence is kept whether the checks pass or fail."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from provisioner.adapters.checks import CheckResult, host_checks, http_checks
from provisioner.config import Settings
from provisioner.domain.errors import StepFailed
from provisioner.steps.base import StepContext


class ChecksFailed(StepFailed):
    def __init__(self, step: str, server: str, results: list[CheckResult]) -> None:
        failed = [r for r in results if not r.passed]
        super().__init__(step, server, "; ".join(f"{r.name}: {r.detail}" for r in failed))
        self.results = results


class ChecksStep:
    def __init__(
        self, settings: Settings, *, environment: Literal["dev", "prod"], host: str, address: str
    ) -> None:
        self.settings = settings
        self.environment = environment
        self.name = f"checks_{environment}"
        self.host = host
        self.address = address

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        site = (
            ctx.outputs.get(f"site_{self.environment}")
            or ctx.outputs.get(f"rollback_{self.environment}")  # a rollback job (hosting-workflow)
            or {}
        )
        fqdn = site.get("fqdn") or (
            ctx.site.dev_fqdn if self.environment == "dev" else ctx.site.fqdn
        )
        manifest = site.get("manifest") or {}
        results = host_checks(self.settings, self.address, fqdn, site.get("commit", ""))
        results += http_checks(
            self.address,
            fqdn,
            marker=manifest.get("marker"),
            health_url=manifest.get("health_url"),
        )
        for r in results:
            ctx.log(f"{'PASS' if r.passed else 'FAIL'} {r.name}: {r.detail}")
        if not all(r.passed for r in results):
            raise ChecksFailed(self.name, self.host, results)
        return {"host": self.host, "fqdn": fqdn, "checks": [asdict(r) for r in results]}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # checks are cheap and read-only: run them again

    def undo(self, ctx: StepContext) -> None:
        return None
