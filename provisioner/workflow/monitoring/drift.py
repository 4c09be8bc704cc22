"""Drift: each managed zone as its primary serves it (AXFR signed with the zone's TSIG key)
compared with the ownership registry, and its repair.

This service only orchestrates: the zone transfer goes through the zone's DNS adapter,
the port probes through a probe adapter, and what counts as drift — and the repair plan —
is decided in provisioner.domain.dns_drift. The network team approves a repair by its
checksum; it is applied through the same guarded path as every other change
(provisioner.steps.dns_apply.DnsChanges), and one larger than the change limit is refused
unless forced.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.dns_adoption import INFRASTRUCTURE
from provisioner.domain.dns_drift import (
    DEFAULT_MAX_CHANGES,
    OwnedRecord,
    ZoneDrift,
    classify,
    ensure_within_limit,
    probe_addresses,
)
from provisioner.domain.dns_plan import DnsPlan
from provisioner.domain.errors import UnsafeChange
from provisioner.steps.dns_apply import DnsChanges
from provisioner.store.db import Store
from provisioner.store.repositories import audit as audit_repo, dns as dns_repo

log = logging.getLogger(__name__)
# The name a refused or failed zone transfer is reported under.
DRIFT_STEP = "dns-drift"


class PortProbe(Protocol):
    """Does anything accept a TCP connection on a web port (80/443) of an address?"""

    def serves(self, address: str, *, timeout: float) -> bool: ...


class DriftService:
    """Finds drift in every managed zone and repairs it through an approved plan."""

    def __init__(
        self,
        changes: DnsChanges,
        store: Store,
        probe: PortProbe,
        *,
        networks: Sequence[str],
        probe_timeout: float,
        max_changes: int = DEFAULT_MAX_CHANGES,
    ) -> None:
        self.changes = changes
        self.store = store
        self.probe = probe
        # Only hosts in the networks provisioner may point records at are probed.
        self._networks = [ipaddress.ip_network(n) for n in networks]
        self.probe_timeout = probe_timeout
        self.max_changes = max_changes

    def detect(self, zone: str | None = None) -> list[ZoneDrift]:
        """Drift of one zone or of every managed zone."""
        zones = [zone] if zone else self.changes.zones.zones
        return [self._zone(z) for z in zones]

    def _zone(self, zone: str) -> ZoneDrift:
        adapter = self.changes.zones.for_zone(zone)
        snapshot = adapter.transfer(step=DRIFT_STEP)
        with self.store.read() as s:
            owned = [
                OwnedRecord(r.name, r.rtype, r.value, r.ttl, protected=r.owner == INFRASTRUCTURE)
                for r in dns_repo.active_records(s, adapter.zone)
            ]
        addresses = probe_addresses(snapshot, owned, self._networks)
        with ThreadPoolExecutor(max_workers=16) as pool:
            alive = list(pool.map(self._serves, addresses))
        return classify(adapter.zone, snapshot, owned, dict(zip(addresses, alive, strict=True)))

    def _serves(self, address: str) -> bool:
        return self.probe.serves(address, timeout=self.probe_timeout)

    def repair(self, zone: str, checksum: str, actor: Actor, *, force: bool = False) -> list[str]:
        """Apply the repair plan of `zone` if it is still exactly the one approved
        (`checksum`) and within the change limit (TooMuchChange otherwise, unless `force`),
        through the guarded apply path; network team only."""
        ensure_allowed(actor, Action.DECIDE)
        current = self._zone(zone)
        if current.checksum != checksum:
            raise UnsafeChange(
                "Rencana perbaikan berubah sejak ditampilkan; periksa lagi / The repair plan "
                "changed since it was shown; review it again"
            )
        plan = DnsPlan.from_dict(current.plan)
        ensure_within_limit(plan, max_changes=self.max_changes, force=force)
        detail: dict[str, object] = {
            "zone": current.zone, "checksum": checksum, "plan": current.summary
        }
        if force:
            detail["forced"] = True
        with self.store.session() as s:
            audit_repo.record_event(
                s, actor=actor.username, action="dns:repair-approved", detail=detail
            )
        self.changes.apply(plan, request_id=None, repair=True)
        return current.summary

    def scheduled_check(self) -> dict[str, int]:
        """Hourly: detect drift in every zone and record the counts as an event for the
        network team (the report itself is read with GET /api/v1/dns/drift)."""
        counts: dict[str, int] = {}
        for report in self.detect():
            counts[report.zone] = len(report.items)
            if report.items:
                log.warning("dns drift in %s: %d item(s)", report.zone, len(report.items))
        with self.store.session() as s:
            audit_repo.record_event(s, actor="scheduler", action="dns:drift", detail=counts)
        return counts
