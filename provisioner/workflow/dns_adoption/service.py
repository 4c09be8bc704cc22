"""The network team adopts what a zone already holds: the zone is read whole (AXFR signed
with its TSIG key), compared with the ownership registry, and the records nobody owns are
listed — CNAMEs whose target does not exist marked as dangling. The team picks records,
assigns each to an agency or marks it infrastructure, reviews the plan and approves it by
its checksum; the records then join the registry with their value now as the prerequisite
base, so every later change goes through the guarded path (provisioner.steps.dns_apply)
like a record provisioner wrote. Adopting sends nothing to any name server.

What is foreign, adoptable or dangling, and the plan, are decided in
provisioner.domain.dns_adoption; this service only reads the zones and the registry and
writes the adopted rows with an audit event, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.dns_adoption import (
    AdoptionPlan,
    AdoptionWish,
    ForeignRecord,
    TargetAnswer,
    ZoneRecord,
    bulk_wishes,
    cname_targets,
    ensure_same_adoption,
    foreign_records,
    mark_dangling,
    plan_adoption,
)
from provisioner.domain.errors import ProvisionerError
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.repositories import audit as audit_repo, dns as dns_repo

# The name a refused or failed zone transfer is reported under.
ADOPTION_STEP = "dns-adoption"
ZoneSets = dict[tuple[str, str], tuple[int, list[str]]]


class ManagedZone(Protocol):
    """One managed zone's servers (provisioner.adapters.dns.zones.DnsAdapter)."""

    @property
    def zone(self) -> str: ...

    def transfer_sets(self, *, step: str) -> ZoneSets: ...

    def availability(self, fqdn: str) -> dict[str, str]: ...


class ManagedZones(Protocol):
    """Every managed zone (provisioner.adapters.dns.zones.DnsZones)."""

    @property
    def zones(self) -> list[str]: ...

    def for_zone(self, zone: str) -> ManagedZone: ...

    def zone_of(self, fqdn: str) -> str: ...


@dataclass
class ZoneForeign:
    """One zone as read now: its serial, how many record sets it holds and the registry
    owns, and every record set nobody owns."""

    zone: str
    serial: int | None
    records: int
    owned: int
    foreign: list[ForeignRecord] = field(default_factory=list)

    @property
    def adoptable(self) -> list[ForeignRecord]:
        return [r for r in self.foreign if r.adoptable]

    @property
    def dangling(self) -> list[ForeignRecord]:
        return [r for r in self.foreign if r.dangling]

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "serial": self.serial,
            "records": self.records,
            "owned": self.owned,
            "foreign": [r.to_dict() for r in self.foreign],
        }


@dataclass(frozen=True)
class AdoptionReview:
    """The plan to show before anything is adopted, and the checksum that approves it."""

    zone: str
    items: list[dict[str, Any]]
    summary: list[str]
    checksum: str

    @classmethod
    def of(cls, plan: AdoptionPlan) -> AdoptionReview:
        return cls(plan.zone, plan.to_dict()["items"], plan.summary(), plan.checksum())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AdoptionDone:
    """What joined the registry; the zone's serial, which adopting does not change."""

    zone: str
    adopted: list[dict[str, Any]]
    summary: list[str]
    serial: int | None
    by: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


class DnsAdoption:
    """Lists, plans and records the adoption of existing records (network team)."""

    def __init__(self, zones: ManagedZones, store: Store) -> None:
        self.zones = zones
        self.store = store

    def managed_zones(self) -> list[str]:
        """The zones whose records can be adopted."""
        return self.zones.zones

    def foreign(self, actor: Actor, zone: str | None = None) -> list[ZoneForeign]:
        """Per zone (one, or every managed zone): the records the registry does not own."""
        ensure_allowed(actor, Action.ADOPT_DNS)
        names = [zone] if zone else self.zones.zones
        return [self._read(name) for name in names]

    def review(self, actor: Actor, zone: str, wishes: Sequence[AdoptionWish]) -> AdoptionReview:
        """The plan that adopts `wishes` as the zone stands now (nothing is stored);
        InvalidInput naming each wish's field that is wrong."""
        ensure_allowed(actor, Action.ADOPT_DNS)
        return AdoptionReview.of(self._plan(zone, wishes))

    def review_all(
        self, actor: Actor, zone: str, *, assign: str, agency: str | None = None
    ) -> AdoptionReview:
        """The plan that adopts every adoptable record of `zone`, all to one agency or all
        as infrastructure."""
        ensure_allowed(actor, Action.ADOPT_DNS)
        current = self._read(zone)
        wishes = bulk_wishes(current.foreign, assign, agency)
        return AdoptionReview.of(plan_adoption(current.zone, current.foreign, wishes))

    def adopt(
        self, actor: Actor, zone: str, wishes: Sequence[AdoptionWish], checksum: str
    ) -> AdoptionDone:
        """Adopt `wishes` if the plan, made again from the zone and the registry as they are
        now, is exactly the one approved (`checksum`; UnsafeChange otherwise). The records
        join the registry with one audit event, in one transaction; no zone is written."""
        ensure_allowed(actor, Action.ADOPT_DNS)
        current = self._read(zone)
        plan = plan_adoption(current.zone, current.foreign, wishes)
        ensure_same_adoption(plan, checksum)
        at = utcnow()
        with self.store.session() as s:
            for item in plan.items:
                dns_repo.adopt_record(s, plan.zone, item, actor=actor.username, at=at)
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="dns:adopted",
                detail={"zone": plan.zone, "checksum": checksum, "plan": plan.summary(),
                        "serial": current.serial},
            )  # fmt: skip
        return AdoptionDone(
            plan.zone,
            plan.to_dict()["items"],
            plan.summary(),
            current.serial,
            actor.username,
            at,
        )

    # --- reading ---------------------------------------------------------------------

    def _plan(self, zone: str, wishes: Sequence[AdoptionWish]) -> AdoptionPlan:
        current = self._read(zone)
        return plan_adoption(current.zone, current.foreign, wishes)

    def _read(self, zone: str) -> ZoneForeign:
        adapter = self.zones.for_zone(zone)
        sets = adapter.transfer_sets(step=ADOPTION_STEP)
        records = [ZoneRecord(name, rtype, ttl, tuple(values))
                   for (name, rtype), (ttl, values) in sets.items()]  # fmt: skip
        with self.store.read() as s:
            owned = [(r.name, r.rtype) for r in dns_repo.active_records(s, adapter.zone)]
        foreign = foreign_records(adapter.zone, records, owned)
        answers = {
            target: self._target(target)
            for target in cname_targets(foreign)
            if self._zone_of(target) not in (None, adapter.zone)
        }
        names = {name for name, _ in sets}
        judged = mark_dangling(adapter.zone, foreign, names, answers)
        soa = sets.get((adapter.zone, "SOA"), (0, [""]))[1][0].split()
        serial = int(soa[2]) if len(soa) > 2 else None
        return ZoneForeign(adapter.zone, serial, len(sets), len(owned), judged)

    def _zone_of(self, name: str) -> str | None:
        try:
            return self.zones.zone_of(name)
        except ProvisionerError:
            return None  # outside every managed zone: no resolver is asked

    def _target(self, target: str) -> TargetAnswer:
        """A CNAME target in another managed zone, as that zone's name servers answer;
        "unknown" when none of them answers."""
        try:
            verdicts = self.zones.for_zone(self.zones.zone_of(target)).availability(target)
        except ProvisionerError:
            return "unknown"
        if verdicts and all(v == "absent" for v in verdicts.values()):
            return "absent"
        return "exists" if any(v == "exists" for v in verdicts.values()) else "unknown"
