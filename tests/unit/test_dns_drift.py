"""Drift decided without a server: a zone snapshot, the registry's rows and the port
probes' facts in; missing, changed and dangling records and the repair plan out — and a
repair over the change limit refused unless forced."""

from __future__ import annotations

import ipaddress

import pytest

from provisioner.domain.dns_drift import (
    OwnedRecord,
    classify,
    ensure_within_limit,
    probe_addresses,
)
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import TooMuchChange, UnsafeChange

ZONE = "demokab.go.id"
SOA = {(ZONE, "SOA"): [f"ns1.{ZONE}. hostmaster.{ZONE}. 2026112301 3600 600 86400 300"]}
LAB = [ipaddress.ip_network("127.0.0.0/8")]


def owned(name: str, value: str, rtype: str = "A") -> OwnedRecord:
    return OwnedRecord(f"{name}.{ZONE}", rtype, value, 300)


def kinds(report) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(i.kind, i.name.split(".")[0]) for i in report.items]


def test_a_zone_as_the_registry_says_has_no_drift_and_an_empty_plan() -> None:
    rows = [owned("sikes", "127.0.2.12")]
    snapshot = {**SOA, (f"sikes.{ZONE}", "A"): ["127.0.2.12"]}
    report = classify(ZONE, snapshot, rows, {"127.0.2.12": True})
    assert report.items == [] and report.summary == []
    assert report.serial == 2026112301 and report.records == 2


def test_a_record_gone_from_the_zone_is_missing_and_created_again() -> None:
    report = classify(ZONE, SOA, [owned("hilang", "127.0.2.12")], {})
    assert kinds(report) == [("missing", "hilang")]
    assert report.summary == [f"+ A hilang.{ZONE} 127.0.2.12 (ttl 300)"]


def test_a_missing_record_whose_name_holds_something_else_is_reported_not_recreated() -> None:
    snapshot = {**SOA, (f"dipakai.{ZONE}", "TXT"): ["orang lain"]}
    report = classify(ZONE, snapshot, [owned("dipakai", "127.0.2.12")], {})
    assert kinds(report) == [("missing", "dipakai")] and report.summary == []


def test_a_value_changed_behind_our_back_is_changed_and_written_back() -> None:
    snapshot = {**SOA, (f"ubah.{ZONE}", "A"): ["127.0.2.11"]}
    report = classify(ZONE, snapshot, [owned("ubah", "127.0.2.12")], {})
    assert kinds(report) == [("changed", "ubah")]
    assert report.items[0].found == ["127.0.2.11"]
    assert report.summary == [f"~ A ubah.{ZONE} 127.0.2.11 → 127.0.2.12 (ttl 300)"]


def test_a_changed_set_of_several_values_is_reported_without_a_repair() -> None:
    snapshot = {**SOA, (f"banyak.{ZONE}", "A"): ["127.0.2.11", "127.0.2.13"]}
    report = classify(ZONE, snapshot, [owned("banyak", "127.0.2.12")], {})
    assert kinds(report) == [("changed", "banyak")] and report.summary == []


def test_a_cname_to_a_missing_name_dangles_and_only_ours_is_deleted() -> None:
    snapshot = {
        **SOA,
        (f"alias.{ZONE}", "CNAME"): [f"hilang.{ZONE}"],
        (f"asing.{ZONE}", "CNAME"): [f"entah.{ZONE}"],
        (f"luar.{ZONE}", "CNAME"): ["example.org"],  # outside the zone: not ours to judge
    }
    report = classify(ZONE, snapshot, [owned("alias", f"hilang.{ZONE}", "CNAME")], {})
    assert ("dangling", "alias") in kinds(report) and ("dangling", "asing") in kinds(report)
    assert not any(i.name.startswith("luar.") for i in report.items)
    assert {i.name: i.owned for i in report.items if i.kind == "dangling"} == {
        f"alias.{ZONE}": True, f"asing.{ZONE}": False,
    }
    assert f"- CNAME alias.{ZONE} hilang.{ZONE} (ttl 300)" in report.summary
    assert not any("asing" in line for line in report.summary)


def test_a_dangling_cname_whose_target_the_repair_restores_is_kept() -> None:
    rows = [owned("alias", f"target.{ZONE}", "CNAME"), owned("target", "127.0.2.12")]
    snapshot = {**SOA, (f"alias.{ZONE}", "CNAME"): [f"target.{ZONE}"]}
    report = classify(ZONE, snapshot, rows, {})
    assert ("dangling", "alias") in kinds(report)
    assert report.summary == [f"+ A target.{ZONE} 127.0.2.12 (ttl 300)"]


def test_an_owned_host_that_serves_no_web_dangles_without_a_repair() -> None:
    rows = [owned("mati", "127.0.2.199"), owned("hidup", "127.0.2.12")]
    snapshot = {**SOA, (f"mati.{ZONE}", "A"): ["127.0.2.199"],
                (f"hidup.{ZONE}", "A"): ["127.0.2.12"]}  # fmt: skip
    report = classify(ZONE, snapshot, rows, {"127.0.2.199": False, "127.0.2.12": True})
    assert kinds(report) == [("dangling", "mati")] and report.summary == []


def test_only_owned_addresses_as_written_and_inside_the_allowed_networks_are_probed() -> None:
    rows = [owned("a", "127.0.2.12"), owned("b", "127.0.2.12"), owned("luar", "192.0.2.7"),
            owned("ubah", "127.0.2.13"), owned("teks", "halo", "TXT")]  # fmt: skip
    snapshot = {(f"a.{ZONE}", "A"): ["127.0.2.12"], (f"b.{ZONE}", "A"): ["127.0.2.12"],
                (f"luar.{ZONE}", "A"): ["192.0.2.7"], (f"ubah.{ZONE}", "A"): ["127.0.2.99"],
                (f"teks.{ZONE}", "TXT"): ["halo"]}  # fmt: skip
    assert probe_addresses(snapshot, rows, LAB) == ["127.0.2.12"]


def test_the_report_checksum_is_the_repair_plans() -> None:
    report = classify(ZONE, SOA, [owned("hilang", "127.0.2.12")], {})
    assert report.checksum == DnsPlan.from_dict(report.plan).checksum()


def _plan(count: int) -> DnsPlan:
    return DnsPlan(ZONE, tuple(
        RecordChange("create", f"r{i}.{ZONE}", "A", 300, "127.0.2.12") for i in range(count)
    ))  # fmt: skip


def test_a_repair_within_the_change_limit_passes() -> None:
    ensure_within_limit(_plan(20), max_changes=20)


def test_a_repair_over_the_change_limit_is_too_much_change() -> None:
    with pytest.raises(TooMuchChange) as caught:
        ensure_within_limit(_plan(21), max_changes=20)
    assert (caught.value.changes, caught.value.limit) == (21, 20)
    assert isinstance(caught.value, UnsafeChange)  # the API answers it 409 like other limits
    assert "21" in caught.value.message and "20" in caught.value.message


def test_a_repair_over_the_change_limit_passes_when_forced() -> None:
    ensure_within_limit(_plan(500), max_changes=20, force=True)


# --- the drift service enforces the limit before anything is sent ---------------------


class _Zone:
    zone = ZONE

    def transfer(self, server: str | None = None, *, step: str = "dns") -> dict:  # type: ignore[type-arg]
        return dict(SOA)  # every owned record is gone


class _Zones:
    zones = [ZONE]

    def for_zone(self, zone: str) -> _Zone:
        return _Zone()


class _Changes:
    zones = _Zones()

    def __init__(self) -> None:
        self.applied: list[DnsPlan] = []

    def apply(self, plan: DnsPlan, *, request_id: int | None, repair: bool = False) -> None:
        self.applied.append(plan)


class _NoProbe:
    def serves(self, address: str, *, timeout: float) -> bool:
        raise AssertionError("nothing to probe here")


@pytest.fixture
def drift(tmp_path):  # type: ignore[no-untyped-def]
    from provisioner.store.db import Store, migrate
    from provisioner.store.repositories import dns as dns_repo
    from provisioner.workflow.monitoring.drift import DriftService

    url = f"sqlite:///{tmp_path / 'drift.db'}"
    migrate(url)
    store = Store(url)
    with store.session() as s:
        for i in range(3):
            change = RecordChange("create", f"r{i}.{ZONE}", "A", 300, "127.0.2.12")
            dns_repo.record_applied(s, ZONE, change, None)
    changes = _Changes()
    service = DriftService(changes, store, _NoProbe(), networks=["127.0.0.0/8"],  # type: ignore[arg-type]
                           probe_timeout=0.1, max_changes=2)
    yield service, changes
    store.dispose()


def test_the_drift_service_refuses_a_repair_over_the_limit_and_sends_nothing(drift) -> None:  # type: ignore[no-untyped-def]
    from provisioner.domain.actors import Actor, Role

    service, changes = drift
    [report] = service.detect()
    assert len(report.summary) == 3
    with pytest.raises(TooMuchChange):
        service.repair(ZONE, report.checksum, Actor("net", Role.NETWORK))
    assert changes.applied == []
    assert service.repair(ZONE, report.checksum, Actor("net", Role.NETWORK), force=True)
    assert [len(p.changes) for p in changes.applied] == [3]
