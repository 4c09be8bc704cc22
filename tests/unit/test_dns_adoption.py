"""Adoption decided without a server: a zone snapshot and the registry's keys in; the
records nobody owns (without apex, glue and what a delegation hides), which can be adopted
and why not, which CNAMEs dangle, and the plan with its checksum out — and the safety
limits that come with it: a plan approved by another checksum, an infrastructure record."""

from __future__ import annotations

import pytest

from provisioner.domain.dns_adoption import (
    INFRASTRUCTURE,
    AdoptionWish,
    ForeignRecord,
    ZoneRecord,
    bulk_wishes,
    cname_targets,
    ensure_same_adoption,
    foreign_records,
    mark_dangling,
    plan_adoption,
)
from provisioner.domain.dns_drift import OwnedRecord, classify
from provisioner.domain.dns_plan import DnsPlan, RecordChange, guard_plan
from provisioner.domain.errors import InvalidInput, ProtectedRecord, UnsafeChange
from provisioner.lab.brownfield_dns import BROWNFIELD_RECORDS, DANGLING
from provisioner.lab.configs import render
from provisioner.lab.hosts import host_by_name

ZONE = "demokab.go.id"
SOA = f"ns1.{ZONE}. hostmaster.{ZONE}. 2026112301 3600 600 86400 300"


def rec(label: str, rtype: str, *values: str, ttl: int = 300) -> ZoneRecord:
    name = f"{label}.{ZONE}" if label else ZONE
    return ZoneRecord(name, rtype, ttl, tuple(values))


ZONE_AS_FOUND = [
    rec("", "SOA", SOA),
    rec("", "NS", f"ns1.{ZONE}.", f"ns2.{ZONE}."),
    rec("", "MX", f"10 mail.{ZONE}."),
    rec("", "TXT", "v=spf1 mx -all"),
    rec("ns1", "A", "127.0.2.53"),
    rec("ns2", "A", "127.0.2.54"),
    rec("www", "A", "127.0.2.12"),
    rec("disdukcapil", "A", "127.0.2.12"),
    rec("kepegawaian", "A", "127.0.2.12", ttl=3600),
    rec("perpustakaan", "CNAME", f"portal.{ZONE}"),
    rec("portal", "A", "127.0.2.12"),
    rec("pariwisata", "CNAME", f"pariwisata-lama.{ZONE}"),
    rec("toko", "CNAME", "toko.example.net"),
    rec("cdn-kota", "CNAME", "hilang.demokota.go.id"),
    rec("sipd", "A", "127.0.2.12"),  # provisioner's own
    rec("ganda", "A", "127.0.2.12", "127.0.2.11"),
    rec("_sip._tcp", "SRV", f"10 5 5060 sip.{ZONE}."),
    rec("kec", "NS", f"ns.kec.{ZONE}."),  # a delegation …
    rec("ns.kec", "A", "127.0.2.60"),  # … its glue
    rec("desa.kec", "A", "127.0.2.61"),  # … and what it hides
]
OWNED = [(f"sipd.{ZONE}", "A")]


def foreign() -> dict[str, ForeignRecord]:
    return {r.name.removesuffix("." + ZONE): r for r in foreign_records(ZONE, ZONE_AS_FOUND, OWNED)}


def test_foreign_records_leave_out_apex_glue_owned_records_and_what_a_delegation_hides() -> None:
    found = foreign()
    assert ZONE not in found and "sipd" not in found
    assert "ns1" not in found and "ns2" not in found and "ns.kec" not in found
    assert "desa.kec" not in found
    assert {"www", "disdukcapil", "kepegawaian", "perpustakaan", "pariwisata"} <= set(found)


def test_only_single_values_of_the_registry_types_can_be_adopted_and_the_rest_say_why() -> None:
    found = foreign()
    assert found["kepegawaian"].adoptable and found["kepegawaian"].ttl == 3600
    assert not found["ganda"].adoptable and "2" in (found["ganda"].reason or "")
    assert not found["_sip._tcp"].adoptable and "SRV" in (found["_sip._tcp"].reason or "")
    assert not found["kec"].adoptable and "NS" in (found["kec"].reason or "")


def test_a_cname_to_a_missing_name_dangles_and_one_outside_the_managed_zones_is_unknown() -> None:
    records = foreign_records(ZONE, ZONE_AS_FOUND, OWNED)
    names = {r.name for r in ZONE_AS_FOUND}
    targets = cname_targets(records)
    assert f"pariwisata-lama.{ZONE}" in targets and "toko.example.net" in targets
    judged = {r.name.split(".")[0]: r for r in mark_dangling(
        ZONE, records, names, {"hilang.demokota.go.id": "absent"})}  # fmt: skip
    assert judged["pariwisata"].dangling is True
    assert "takeover" in (judged["pariwisata"].detail or "")
    assert judged["perpustakaan"].dangling is False
    assert judged["cdn-kota"].dangling is True  # the other managed zone's servers said absent
    assert judged["toko"].dangling is None  # nobody asked: not in a managed zone
    assert judged["www"].dangling is False


def wish(label: str, rtype: str, value: str, assign: str = "agency",
         agency: str | None = "Disdukcapil") -> AdoptionWish:  # fmt: skip
    return AdoptionWish(f"{label}.{ZONE}", rtype, value, assign, agency)


def test_the_plan_keeps_value_and_ttl_as_found_in_name_order_with_a_stable_checksum() -> None:
    records = foreign_records(ZONE, ZONE_AS_FOUND, OWNED)
    wishes = [wish("kepegawaian", "A", "127.0.2.12", agency="BKPSDM"),
              wish("disdukcapil", "a", "127.0.2.12"),
              wish("www", "A", "127.0.2.12", assign=INFRASTRUCTURE, agency=None)]  # fmt: skip
    plan = plan_adoption(ZONE, records, wishes)
    assert [(i.name.split(".")[0], i.ttl, i.owner) for i in plan.items] == [
        ("disdukcapil", 300, "Disdukcapil"), ("kepegawaian", 3600, "BKPSDM"),
        ("www", 300, INFRASTRUCTURE),
    ]  # fmt: skip
    assert plan.summary()[2] == f"= A www.{ZONE} 127.0.2.12 (ttl 300) → infrastructure"
    assert plan.checksum() == plan_adoption(ZONE, records, list(reversed(wishes))).checksum()
    other = plan_adoption(ZONE, records, [*wishes[:2], wish("www", "A", "127.0.2.12")])
    assert other.checksum() != plan.checksum()  # another owner: another plan
    ensure_same_adoption(plan, plan.checksum())
    with pytest.raises(UnsafeChange):
        ensure_same_adoption(other, plan.checksum())


def test_a_plan_with_mistakes_names_every_wrong_field_at_once() -> None:
    records = foreign_records(ZONE, ZONE_AS_FOUND, OWNED)
    with pytest.raises(InvalidInput) as caught:
        plan_adoption(ZONE, records, [
            wish("sipd", "A", "127.0.2.12"),  # provisioner owns it
            wish("disdukcapil", "A", "127.0.2.99"),  # not what the zone holds
            wish("kepegawaian", "A", "127.0.2.12", agency=" "),
            wish("www", "A", "127.0.2.12", assign=INFRASTRUCTURE, agency="Dinas"),
            wish("portal", "A", "127.0.2.12", assign="owner"),
            wish("ganda", "A", "127.0.2.12"),
            wish("perpustakaan", "CNAME", f"PORTAL.{ZONE}.", agency="infrastructure"),
        ])  # fmt: skip
    fields = [field for field, _ in caught.value.problems]
    assert fields == ["records[0].name", "records[1].value", "records[2].agency",
                      "records[3].agency", "records[4].assign", "records[5].rtype",
                      "records[6].agency"]  # fmt: skip
    with pytest.raises(InvalidInput) as empty:
        plan_adoption(ZONE, records, [])
    assert empty.value.field == "records"
    with pytest.raises(InvalidInput) as twice:
        plan_adoption(ZONE, records, [wish("www", "A", "127.0.2.12")] * 2)
    assert twice.value.field == "records[1].name"


def test_bulk_takes_every_adoptable_record_to_one_owner() -> None:
    records = foreign_records(ZONE, ZONE_AS_FOUND, OWNED)
    plan = plan_adoption(ZONE, records, bulk_wishes(records, INFRASTRUCTURE))
    assert {i.owner for i in plan.items} == {INFRASTRUCTURE}
    assert len(plan.items) == len([r for r in records if r.adoptable])


def test_nothing_is_changed_at_a_name_holding_an_infrastructure_record() -> None:
    plan = DnsPlan(ZONE, (RecordChange("update", f"www.{ZONE}", "A", 300, "127.0.2.11",
                                       previous="127.0.2.12"),))  # fmt: skip
    with pytest.raises(ProtectedRecord):
        guard_plan(plan, owned=lambda *_: True, protected={f"www.{ZONE}"}.__contains__)
    add = DnsPlan(ZONE, (RecordChange("create", f"www.{ZONE}", "TXT", 300, "x"),))
    with pytest.raises(ProtectedRecord):
        guard_plan(add, owned=lambda *_: False, protected={f"www.{ZONE}"}.__contains__)
    guard_plan(plan, owned=lambda *_: True)  # an agency's adopted record: guarded as ours


def test_drift_of_an_infrastructure_record_is_reported_never_repaired() -> None:
    rows = [OwnedRecord(f"www.{ZONE}", "A", "127.0.2.12", 300, protected=True),
            OwnedRecord(f"disdukcapil.{ZONE}", "A", "127.0.2.12", 300)]  # fmt: skip
    snapshot = {(ZONE, "SOA"): [SOA], (f"www.{ZONE}", "A"): ["127.0.2.11"],
                (f"disdukcapil.{ZONE}", "A"): ["127.0.2.11"]}  # fmt: skip
    report = classify(ZONE, snapshot, rows, {})
    assert {(i.kind, i.name) for i in report.items} == {
        ("changed", f"www.{ZONE}"), ("changed", f"disdukcapil.{ZONE}")}  # fmt: skip
    assert report.summary == [f"~ A disdukcapil.{ZONE} 127.0.2.11 → 127.0.2.12 (ttl 300)"]


def test_the_lab_zone_template_seeds_exactly_the_hand_made_records() -> None:
    text = render("zone.j2", zone=ZONE, serial=2026112301, primary_name=f"ns1.{ZONE}",
                  nameservers=[host_by_name("ns1")], web_prod="127.0.2.12",
                  ns_zone=ZONE)  # fmt: skip
    for r in BROWNFIELD_RECORDS:
        ttl = "" if r.ttl == 300 else f"{r.ttl}\t"
        assert f"{r.label}\t{ttl}IN {r.rtype}\t{r.value}\n" in text, r
    assert DANGLING.rtype == "CNAME" and DANGLING.label == "pariwisata"
    other = render("zone.j2", zone="demokota.go.id", serial=2026112301,
                   primary_name=f"ns1.{ZONE}", nameservers=[host_by_name("ns1")],
                   web_prod="127.0.2.12", ns_zone=ZONE)  # fmt: skip
    assert "disdukcapil" not in other
