"""The ownership registry, several zones with their own keys, and drift — against the
lab's real BIND (ns1 primary, ns2 secondary, zones demokab.go.id and demokota.go.id).

Changes "behind provisioner's back" are made with plain dnspython and the lab's keys, and
every result is read back with `dig`. Each test uses its own names and removes them.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.update
import dns.xfr
import dns.zone
import pytest
from fastapi.testclient import TestClient

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.bootstrap.container import build_container, build_drift_service, dns_changes
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Role
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import Conflict, InvalidInput, UnsafeChange
from provisioner.steps.dns_apply import DnsChanges
from provisioner.store.repositories import dns as dns_repo
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab

NS1, NS2 = "127.0.2.53", "127.0.2.54"
KAB, KOTA = "demokab.go.id", "demokota.go.id"


@pytest.fixture(scope="module")
def settings(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("dns-registry"),
        lab_path=lab.lab_dir,
        zones_file=lab.secrets_dir / "zones.json",
        dns_verify_timeout=10.0,
        dns_retry_timeout=2.0,
        secret_key="dns-test-" + "k" * 24,
    )


@pytest.fixture(scope="module")
def services(settings: Settings):  # type: ignore[no-untyped-def]
    services = build_container(settings)
    yield services
    services.store.dispose()


@pytest.fixture(scope="module")
def changes(settings: Settings, services) -> DnsChanges:  # type: ignore[no-untyped-def]
    return dns_changes(settings, services.store)


@pytest.fixture(scope="module")
def keys(settings: Settings) -> dict[str, TsigKey]:
    return {
        KAB: TsigKey.load(settings.secrets_dir / "tsig.json"),
        KOTA: TsigKey.load(settings.secrets_dir / f"tsig-{KOTA}.json"),
    }


@pytest.fixture
def names(keys: dict[str, TsigKey]) -> Iterator[list[str]]:
    """Names the test creates (append); all purged afterwards with the zone's own key."""
    created: list[str] = []
    yield created
    for name in created:
        zone = KOTA if name.endswith(KOTA) else KAB
        behind_our_back(keys[zone], zone, lambda u, n=name: u.delete(fq(n)))


def behind_our_back(key: TsigKey, zone: str, edit) -> int:  # type: ignore[no-untyped-def]
    """Someone else edits the zone directly (RFC 2136 with dnspython); returns the RCODE."""
    update = dns.update.UpdateMessage(zone, keyring=key.dns_key())
    edit(update)
    return dns.query.tcp(update, NS1, timeout=3).rcode()


def fq(name: str) -> dns.name.Name:
    """An absolute name (dnspython reads text names in an update relative to the zone)."""
    return dns.name.from_text(name)


def dig(server: str, name: str, rtype: str = "A") -> list[str]:
    out = subprocess.run(
        ["dig", f"@{server}", name, rtype, "+short", "+norecurse", "+time=2", "+tries=1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.split())


def plan(zone: str, *items: RecordChange) -> DnsPlan:
    return DnsPlan(zone=zone, changes=items)


def fresh(zone: str, names: list[str]) -> str:
    name = f"reg-{secrets.token_hex(4)}.{zone}"
    names.append(name)
    return name


# --- ownership registry ------------------------------------------------------------


def test_registry_records_what_was_written_and_guards_updates(
    changes: DnsChanges, services, names: list[str]  # type: ignore[no-untyped-def]
) -> None:
    name = fresh(KAB, names)
    changes.apply(plan(KAB, RecordChange("create", name, "A", 300, "127.0.2.11")), request_id=None)
    with services.store.read() as s:
        row = dns_repo.owned_record(s, name, "A")
        assert row is not None and row.value == "127.0.2.11" and row.active
    # An update that expects a value we did not write is refused before anything is sent.
    with pytest.raises(Conflict):
        changes.apply(
            plan(KAB, RecordChange("update", name, "A", 300, "127.0.2.12", previous="127.0.2.40")),
            request_id=None,
        )
    changes.apply(
        plan(KAB, RecordChange("update", name, "A", 300, "127.0.2.12", previous="127.0.2.11")),
        request_id=None,
    )
    assert dig(NS2, name) == ["127.0.2.12"]
    with services.store.read() as s:
        assert dns_repo.owned_record(s, name, "A").value == "127.0.2.12"  # type: ignore[union-attr]
    changes.apply(plan(KAB, RecordChange("delete", name, "A", 300, "127.0.2.12")), request_id=None)
    assert dig(NS2, name) == []
    with services.store.read() as s:
        assert dns_repo.owned_record(s, name, "A") is None


def test_records_provisioner_did_not_create_are_refused(changes: DnsChanges) -> None:
    serial = dig(NS1, KAB, "SOA")
    with pytest.raises(UnsafeChange) as caught:
        changes.apply(
            plan(KAB, RecordChange("update", f"www.{KAB}", "A", 300, "127.0.2.11",
                                   previous="127.0.2.12")),
            request_id=None,
        )  # fmt: skip
    assert "tidak dibuat oleh provisioner" in caught.value.message
    with pytest.raises(UnsafeChange):
        changes.apply(plan(KAB, RecordChange("delete", f"portal.{KAB}", "A", 300, "127.0.2.12")),
                      request_id=None)  # fmt: skip
    with pytest.raises(UnsafeChange):  # the apex
        changes.apply(plan(KAB, RecordChange("create", KAB, "TXT", 300, "x")), request_id=None)
    with pytest.raises(UnsafeChange):  # NS / MX never
        RecordChange("create", f"sub.{KAB}", "NS", 300, f"ns1.{KAB}")  # type: ignore[arg-type]
    assert dig(NS1, KAB, "SOA") == serial
    assert dig(NS2, f"www.{KAB}") == ["127.0.2.12"]


def test_a_create_needs_the_name_free_and_a_plan_is_all_or_nothing(
    changes: DnsChanges, keys: dict[str, TsigKey], names: list[str]
) -> None:
    taken, free = fresh(KAB, names), fresh(KAB, names)
    # Someone else put a TXT at `taken`: the name exists, so our A there is refused...
    assert behind_our_back(keys[KAB], KAB, lambda u: u.add(fq(taken), 300, "TXT", '"theirs"')) == 0
    with pytest.raises(Conflict):
        changes.apply(
            plan(KAB, RecordChange("create", free, "A", 300, "127.0.2.12"),
                 RecordChange("create", taken, "A", 300, "127.0.2.12")),
            request_id=None,
        )  # fmt: skip
    # ...and the other half of the plan was not written either.
    assert dig(NS1, free) == [] and dig(NS1, taken) == []
    assert dig(NS1, taken, "TXT") == ['"theirs"']


# --- several zones, each with its own key --------------------------------------------


def test_each_zone_goes_to_its_primary_with_its_own_key(
    changes: DnsChanges, keys: dict[str, TsigKey], names: list[str]
) -> None:
    assert changes.zones.zones == [KAB, KOTA]
    assert changes.zones.zone_of(f"a.b.{KOTA}") == KOTA
    with pytest.raises(InvalidInput):
        changes.zones.zone_of("example.org")
    name = fresh(KOTA, names)
    changes.apply(plan(KOTA, RecordChange("create", name, "A", 300, "127.0.2.12")),
                  request_id=None)  # fmt: skip
    assert dig(NS2, name) == ["127.0.2.12"]
    # The other zone's key may neither change nor transfer this zone.
    intruder = fq(f"x.{KOTA}")
    rcode = behind_our_back(keys[KAB], KOTA, lambda u: u.add(intruder, 300, "A", "127.0.2.1"))
    assert rcode == dns.rcode.REFUSED
    assert dig(NS1, f"x.{KOTA}") == []
    with pytest.raises(dns.xfr.TransferError):
        query = dns.message.make_query(KOTA, "AXFR")
        query.use_tsig(keys[KAB].dns_key())
        dns.query.inbound_xfr(NS1, dns.zone.Zone(KOTA), query, timeout=3)


# --- drift ---------------------------------------------------------------------------


def ours(report: dict, names: list[str]) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    return {(i["kind"], i["name"]): i for i in report["items"] if i["name"] in names}


def test_drift_is_reported_and_repaired_through_an_approved_plan(
    settings: Settings, services, changes: DnsChanges,  # type: ignore[no-untyped-def]
    keys: dict[str, TsigKey], names: list[str],
) -> None:  # fmt: skip
    changed, missing, dangling, alias = (fresh(KOTA, names) for _ in range(4))
    unowned = fresh(KOTA, names)
    changes.apply(
        plan(KOTA,
             RecordChange("create", changed, "A", 300, "127.0.2.12"),
             RecordChange("create", missing, "A", 300, "127.0.2.12"),
             RecordChange("create", dangling, "A", 300, "127.0.2.199"),  # nothing serves there
             RecordChange("create", alias, "CNAME", 300, missing)),
        request_id=None,
    )  # fmt: skip
    key = keys[KOTA]
    assert behind_our_back(key, KOTA, lambda u: u.replace(fq(changed), 300, "A", "127.0.2.11")) == 0
    assert behind_our_back(key, KOTA, lambda u: u.delete(fq(missing))) == 0
    gone = f"nowhere-{secrets.token_hex(3)}.{KOTA}"
    assert behind_our_back(key, KOTA, lambda u: u.add(fq(unowned), 300, "CNAME", gone + ".")) == 0

    from provisioner.bootstrap.serve import serve_app  # here: the API is only this test's concern

    net = add_user(services.store, f"net-{secrets.token_hex(2)}", Role.NETWORK, None)
    opd = add_user(services.store, f"opd-{secrets.token_hex(2)}", Role.OPD, "Dinas Kesehatan")
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        assert client.get("/api/v1/dns/drift", headers={"Authorization": f"Bearer {opd}"}
                          ).status_code == 403  # fmt: skip
        answer = client.get(f"/api/v1/dns/drift?zone={KOTA}",
                            headers={"Authorization": f"Bearer {net}"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        report = answer.json()["zones"][0]
        items = ours(report, names)
        assert items[("changed", changed)]["found"] == ["127.0.2.11"]
        assert items[("missing", missing)]["expected"] == "127.0.2.12"
        assert ("dangling", alias) in items  # its target is gone: takeover risk
        assert ("dangling", dangling) in items  # 127.0.2.199 serves nothing
        assert ("dangling", unowned) in items and not items[("dangling", unowned)]["owned"]
        summary = report["summary"]
        assert f"~ A {changed} 127.0.2.11 → 127.0.2.12 (ttl 300)" in summary
        assert f"+ A {missing} 127.0.2.12 (ttl 300)" in summary
        assert not any(unowned in line for line in summary)  # not ours: reported only

        # A checksum that is not the shown plan's is refused, nothing changes.
        wrong = client.post("/api/v1/dns/drift/repair", json={"zone": KOTA, "checksum": "0" * 64},
                            headers={"Authorization": f"Bearer {net}"})  # fmt: skip
        assert wrong.status_code == 409
        assert dig(NS1, changed) == ["127.0.2.11"]
        repaired = client.post(
            "/api/v1/dns/drift/repair", json={"zone": KOTA, "checksum": report["checksum"]},
            headers={"Authorization": f"Bearer {net}"},
        )  # fmt: skip
        assert repaired.status_code == 200, repaired.text
    assert dig(NS2, changed) == ["127.0.2.12"]
    assert dig(NS2, missing) == ["127.0.2.12"]
    assert dig(NS2, unowned, "CNAME") == [gone + "."]  # someone else's: untouched
    after = build_drift_service(settings, services.store).detect(KOTA)[0].to_dict()
    left = ours(after, names)
    assert not [k for k in left if k[0] in ("changed", "missing")], left
    assert ("dangling", alias) not in left


def test_drift_cli_reports_through_the_same_service(settings: Settings) -> None:
    env = {
        **os.environ,
        "PROVISIONER_DATA_DIR": str(settings.data_dir),
        "PROVISIONER_LAB_PATH": str(settings.lab_dir),
        "PROVISIONER_ZONES_FILE": str(settings.zones_file),
    }
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/provisioner"), "dns", "drift", "--zone", KAB],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    assert reports[0]["zone"] == KAB and reports[0]["records"] > 5
    assert len(reports[0]["checksum"]) == 64
    assert Path(settings.zones_file or "").exists()


# --- many names at once --------------------------------------------------------------


def test_bulk_resolution_agrees_with_dig_and_never_calls_a_silent_server_absent() -> None:
    from provisioner.adapters.dns.query import QueryEngine

    free = [f"bulk-{secrets.token_hex(4)}.{KAB}" for _ in range(300)]
    names = [f"www.{KAB}", f"PORTAL.{KAB}", KAB, *free]
    servers = {"ns1": NS1, "ns2": NS2, "silent": "127.0.2.199"}
    answers = QueryEngine().sweep(names, servers, concurrency=64, timeout=0.3)
    assert answers[f"www.{KAB}"]["ns2"] == ("exists", dig(NS2, f"www.{KAB}"))
    assert answers[f"PORTAL.{KAB}"]["ns1"][0] == "exists"
    assert answers[KAB]["ns1"] == ("exists", [])  # the apex holds no A, but exists
    assert all(answers[n]["ns1"] == answers[n]["ns2"] == ("absent", []) for n in free)
    assert {answers[n]["silent"][0] for n in names} == {"unreachable"}
