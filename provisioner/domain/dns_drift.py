"""Drift, decided without I/O: a zone as its primary serves it (a snapshot from a zone
transfer), the ownership registry's rows and the facts of the port probes go in; the
missing, changed and dangling records and the repair plan come out.

- missing: a record provisioner wrote is gone (repaired by creating it again while its
  name is free);
- changed: someone else changed its value (repaired by writing ours back over theirs when
  the set holds one value);
- dangling: a CNAME to a name of the zone that does not exist, or an owned A/AAAA record
  whose host no longer answers on a web port — an open door for subdomain takeover (an
  owned CNAME is deleted; a host is only reported).

A repair larger than the limit is refused with TooMuchChange unless it is forced (the
octoDNS safety limit): a zone that changed that much wants a person to look first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import TooMuchChange

ZoneSnapshot = Mapping[tuple[str, str], Sequence[str]]  # (name, rtype) -> sorted values
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_MAX_CHANGES = 20
_ADDRESS_TYPES = ("A", "AAAA")
_GONE = "rekaman hilang dari zona / record is gone from the zone"
_CHANGED = "diubah di luar provisioner / changed outside provisioner"


@dataclass(frozen=True)
class OwnedRecord:
    """A record the registry says provisioner wrote."""

    name: str
    rtype: str
    value: str
    ttl: int
    # An adopted infrastructure record: its drift is reported, never repaired.
    protected: bool = False


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
    """One zone's drift report with its repair plan (data form, summary, checksum)."""

    zone: str
    serial: int | None
    records: int
    items: list[DriftItem] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    checksum: str = ""
    # Every record of the registry compared with the zone: name, rtype, expected, found,
    # and whether they agree (the drift page lists them).
    compared: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_addresses(
    snapshot: ZoneSnapshot, owned: Iterable[OwnedRecord], networks: Sequence[Network]
) -> list[str]:
    """The addresses to probe: of owned A/AAAA records that stand as written, and only in
    the networks provisioner may point records at (nothing else is ever probed)."""
    addresses = [
        rec.value
        for rec in owned
        if rec.rtype in _ADDRESS_TYPES
        and list(snapshot.get((rec.name, rec.rtype), [])) == [rec.value]
        and _in(rec.value, networks)
    ]
    return list(dict.fromkeys(addresses))


def classify(
    zone: str,
    snapshot: ZoneSnapshot,
    owned: Sequence[OwnedRecord],
    serving: Mapping[str, bool],
) -> ZoneDrift:
    """The drift report of `zone`: `serving` says, per probed address, whether anything
    accepts connections on a web port there."""
    names = {name for name, _ in snapshot}
    items: list[DriftItem] = []
    repairs: list[RecordChange] = []
    for rec in owned:
        item, repair = _owned_drift(rec, snapshot.get((rec.name, rec.rtype), []), names)
        items += [item] if item else []
        repairs += [repair] if repair else []
    restored = {c.name for c in repairs if c.action == "create"}
    owned_keys = {(rec.name, rec.rtype) for rec in owned}
    kept = frozenset((rec.name, rec.rtype) for rec in owned if rec.protected)
    cname_items, deletes = _dangling_cnames(zone, snapshot, names, owned_keys, restored, kept)
    items += cname_items + _dead_hosts(snapshot, owned, serving)
    plan = DnsPlan(zone=zone, changes=(*repairs, *deletes))
    soa = list(snapshot.get((zone, "SOA"), [""]))[0].split()
    return ZoneDrift(
        zone,
        int(soa[2]) if len(soa) > 2 else None,
        len(snapshot),
        items,
        plan.to_dict(),
        plan.summary(),
        plan.checksum(),
        [
            {"name": rec.name, "rtype": rec.rtype, "expected": rec.value,
             "found": list(found), "agrees": list(found) == [rec.value]}
            for rec in owned
            for found in [snapshot.get((rec.name, rec.rtype), [])]
        ],
    )


def ensure_within_limit(plan: DnsPlan, *, max_changes: int, force: bool = False) -> None:
    """Refuse (TooMuchChange) a repair of more than `max_changes` changes unless forced."""
    count = len(plan.changes)
    if force or count <= max_changes:
        return
    raise TooMuchChange(
        f"Perbaikan zona {plan.zone} mengubah {count} rekaman, lebih dari batas {max_changes}; "
        f"periksa zona dahulu, atau paksa secara eksplisit / The repair of {plan.zone} changes "
        f"{count} records, more than the limit of {max_changes}; review the zone first, or "
        "force it explicitly",
        changes=count,
        limit=max_changes,
    )


def _owned_drift(
    rec: OwnedRecord, found: Sequence[str], names: set[str]
) -> tuple[DriftItem | None, RecordChange | None]:
    """What happened to one owned record, and the change that repairs it (if any)."""
    found = list(found)
    if not found:
        item = DriftItem("missing", rec.name, rec.rtype, rec.value, [], True, _GONE)
        if rec.name in names or rec.protected:  # something else lives there now: report only
            return item, None
        return item, RecordChange("create", rec.name, rec.rtype, rec.ttl, rec.value)  # type: ignore[arg-type]
    if found == [rec.value]:
        return None, None
    item = DriftItem("changed", rec.name, rec.rtype, rec.value, found, True, _CHANGED)
    if len(found) != 1 or rec.protected:
        return item, None
    update = RecordChange("update", rec.name, rec.rtype, rec.ttl, rec.value, previous=found[0])  # type: ignore[arg-type]
    return item, update


def _dangling_cnames(
    zone: str,
    snapshot: ZoneSnapshot,
    names: set[str],
    owned_keys: set[tuple[str, str]],
    restored: set[str],
    kept: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[DriftItem], list[RecordChange]]:
    """CNAMEs to a name of the zone that does not exist; owned ones are deleted unless the
    repair brings their target back or they are `kept` (infrastructure)."""
    items: list[DriftItem] = []
    deletes: list[RecordChange] = []
    for (name, rtype), values in sorted(snapshot.items()):
        if rtype != "CNAME":
            continue
        target = values[0]
        in_zone = target == zone or target.endswith("." + zone)
        if not in_zone or target in names:
            continue
        is_owned = (name, rtype) in owned_keys
        items.append(
            DriftItem("dangling", name, rtype, None, list(values), is_owned,
                      f"CNAME ke {target} yang tidak ada (risiko pengambilalihan) / "
                      f"CNAME to {target}, which does not exist (takeover risk)")
        )  # fmt: skip
        if is_owned and target not in restored and (name, rtype) not in kept:
            deletes.append(RecordChange("delete", name, "CNAME", 300, target))
    return items, deletes


def _dead_hosts(
    snapshot: ZoneSnapshot, owned: Iterable[OwnedRecord], serving: Mapping[str, bool]
) -> list[DriftItem]:
    """Owned A/AAAA records that stand as written but whose probed host serves no web."""
    return [
        DriftItem("dangling", rec.name, rec.rtype, rec.value, [rec.value], True,
                  f"{rec.value} tidak melayani web (port 80/443) / {rec.value} serves no "
                  "web (port 80/443)")  # fmt: skip
        for rec in owned
        if rec.rtype in _ADDRESS_TYPES
        and list(snapshot.get((rec.name, rec.rtype), [])) == [rec.value]
        and serving.get(rec.value) is False
    ]


def _in(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)
