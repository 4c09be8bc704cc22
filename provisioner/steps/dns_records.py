"""Step `dns`: the approved records, written by RFC 2136 with TSIG and prerequisites in one
all-or-nothing update, recorded in the ownership registry, then verified on every
authoritative name server. Undo deletes exactly what the registry says this request owns."""

from __future__ import annotations

from typing import Any

from provisioner.domain.dns_plan import DnsPlan
from provisioner.domain.plan import ensure_same_plan
from provisioner.steps.base import StepContext
from provisioner.steps.dns_apply import DnsChanges


class DnsRecordsStep:
    name = "dns"

    def __init__(self, changes: DnsChanges) -> None:
        self.changes = changes

    def _plan(self, ctx: StepContext) -> DnsPlan:
        # Refuse anything but exactly what the network team approved.
        ensure_same_plan(ctx.site.plan_checksum, ctx.site.plan)
        return DnsPlan.from_dict(ctx.site.plan["dns"])

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        """Guard (registry ownership), apply all-or-nothing with back-off, verify."""
        plan = self._plan(ctx)
        seen = self.changes.apply(plan, request_id=ctx.site.request_id, log_line=ctx.log)
        return {"records": plan.summary(), "verified_on": seen}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        """After a restart: the outputs if every record is already visible, else None."""
        plan = self._plan(ctx)
        try:
            seen = {c.name: self.changes.visible(plan.zone, c, 0.5) for c in plan.changes}
        except Exception:  # noqa: BLE001 - not visible yet means "redo", whatever the reason
            return None
        self.changes.record(plan, ctx.site.request_id)  # the process may have died before
        return {"records": plan.summary(), "verified_on": seen}

    def undo(self, ctx: StepContext) -> None:
        """Delete the records this request owns (registry value as prerequisite)."""
        removed = self.changes.remove_request_records(ctx.site.request_id, ctx.log)
        ctx.log(f"dns: removed {len(removed)} record(s)")
