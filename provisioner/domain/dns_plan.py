"""The plan of DNS record changes shown to the network team before approval.

Pure logic, no I/O. A plan is an ordered tuple of create/update/delete items with a
one-line summary each and a data form for the UI and API (the octoDNS plan/change idea).
Its checksum is stored with the approval; just before applying, the job plans again and
refuses to act if the checksum differs — the team approves exactly what is applied.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from provisioner.domain.errors import InvalidInput, ProtectedRecord, UnsafeChange

Action = Literal["create", "update", "delete"]
RecordType = Literal["A", "AAAA", "CNAME", "TXT"]
ACTIONS: frozenset[str] = frozenset(get_args(Action))
RECORD_TYPES: frozenset[str] = frozenset(get_args(RecordType))
# Types that hold the zone together (delegation, authority, mail, DNSSEC): never ours.
PROTECTED_TYPES: frozenset[str] = frozenset(
    {"NS", "SOA", "MX", "DS", "DNSKEY", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "CDS", "CDNSKEY"}
)
MAX_TTL = 86_400
MAX_TXT_LENGTH = 255  # one character-string; longer values are not needed here

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SYMBOL = {"create": "+", "update": "~", "delete": "-"}


def normalise_name(name: str) -> str:
    """Lower-case and drop the trailing dot: the one spelling used in plans and checks."""
    return name.strip().lower().removesuffix(".")


def _check_hostname(field: str, name: str) -> None:
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(
            field,
            f"'{name[:80]}' bukan nama host yang sah (label a–z, 0–9, tanda hubung, dipisah "
            f"titik, paling panjang 253 karakter) / '{name[:80]}' is not a valid host name "
            "(labels of a–z, 0–9, hyphens, separated by dots, at most 253 characters)",
        )


def canonical_value(rtype: str, value: str, *, field: str = "value") -> str:
    """Return the single canonical spelling of a record value, or raise InvalidInput.

    Canonical forms are what the DNS adapter compares against answers: dotted IPv4,
    compressed IPv6, lower-case target without trailing dot, TXT text unquoted.
    """
    try:
        if rtype == "A":
            return str(ipaddress.IPv4Address(value.strip()))
        if rtype == "AAAA":
            return ipaddress.IPv6Address(value.strip()).compressed
    except ValueError:
        raise InvalidInput(
            field,
            f"'{value[:80]}' bukan alamat {rtype} yang sah / '{value[:80]}' is not a valid "
            f"{rtype} address",
        ) from None
    if rtype == "CNAME":
        target = normalise_name(value)
        _check_hostname(field, target)
        return target
    # TXT: printable ASCII only, so nothing can break out of the record text.
    if len(value) > MAX_TXT_LENGTH or not all(c.isascii() and c.isprintable() for c in value):
        raise InvalidInput(
            field,
            f"Teks TXT harus berupa karakter ASCII yang dapat dicetak, paling panjang "
            f"{MAX_TXT_LENGTH} karakter / TXT text must be printable ASCII, at most "
            f"{MAX_TXT_LENGTH} characters",
        )
    return value


@dataclass(frozen=True)
class RecordChange:
    """One record to create, update (from `previous` to `value`) or delete (`value`).

    Validated and normalised on construction, so a RecordChange that exists is well-formed:
    `name` is a lower-case FQDN without trailing dot and values are canonical.
    """

    action: Action
    name: str
    rtype: RecordType
    ttl: int
    value: str
    previous: str | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise InvalidInput(
                "action",
                f"Aksi '{self.action}' tidak dikenal; gunakan create, update atau delete / "
                f"Unknown action '{self.action}'; use create, update or delete",
            )
        if self.rtype in PROTECTED_TYPES:
            raise UnsafeChange(
                f"Rekaman {self.rtype} dikelola oleh administrator zona, bukan oleh provisioner "
                f"/ {self.rtype} records are managed by the zone's administrator, not by "
                "provisioner"
            )
        if self.rtype not in RECORD_TYPES:
            raise InvalidInput(
                "rtype",
                f"Jenis rekaman '{self.rtype}' tidak didukung; gunakan A, AAAA, CNAME atau TXT "
                f"/ Record type '{self.rtype}' is not supported; use A, AAAA, CNAME or TXT",
            )
        name = normalise_name(self.name)
        _check_hostname("name", name)
        object.__setattr__(self, "name", name)
        if isinstance(self.ttl, bool) or not isinstance(self.ttl, int):
            raise InvalidInput("ttl", "TTL harus bilangan bulat / TTL must be an integer")
        if not 1 <= self.ttl <= MAX_TTL:
            raise InvalidInput(
                "ttl",
                f"TTL harus 1–{MAX_TTL} detik / TTL must be 1–{MAX_TTL} seconds",
            )
        object.__setattr__(self, "value", canonical_value(self.rtype, self.value))
        self._check_previous()

    def _check_previous(self) -> None:
        if self.action != "update":
            if self.previous is not None:
                raise InvalidInput(
                    "previous",
                    "Nilai sebelumnya hanya untuk aksi update / A previous value belongs only "
                    "to an update",
                )
            return
        if self.previous is None:
            raise InvalidInput(
                "previous",
                "Update memerlukan nilai sebelumnya / An update needs the previous value",
            )
        previous = canonical_value(self.rtype, self.previous, field="previous")
        if previous == self.value:
            raise InvalidInput(
                "previous",
                "Nilai baru sama dengan nilai sebelumnya; tidak ada yang berubah / "
                "The new value equals the previous one; nothing would change",
            )
        object.__setattr__(self, "previous", previous)

    def summary(self) -> str:
        """One line, e.g. "+ A sipd.demokab.go.id 127.0.2.12 (ttl 300)"."""
        value = self._shown(self.value)
        if self.action == "update":
            value = f"{self._shown(cast(str, self.previous))} → {value}"
        return f"{_SYMBOL[self.action]} {self.rtype} {self.name} {value} (ttl {self.ttl})"

    def _shown(self, value: str) -> str:
        return json.dumps(value) if self.rtype == "TXT" else value

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON, the API and the checksum."""
        return {
            "action": self.action,
            "name": self.name,
            "rtype": self.rtype,
            "ttl": self.ttl,
            "value": self.value,
            "previous": self.previous,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordChange:
        """Rebuild (and re-validate) a change from `to_dict()` output."""
        try:
            return cls(
                action=data["action"],
                name=data["name"],
                rtype=data["rtype"],
                ttl=data["ttl"],
                value=data["value"],
                previous=data.get("previous"),
            )
        except KeyError as exc:
            raise InvalidInput(
                str(exc.args[0]),
                f"Perubahan rekaman tanpa kolom {exc.args[0]} / Record change lacks the field "
                f"{exc.args[0]}",
            ) from None


@dataclass(frozen=True)
class DnsPlan:
    """An ordered set of record changes for one zone."""

    zone: str
    changes: tuple[RecordChange, ...] = ()

    def __post_init__(self) -> None:
        zone = normalise_name(self.zone)
        _check_hostname("zone", zone)
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "changes", tuple(self.changes))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the UI, the API and storage with the job."""
        return {"zone": self.zone, "changes": [c.to_dict() for c in self.changes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DnsPlan:
        """Rebuild a plan from `to_dict()` output; every change is validated again."""
        changes = tuple(RecordChange.from_dict(c) for c in data.get("changes", ()))
        return cls(zone=data["zone"], changes=changes)

    def checksum(self) -> str:
        """sha256 (hex) over a canonical JSON form: the same plan always gives the same
        sum, and any difference in order, names, values or TTLs changes it."""
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()

    def summary(self) -> list[str]:
        """One line per change, in order."""
        return [c.summary() for c in self.changes]


def guard_plan(
    plan: DnsPlan,
    *,
    owned: Callable[[str, str], bool],
    protected: Callable[[str], bool] = lambda _name: False,
) -> None:
    """Refuse a plan that crosses a safety limit, with UnsafeChange.

    Refused: the zone apex; NS/SOA/MX (and other zone-structure types); names outside
    the zone; two changes to the same name and type, or a CNAME next to other data;
    an update or delete of a record `owned(name, rtype)` says this service did not create;
    any change at a name `protected(name)` says holds an infrastructure record
    (ProtectedRecord).
    """
    seen: dict[str, set[str]] = {}
    for change in plan.changes:
        name, rtype = change.name, change.rtype
        if protected(name):
            raise ProtectedRecord(
                f"{name} memegang rekaman infrastruktur; provisioner tidak pernah mengubahnya "
                f"/ {name} holds an infrastructure record; provisioner never changes it"
            )
        if rtype in PROTECTED_TYPES:  # RecordChange refuses these; kept for defence in depth
            raise UnsafeChange(
                f"Rekaman {rtype} tidak boleh diubah oleh provisioner / {rtype} records may "
                "not be changed by provisioner"
            )
        if name == plan.zone:
            raise UnsafeChange(
                f"Perubahan pada apex zona {plan.zone} tidak diperbolehkan / Changes at the "
                f"zone apex {plan.zone} are not allowed"
            )
        if not name.endswith("." + plan.zone):
            raise UnsafeChange(
                f"{name} berada di luar zona {plan.zone} / {name} is outside the zone {plan.zone}"
            )
        types = seen.setdefault(name, set())
        if rtype in types or "CNAME" in types or (rtype == "CNAME" and types):
            raise UnsafeChange(
                f"Rencana mengubah {name} lebih dari sekali atau mencampur CNAME dengan rekaman "
                f"lain / The plan changes {name} more than once or mixes a CNAME with other "
                "records"
            )
        types.add(rtype)
        if change.action != "create" and not owned(name, rtype):
            raise UnsafeChange(
                f"Rekaman {rtype} {name} tidak dibuat oleh provisioner, jadi tidak boleh diubah "
                f"atau dihapus / The {rtype} record {name} was not created by provisioner, so it "
                "may not be changed or deleted"
            )
