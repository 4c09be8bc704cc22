"""Adopting what a zone already holds (brownfield), decided without I/O: the zone as its
primary serves it (a zone transfer) and the ownership registry's keys go in; the records
nobody owns, whether each can be adopted, which CNAMEs dangle, and the adoption plan with
its checksum come out.

Foreign: every record set of the zone the registry does not own, except what holds the
zone together — anything at the apex (SOA, NS, MX …), the name servers' own addresses
(glue) and whatever lies below a delegation. A foreign set can be adopted when it is one
value of a type the registry keeps (A, AAAA, CNAME, TXT); the rest stays listed, with the
reason, for the zone's administrator.

Adopting writes nothing to the zone: the record joins the registry with the value it has
now as the prerequisite base, assigned to an agency or marked infrastructure (never to be
touched again). The network team approves exactly the plan it was shown (its checksum),
as the octoDNS plan — and unlike octoDNS `dump` or dnscontrol `get-zones`, nothing is taken
over without that review.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from provisioner.domain.bilingual import Text
from provisioner.domain.dns_plan import (
    PROTECTED_TYPES,
    RECORD_TYPES,
    canonical_value,
    normalise_name,
)
from provisioner.domain.errors import InvalidInput, UnsafeChange

INFRASTRUCTURE = "infrastructure"  # the owner of a record provisioner never touches
ORIGIN_PROVISIONER = "provisioner"  # provisioner wrote the record
ORIGIN_ADOPTED = "adopted"  # the record stood in the zone and was adopted
MAX_OWNER_LENGTH = 200
MAX_ADOPTIONS = 500  # records in one plan: a zone of hundreds is adopted in a few steps

Assign = Literal["agency", "infrastructure"]
TargetAnswer = Literal["exists", "absent", "unknown"]

_NOT_FOREIGN = Text(
    "bukan rekaman tanpa pemilik di zona ini (sudah dimiliki, apex, atau tidak ada)",
    "not a record of this zone that nobody owns (already owned, the apex, or absent)",
)


@dataclass(frozen=True)
class ZoneRecord:
    """One record set as the zone serves it: canonical values (domain.dns_plan spelling)."""

    name: str
    rtype: str
    ttl: int
    values: tuple[str, ...]


@dataclass(frozen=True)
class ForeignRecord:
    """A record set of the zone that the registry does not own. `dangling` is True for a
    CNAME whose target does not exist, None when nobody could say (outside the managed
    zones) and False otherwise."""

    name: str
    rtype: str
    ttl: int
    values: list[str]
    adoptable: bool
    reason: str | None = None  # why it cannot be adopted
    dangling: bool | None = False
    detail: str | None = None  # what was found about the CNAME's target

    @property
    def value(self) -> str:
        return self.values[0] if len(self.values) == 1 else ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AdoptionWish:
    """What the network team asks for one record: the record as it was shown (name, type,
    value) and whom it goes to."""

    name: str
    rtype: str
    value: str
    assign: str  # "agency" | "infrastructure"
    agency: str | None = None


@dataclass(frozen=True)
class Adoption:
    """One record that joins the registry: its value and TTL now, and its owner."""

    name: str
    rtype: str
    value: str
    ttl: int
    owner: str  # the agency, or INFRASTRUCTURE

    @property
    def infrastructure(self) -> bool:
        return self.owner == INFRASTRUCTURE

    def summary(self) -> str:
        """One line, e.g. "= A disdukcapil.demokab.go.id 127.0.2.12 (ttl 300) → Disdukcapil"."""
        value = json.dumps(self.value) if self.rtype == "TXT" else self.value
        owner = INFRASTRUCTURE if self.infrastructure else self.owner
        return f"= {self.rtype} {self.name} {value} (ttl {self.ttl}) → {owner}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rtype": self.rtype,
            "value": self.value,
            "ttl": self.ttl,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class AdoptionPlan:
    """The records of one zone to adopt, in name and type order."""

    zone: str
    items: tuple[Adoption, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "items": [item.to_dict() for item in self.items]}

    def summary(self) -> list[str]:
        return [item.summary() for item in self.items]

    def checksum(self) -> str:
        """sha256 (hex) over a canonical JSON form: a different record, value, TTL, owner
        or zone gives a different sum."""
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()


# --- what the registry does not own --------------------------------------------------


def foreign_records(
    zone: str, records: Iterable[ZoneRecord], owned: Iterable[tuple[str, str]]
) -> list[ForeignRecord]:
    """Every record set of `zone` that no (name, rtype) in `owned` covers, without the
    apex, the name servers' glue and anything below a delegation; by name and type."""
    zone = normalise_name(zone)
    records = list(records)
    owned_keys = set(owned)
    delegations = {
        r.name for r in records if r.rtype == "NS" and r.name != zone and _below(r.name, zone)
    }
    glue = {normalise_name(v) for r in records if r.rtype == "NS" for v in r.values}
    found: list[ForeignRecord] = []
    for record in sorted(records, key=lambda r: (r.name, r.rtype)):
        name = record.name
        if name == zone or not _below(name, zone) or (name, record.rtype) in owned_keys:
            continue
        if name in glue and record.rtype in ("A", "AAAA"):
            continue
        if any(name != cut and _below(name, cut) for cut in delegations):
            continue  # occluded by a delegation: not this zone's data
        found.append(_foreign(record))
    return found


def _foreign(record: ZoneRecord) -> ForeignRecord:
    values = sorted(record.values)
    reason: Text | None = None
    if record.rtype in PROTECTED_TYPES:
        reason = Text(
            f"rekaman {record.rtype} dikelola administrator zona",
            f"{record.rtype} records are the zone administrator's",
        )
    elif record.rtype not in RECORD_TYPES:
        reason = Text(
            f"jenis {record.rtype} tidak dicatat di registri (hanya A, AAAA, CNAME, TXT)",
            f"{record.rtype} is not a type the registry keeps (only A, AAAA, CNAME, TXT)",
        )
    elif len(values) != 1:
        reason = Text(
            f"himpunan {len(values)} nilai; registri mencatat satu nilai per nama dan jenis",
            f"a set of {len(values)} values; the registry keeps one value per name and type",
        )
    return ForeignRecord(
        record.name, record.rtype, record.ttl, values, reason is None,
        reason.joined() if reason else None,
    )  # fmt: skip


def cname_targets(foreign: Iterable[ForeignRecord]) -> list[str]:
    """The targets of the foreign CNAMEs, each once, in order."""
    return list(dict.fromkeys(r.value for r in foreign if r.rtype == "CNAME" and r.value))


def mark_dangling(
    zone: str,
    foreign: Sequence[ForeignRecord],
    names: Iterable[str],
    answers: Mapping[str, TargetAnswer],
) -> list[ForeignRecord]:
    """`foreign` with each CNAME judged as `answers` says (the authoritative servers of the
    target's managed zone) or, for a target of `zone` itself that `answers` does not
    name, by whether `names` (every name of the zone's snapshot) holds it; "unknown"
    (dangling None) for the rest."""
    zone = normalise_name(zone)
    present = set(names)
    judged: list[ForeignRecord] = []
    for record in foreign:
        if record.rtype != "CNAME" or not record.value:
            judged.append(record)
            continue
        target = record.value
        answer: TargetAnswer = answers.get(target, "unknown")
        if target not in answers and _below(target, zone):
            answer = "exists" if target in present else "absent"
        detail = _target_detail(target, answer)
        judged.append(replace(record, dangling=_DANGLING[answer], detail=detail))
    return judged


_DANGLING: dict[str, bool | None] = {"exists": False, "absent": True, "unknown": None}


def _target_detail(target: str, answer: str) -> str:
    if answer == "absent":
        text = Text(
            f"CNAME ke {target} yang tidak ada (risiko pengambilalihan)",
            f"CNAME to {target}, which does not exist (takeover risk)",
        )
    elif answer == "unknown":
        text = Text(
            f"{target} di luar zona yang dikelola; tidak diperiksa",
            f"{target} is outside the managed zones; not checked",
        )
    else:
        text = Text(f"{target} ada", f"{target} exists")
    return text.joined()


# --- the plan --------------------------------------------------------------------------


def bulk_wishes(
    foreign: Iterable[ForeignRecord], assign: str, agency: str | None = None
) -> list[AdoptionWish]:
    """Every adoptable foreign record, all to one agency or all infrastructure."""
    return [AdoptionWish(r.name, r.rtype, r.value, assign, agency) for r in foreign if r.adoptable]


def plan_adoption(
    zone: str, foreign: Sequence[ForeignRecord], wishes: Sequence[AdoptionWish]
) -> AdoptionPlan:
    """The plan that adopts `wishes`, each checked against the foreign records of `zone`
    as the zone serves them now; InvalidInput naming every wish's field that is wrong."""
    _check_count(wishes)
    by_key = {(r.name, r.rtype): r for r in foreign}
    problems: list[tuple[str, str]] = []
    items: dict[tuple[str, str], Adoption] = {}
    for index, wish in enumerate(wishes):
        at = f"records[{index}]"
        key = (normalise_name(wish.name), wish.rtype.strip().upper())
        owner, owner_problem = _owner(wish, at)
        record_problem = _record_problem(at, key, wish, by_key.get(key), seen=items)
        problems += [p for p in (owner_problem, record_problem) if p is not None]
        record = by_key.get(key)
        if record is not None and owner is not None and record_problem is None:
            items[key] = Adoption(record.name, record.rtype, record.value, record.ttl, owner)
    if problems:
        raise InvalidInput.of(problems)
    return AdoptionPlan(normalise_name(zone), tuple(items[key] for key in sorted(items)))


def _check_count(wishes: Sequence[AdoptionWish]) -> None:
    if not wishes:
        raise InvalidInput(
            "records", Text("Pilih paling sedikit satu rekaman", "Choose at least one record")
        )
    if len(wishes) > MAX_ADOPTIONS:
        raise InvalidInput(
            "records",
            Text(
                f"Paling banyak {MAX_ADOPTIONS} rekaman sekali adopsi",
                f"At most {MAX_ADOPTIONS} records in one adoption",
            ),
        )


def _record_problem(
    at: str,
    key: tuple[str, str],
    wish: AdoptionWish,
    record: ForeignRecord | None,
    *,
    seen: Mapping[tuple[str, str], Adoption],
) -> tuple[str, str] | None:
    """What is wrong with the record a wish names, as (field, reason), if anything."""
    name, rtype = key
    if record is None:
        return f"{at}.name", f"{name} ({rtype}): {_NOT_FOREIGN.joined()}"
    if key in seen:
        return f"{at}.name", Text(
            f"{name} ({rtype}) disebut dua kali", f"{name} ({rtype}) is named twice"
        ).joined()
    if not record.adoptable:
        return f"{at}.rtype", record.reason or _NOT_FOREIGN.joined()
    if _spelled(record.rtype, wish.value) != record.value:
        return f"{at}.value", Text(
            f"zona kini berisi {record.value}, bukan {wish.value[:80]}; muat ulang daftar",
            f"the zone now holds {record.value}, not {wish.value[:80]}; reload the list",
        ).joined()
    return None


def ensure_same_adoption(plan: AdoptionPlan, checksum: str) -> None:
    """Refuse (UnsafeChange) unless `plan` is exactly the plan that was shown."""
    if plan.checksum() != checksum:
        raise UnsafeChange(
            Text(
                "Rencana adopsi berubah sejak ditampilkan (zona atau registri berubah); "
                "periksa lagi",
                "The adoption plan changed since it was shown (the zone or the registry "
                "changed); review it again",
            )
        )


def _owner(wish: AdoptionWish, at: str) -> tuple[str | None, tuple[str, str] | None]:
    """The owner a wish names, or the (field, reason) that is wrong with it."""
    if wish.assign == INFRASTRUCTURE:
        if wish.agency:
            return None, (f"{at}.agency", Text(
                "Rekaman infrastruktur tidak diberikan ke OPD",
                "An infrastructure record is not given to an agency",
            ).joined())  # fmt: skip
        return INFRASTRUCTURE, None
    if wish.assign != "agency":
        return None, (f"{at}.assign", Text(
            "Pilih 'agency' (OPD) atau 'infrastructure'",
            "Choose 'agency' or 'infrastructure'",
        ).joined())  # fmt: skip
    agency = " ".join((wish.agency or "").split())
    if not agency:
        return None, (f"{at}.agency", Text(
            "Nama OPD wajib diisi", "The agency's name is required"
        ).joined())  # fmt: skip
    if (
        len(agency) > MAX_OWNER_LENGTH
        or not all(c.isprintable() for c in agency)
        or agency.casefold() == INFRASTRUCTURE
    ):
        return None, (f"{at}.agency", Text(
            f"Nama OPD harus teks biasa, paling panjang {MAX_OWNER_LENGTH} karakter, dan "
            "bukan 'infrastructure'",
            f"The agency's name must be plain text of at most {MAX_OWNER_LENGTH} characters, "
            "and not 'infrastructure'",
        ).joined())  # fmt: skip
    return agency, None


def _spelled(rtype: str, value: str) -> str | None:
    """A wish's value in the zone's canonical spelling; None if it is no such value."""
    try:
        return canonical_value(rtype, value)
    except InvalidInput:
        return None


def _below(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)
