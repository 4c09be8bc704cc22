"""Drift: each zone as its primary serves it (AXFR signed with the zone's TSIG key)
compared with the ownership registry.

Reported: records provisioner wrote that are missing, records whose value someone else
changed, and names that point at nothing that serves — a CNAME to a name that no longer
exists, or an owned A/AAAA record whose host no longer answers on port 80/443 (an open
door for subdomain takeover). A report yields a repair DnsPlan per zone; the network team
approves it by its checksum and it is applied through the same guarded path as every
other change (provisioner.steps.dns_apply.DnsChanges).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from provisioner.config import Settings
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import UnsafeChange
from provisioner.steps.dns_apply import DnsChanges
from provisioner.store.db import Store
from provisioner.store.repositories import audit as audit_repo
from provisioner.store.repositories import dns as dns_repo

log = logging.getLogger(__name__)
SERVICE_PORTS = (80, 443)


@dataclass(frozen=True)
class DriftItem:
    """One difference. kind: missing | changed | dangling."""

    kind: str
    name: str
    rtype: str
    expected: str | None
    found: list[str]
    owned: bool
    detail: str


@dataclass
class ZoneDrift:
    zone: str
    serial: int | None
    records: int
    items: list[DriftItem] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    checksum: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _serves(address: str, timeout: float) -> bool:
    """Does anything accept a TCP connection on a web port of `address`?"""
    for port in SERVICE_PORTS:
        try:
            with socket.create_connection((address, port), timeout=timeout):
                return True
        except OSError:
            continue
    return False


class DriftService:
    """Finds drift in every managed zone and repairs it through an approved plan."""

    def __init__(self, changes: DnsChanges, store: Store, settings: Settings) -> None:
        self.changes = changes
        self.store = store
        self.settings = settings
        self._networks = [ipaddress.ip_network(n) for n in settings.allowed_target_networks]

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> DriftService:
        return cls(DnsChanges.from_settings(settings, store), store, settings)

    def _may_probe(self, address: str) -> bool:
        # Only hosts in the networks provisioner may point records at are probed.
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._networks)

    def detect(self, zone: str | None = None) -> list[ZoneDrift]:
        """Drift of one zone or of every managed zone."""
        zones = [zone] if zone else self.changes.zones.zones
        return [self._zone(z) for z in zones]

    def _zone(self, zone: str) -> ZoneDrift:
        adapter = self.changes.zones.for_zone(zone)
        zone = adapter.zone
        records = adapter.transfer()
        with self.store.read() as s:
            owned = [(r.name, r.rtype, r.value, r.ttl) for r in dns_repo.active_records(s, zone)]
        soa = records.get((zone, "SOA"), [""])[0].split()
        report = ZoneDrift(zone, int(soa[2]) if len(soa) > 2 else None, len(records))
        names = {name for name, _ in records}
        repairs: list[RecordChange] = []
        probes: list[tuple[str, str, str, int]] = []
        for name, rtype, value, ttl in owned:
            found = records.get((name, rtype), [])
            if not found:
                report.items.append(
                    DriftItem("missing", name, rtype, value, [], True,
                              "rekaman hilang dari zona / record is gone from the zone")
                )  # fmt: skip
                if name not in names:  # the name is free again: put our record back
                    repairs.append(RecordChange("create", name, rtype, ttl, value))  # type: ignore[arg-type]
            elif found != [value]:
                report.items.append(
                    DriftItem("changed", name, rtype, value, found, True,
                              "diubah di luar provisioner / changed outside provisioner")
                )  # fmt: skip
                if len(found) == 1:
                    repairs.append(
                        RecordChange("update", name, rtype, ttl, value, previous=found[0])  # type: ignore[arg-type]
                    )
            elif rtype in ("A", "AAAA") and self._may_probe(value):
                probes.append((name, rtype, value, ttl))
        owned_keys = {(n, t) for n, t, _, _ in owned}
        for (name, rtype), values in sorted(records.items()):
            if rtype != "CNAME":
                continue
            target = values[0]
            in_zone = target == zone or target.endswith("." + zone)
            if in_zone and target not in names:
                is_owned = (name, rtype) in owned_keys
                report.items.append(
                    DriftItem("dangling", name, rtype, None, values, is_owned,
                              f"CNAME ke {target} yang tidak ada (risiko pengambilalihan) / "
                              f"CNAME to {target}, which does not exist (takeover risk)")
                )  # fmt: skip
                restored = {c.name for c in repairs if c.action == "create"}
                if is_owned and target not in restored:  # else the repair brings it back
                    repairs.append(RecordChange("delete", name, "CNAME", 300, target))
        timeout = self.settings.dns_drift_probe_timeout
        with ThreadPoolExecutor(max_workers=16) as pool:
            alive = list(pool.map(lambda p: _serves(p[2], timeout), probes))
        for (name, rtype, value, _ttl), ok in zip(probes, alive, strict=True):
            if not ok:
                report.items.append(
                    DriftItem("dangling", name, rtype, value, [value], True,
                              f"{value} tidak melayani web (port 80/443) / {value} serves no "
                              "web (port 80/443)")
                )  # fmt: skip
        plan = DnsPlan(zone=zone, changes=tuple(repairs))
        report.plan = plan.to_dict()
        report.summary = plan.summary()
        report.checksum = plan.checksum()
        return report

    def repair(self, zone: str, checksum: str, actor: Actor) -> list[str]:
        """Apply the repair plan of `zone` if it is still exactly the one approved
        (`checksum`), through the guarded apply path; network team only."""
        ensure_allowed(actor, Action.DECIDE)
        current = self._zone(zone)
        if current.checksum != checksum:
            raise UnsafeChange(
                "Rencana perbaikan berubah sejak ditampilkan; periksa lagi / The repair plan "
                "changed since it was shown; review it again"
            )
        plan = DnsPlan.from_dict(current.plan)
        with self.store.session() as s:
            audit_repo.record_event(
                s, actor=actor.username, action="dns:repair-approved",
                detail={"zone": current.zone, "checksum": checksum, "plan": current.summary},
            )  # fmt: skip
        self.changes.apply(plan, request_id=None, repair=True)
        return current.summary


def scheduled_drift_check(store: Store, settings: Settings) -> dict[str, int]:
    """Hourly: detect drift in every zone and record the counts as an event for the
    network team (the report itself is read with GET /api/v1/dns/drift)."""
    service = DriftService.from_settings(settings, store)
    counts: dict[str, int] = {}
    for report in service.detect():
        counts[report.zone] = len(report.items)
        if report.items:
            log.warning("dns drift in %s: %d item(s)", report.zone, len(report.items))
    with store.session() as s:
        audit_repo.record_event(s, actor="scheduler", action="dns:drift", detail=counts)
    return counts
