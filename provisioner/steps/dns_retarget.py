"""Step `retarget_dns`: an approved change-of-target request moves the site's A record to
its new address through the one guarded DNS path (`DnsChanges`): an RFC 2136 update to the
primary (ns1) with the value provisioner last wrote as its prerequisite, recorded in the
ownership registry under the *site's* request (so retiring the site later removes it),
then verified on every authoritative name server (ns2 included). Finally the site's
request records its new target, with before/after in the audit log."""

from __future__ import annotations

from typing import Any

from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.plan import ensure_same_plan
from provisioner.steps.base import StepContext
from provisioner.steps.dns_apply import DnsChanges
from provisioner.store.db import Store
from provisioner.store.repositories import (
    audit as audit_repo,
    dns as dns_repo,
    requests as requests_repo,
)


class RetargetDnsStep:
    name = "retarget_dns"

    def __init__(self, changes: DnsChanges, store: Store) -> None:
        self.changes = changes
        self.store = store

    def _plan(self, ctx: StepContext) -> tuple[DnsPlan, int]:
        # Refuse anything but exactly what the network team approved.
        ensure_same_plan(ctx.site.plan_checksum, ctx.site.plan)
        return DnsPlan.from_dict(ctx.site.plan["dns"]), int(ctx.site.plan["site_request_id"])

    def _pending(self, plan: DnsPlan) -> DnsPlan:
        """The changes the registry does not show as written yet: a retry after the update
        went through (but verification timed out) only verifies, never sends it again."""
        with self.store.read() as s:
            todo = tuple(
                c
                for c in plan.changes
                if (row := dns_repo.owned_record(s, c.name, c.rtype)) is None
                or row.value != c.value
            )
        return DnsPlan(zone=plan.zone, changes=todo)

    def _visible(self, plan: DnsPlan, timeout: float) -> dict[str, dict[str, str]]:
        return {c.name: self.changes.visible(plan.zone, c, timeout) for c in plan.changes}

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        """Guard (registry ownership + prerequisite), update on the primary all or nothing
        with back-off, record, verify on every name server; then note the site's target."""
        plan, site_id = self._plan(ctx)
        pending = self._pending(plan)
        if pending.changes:
            self.changes.apply(pending, request_id=site_id, log_line=ctx.log)
        seen = self._visible(plan, self.changes.verify_timeout)
        self._record_target(ctx, plan, site_id)
        return {"records": plan.summary(), "verified_on": seen, "site_request_id": site_id}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        """After a restart: the outputs if the new record is already visible, else None."""
        plan, site_id = self._plan(ctx)
        try:
            seen = self._visible(plan, 0.5)
        except Exception:  # noqa: BLE001 - not visible yet means "redo", whatever the reason
            return None
        self.changes.record(plan, site_id)  # the process may have died before
        self._record_target(ctx, plan, site_id)
        return {"records": plan.summary(), "verified_on": seen, "site_request_id": site_id}

    def undo(self, ctx: StepContext) -> None:
        """Put the previous value back (the new one as prerequisite)."""
        plan, site_id = self._plan(ctx)
        back = tuple(
            RecordChange("update", c.name, c.rtype, c.ttl, c.previous, previous=c.value)
            for c in plan.changes
            if c.action == "update" and c.previous is not None
        )
        if back:
            self.changes.apply(
                DnsPlan(zone=plan.zone, changes=back), request_id=site_id, log_line=ctx.log
            )

    def _record_target(self, ctx: StepContext, plan: DnsPlan, site_id: int) -> None:
        new = next((c.value for c in plan.changes if c.rtype == "A"), ctx.site.target_address)
        with self.store.session() as s:
            site = requests_repo.get_request(s, site_id, lock=True)
            if site.target_address == new:
                return
            before = site.target_address
            site.target_address = new
            audit_repo.record_event(
                s,
                actor="provisioner",
                action="site:retargeted",
                request_id=site_id,
                job_id=ctx.job_id,
                detail={"change_request_id": ctx.site.request_id, "records": plan.summary()},
                before={"target_address": before},
                after={"target_address": new},
            )
