"""Step `dns`: the approved records, written by RFC 2136 with TSIG and prerequisites, then
verified on every authoritative name server."""

from __future__ import annotations

from typing import Any

from provisioner.adapters.dns import DnsAdapter
from provisioner.domain.dns_plan import DnsPlan, RecordChange, guard_plan
from provisioner.domain.errors import Conflict
from provisioner.domain.provision_plan import ensure_same_plan
from provisioner.steps.base import StepContext


class DnsRecordsStep:
    name = "dns"

    def __init__(self, dns: DnsAdapter, *, verify_timeout: float) -> None:
        self.dns = dns
        self.verify_timeout = verify_timeout

    def _plan(self, ctx: StepContext) -> DnsPlan:
        # Refuse anything but exactly what the network team approved.
        ensure_same_plan(ctx.site.plan_checksum, ctx.site.plan)
        plan = DnsPlan.from_dict(ctx.site.plan["dns"])
        owned = {c.name for c in plan.changes}
        guard_plan(plan, owned=lambda name, _rtype: name in owned)
        return plan

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        plan = self._plan(ctx)
        seen: dict[str, dict[str, str]] = {}
        for change in plan.changes:
            ctx.log(f"dns: {change.summary()}")
            self.dns.apply(change)
        for change in plan.changes:
            seen[change.name] = self.dns.wait_until_visible(change, timeout=self.verify_timeout)
            ctx.log(f"dns: {change.name} visible on {', '.join(sorted(seen[change.name]))}")
        return {"records": [c.summary() for c in plan.changes], "verified_on": seen}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        plan = self._plan(ctx)
        try:
            seen = {c.name: self.dns.wait_until_visible(c, timeout=0.5) for c in plan.changes}
        except Exception:  # noqa: BLE001 - not visible yet means "redo", whatever the reason
            return None
        return {"records": [c.summary() for c in plan.changes], "verified_on": seen}

    def undo(self, ctx: StepContext) -> None:
        plan = DnsPlan.from_dict(ctx.site.plan["dns"])
        for change in reversed(plan.changes):
            removal = RecordChange("delete", change.name, change.rtype, change.ttl, change.value)
            try:
                self.dns.apply(removal)
            except Conflict:
                ctx.log(f"dns: {change.name} was already gone or changed by someone else")
                continue
            self.dns.wait_until_visible(removal, timeout=self.verify_timeout)
