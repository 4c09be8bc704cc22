"""Adopting the records the lab's zone held before provisioner (the hand-made seed of
provisioner/lab/brownfield_dns.py, and records each test makes by hand), against the real
BIND (ns1 primary, ns2 secondary): the list of records nobody owns, adoption one by one and
in bulk after a review (the zone's serial does not move), adopted names on the status page
and in liveness, a guarded change of an adopted record that `dig` sees on every name
server, a hand change in between that the guarded change refuses, infrastructure records
that nothing touches, and the API's 422s.

Every test has a registry of its own; changes "by hand" are plain dnspython with the lab's
key, and the names a test makes are removed afterwards.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import dns.name
import dns.query
import dns.update
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.bootstrap.container import Container, build_container, dns_changes
from provisioner.bootstrap.serve import serve_app
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.dns_adoption import INFRASTRUCTURE, AdoptionWish
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import Conflict, ProtectedRecord
from provisioner.jobs.periodic import liveness_sweep
from provisioner.lab.brownfield_dns import BROWNFIELD_RECORDS, seed_brownfield_dns
from provisioner.steps.dns_apply import DnsChanges
from provisioner.store.models.audit import Event
from provisioner.store.models.liveness import LivenessCheck
from provisioner.store.repositories import dns as dns_repo
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab

NS1, NS2 = "127.0.2.53", "127.0.2.54"
KAB = "demokab.go.id"
WEB_PROD = "127.0.2.12"
PASSWORD = "Kominfo-Demo-2026"
NETWORK = Actor("net-adopt", Role.NETWORK)
SEEDED = {r.fqdn: r for r in BROWNFIELD_RECORDS}
DISDUKCAPIL, KEPEGAWAIAN = f"disdukcapil.{KAB}", f"kepegawaian.{KAB}"
PERPUSTAKAAN, PARIWISATA = f"perpustakaan.{KAB}", f"pariwisata.{KAB}"


@pytest.fixture(scope="module")
def seeded(lab: Settings) -> Settings:
    """The running lab's zone holds the hand-made records (a lab up before they were in the
    template gets them now; added only where the name is absent)."""
    seed_brownfield_dns(lab)
    return lab


@pytest.fixture
def settings(seeded: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("dns-adoption"),
        lab_path=seeded.lab_dir,
        zones_file=seeded.secrets_dir / "zones.json",
        environment="lab",
        dns_verify_timeout=10.0,
        dns_retry_timeout=2.0,
        secret_key="adopt-" + secrets.token_hex(16),
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Container]:
    services = build_container(settings)
    yield services
    services.store.dispose()


@pytest.fixture
def changes(settings: Settings, services: Container) -> DnsChanges:
    return dns_changes(settings, services.store)


@pytest.fixture
def api(services: Container) -> Iterator[TestClient]:
    tokens = {
        "net": add_user(services.store, "net", Role.NETWORK, None, password=PASSWORD),
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan"),
    }
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app, follow_redirects=False) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
def key(seeded: Settings) -> TsigKey:
    return TsigKey.load(seeded.secrets_dir / "tsig.json")


@pytest.fixture
def by_hand(key: TsigKey) -> Iterator[Callable[[str, str], str]]:
    """Make a record by hand (as the agency's admin would): returns its name; every name
    made is removed afterwards."""
    made: list[str] = []

    def make(rtype: str, value: str) -> str:
        name = f"tangan-{secrets.token_hex(4)}.{KAB}"
        made.append(name)
        assert edit(key, lambda u: u.add(fq(name), 300, rtype, value)) == 0
        return name

    yield make
    for name in made:
        edit(key, lambda u, n=name: u.delete(fq(n)))  # type: ignore[misc]


def edit(key: TsigKey, change: Callable[[dns.update.UpdateMessage], object]) -> int:
    """Someone else edits the zone directly (RFC 2136 with dnspython); returns the RCODE."""
    update = dns.update.UpdateMessage(KAB, keyring=key.dns_key())
    change(update)
    return int(dns.query.tcp(update, NS1, timeout=3).rcode())


def fq(name: str) -> dns.name.Name:
    return dns.name.from_text(name)


def dig(server: str, name: str, rtype: str = "A") -> list[str]:
    out = subprocess.run(
        ["dig", f"@{server}", name, rtype, "+short", "+norecurse", "+time=2", "+tries=1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.split())


def shows(server: str, name: str, expected: list[str], timeout: float = 10.0) -> bool:
    """Whether `server` serves `expected` at `name` within `timeout` (a secondary gets a
    change made by hand a moment after the primary)."""
    deadline = time.monotonic() + timeout
    while dig(server, name) != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def serials(timeout: float = 10.0) -> list[int]:
    """The zone's SOA serial on ns1 and on ns2, as `dig` reads it, once ns2 has caught up
    with ns1 (a change made by hand just before reaches the secondary a moment later); as
    found when it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for ns in (NS1, NS2):
            out = subprocess.run(["dig", f"@{ns}", KAB, "SOA", "+short", "+norecurse"],
                                 capture_output=True, text=True, check=True)  # fmt: skip
            found.append(int(out.stdout.split()[2]))
        if found[0] == found[1] or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def every_name_server(services: Container) -> dict[str, str]:
    return services.dns.nameservers()


def auth(api: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[who]}"}  # type: ignore[attr-defined]


def foreign_of(api: TestClient) -> dict[str, dict[str, Any]]:
    answer = api.get(f"/api/v1/dns/adoption?zone={KAB}", headers=auth(api, "net"))
    assert answer.status_code == 200, answer.text
    (zone,) = answer.json()["zones"]
    return {f"{r['name']} {r['rtype']}": r for r in zone["foreign"]}


def record(name: str, rtype: str, value: str, **assign: Any) -> dict[str, Any]:
    return {"name": name, "rtype": rtype, "value": value, **(assign or {"assign": "agency",
            "agency": "Dinas Kependudukan dan Pencatatan Sipil"})}  # fmt: skip


# --- the list ------------------------------------------------------------------------


def test_the_list_holds_the_hand_made_records_and_not_provisioners_nor_the_zone_structure(
    api: TestClient, changes: DnsChanges, by_hand: Callable[[str, str], str]
) -> None:
    ours = by_hand("TXT", '"milik provisioner nanti"')
    changes.apply(DnsPlan(KAB, (RecordChange("create", f"prov-{ours}", "A", 300, WEB_PROD),)),
                  request_id=None)  # fmt: skip
    try:
        found = foreign_of(api)
        for fqdn, seed in SEEDED.items():
            assert found[f"{fqdn} {seed.rtype}"]["adoptable"], fqdn
        assert found[f"{KEPEGAWAIAN} A"]["ttl"] == 3600
        assert found[f"{PARIWISATA} CNAME"]["dangling"] is True  # its target does not exist
        assert "takeover" in found[f"{PARIWISATA} CNAME"]["detail"]
        assert found[f"{PERPUSTAKAAN} CNAME"]["dangling"] is False
        assert found[f"{ours} TXT"]["values"] == ["milik provisioner nanti"]
        assert f"prov-{ours} A" not in found  # provisioner wrote it: owned
        assert not [k for k in found if k.startswith(f"{KAB} ")]  # no SOA, NS, MX at the apex
        assert f"ns1.{KAB} A" not in found and f"ns2.{KAB} A" not in found  # the glue
        opd = api.get("/api/v1/dns/adoption", headers=auth(api, "opd"))
        assert opd.status_code == 403
    finally:
        changes.apply(DnsPlan(KAB, (RecordChange("delete", f"prov-{ours}", "A", 300,
                                                 WEB_PROD),)), request_id=None)  # fmt: skip


# --- adopting ------------------------------------------------------------------------


def test_one_record_then_several_are_adopted_after_review_and_the_zone_is_not_written(
    api: TestClient, services: Container
) -> None:
    one = {"zone": KAB, "records": [record(DISDUKCAPIL, "A", WEB_PROD)]}
    plan = api.post("/api/v1/dns/adoption/plan", json=one, headers=auth(api, "net"))
    assert plan.status_code == 200, plan.text
    assert plan.json()["summary"] == [
        f"= A {DISDUKCAPIL} {WEB_PROD} (ttl 300) → Dinas Kependudukan dan Pencatatan Sipil"
    ]
    with services.store.read() as s:  # the review stores nothing
        assert dns_repo.owned_record(s, DISDUKCAPIL, "A") is None
    wrong = api.post("/api/v1/dns/adoption", json={**one, "checksum": "0" * 64},
                     headers=auth(api, "net"))  # fmt: skip
    assert wrong.status_code == 409, wrong.text
    # The serial is read right around each adoption: other tests may edit the lab's zone.
    before = serials()
    done = api.post("/api/v1/dns/adoption", json={**one, "checksum": plan.json()["checksum"]},
                    headers=auth(api, "net"))  # fmt: skip
    assert serials() == before  # nothing was written to the zone
    assert done.status_code == 200, done.text
    assert done.json()["serial"] == before[0] and done.json()["by"] == "net"

    several = {"zone": KAB, "records": [
        record(KEPEGAWAIAN, "A", WEB_PROD, assign="agency", agency="BKPSDM"),
        record(PERPUSTAKAAN, "CNAME", f"portal.{KAB}.", assign="agency", agency="Dispusip"),
        record(PARIWISATA, "CNAME", f"pariwisata-lama.{KAB}", assign="agency",
               agency="Dinas Pariwisata"),
    ]}  # fmt: skip
    plan = api.post("/api/v1/dns/adoption/plan", json=several, headers=auth(api, "net"))
    assert plan.status_code == 200, plan.text
    assert [i["ttl"] for i in plan.json()["items"]] == [3600, 300, 300]
    before = serials()
    done = api.post("/api/v1/dns/adoption", json={**several, "checksum": plan.json()["checksum"]},
                    headers=auth(api, "net"))  # fmt: skip
    assert serials() == before  # nor now
    assert done.status_code == 200, done.text

    assert dig(NS2, DISDUKCAPIL) == [WEB_PROD] and dig(NS2, KEPEGAWAIAN) == [WEB_PROD]
    with services.store.read() as s:
        row = dns_repo.owned_record(s, KEPEGAWAIAN, "A")
        assert row is not None and (row.value, row.ttl, row.origin, row.owner, row.adopted_by) == (
            WEB_PROD, 3600, "adopted", "BKPSDM", "net")  # fmt: skip
        assert row.adopted_at is not None and row.request_id is None
        events = s.scalars(select(Event).where(Event.action == "dns:adopted")).all()
        assert len(events) == 2 and (events[1].detail or {})["serial"] == before[0]
    left = foreign_of(api)
    assert not {f"{n} {r.rtype}" for n, r in SEEDED.items()} & set(left)
    again = api.post("/api/v1/dns/adoption/plan", json=one, headers=auth(api, "net"))
    assert again.status_code == 422  # owned now: not foreign any more


def test_bad_input_is_422_with_the_field_and_the_reason(api: TestClient) -> None:
    def plan(body: dict[str, Any]) -> Any:
        return api.post("/api/v1/dns/adoption/plan", json=body, headers=auth(api, "net"))

    def fields(answer: Any) -> list[str]:
        assert answer.status_code == 422, answer.text
        return [".".join(str(p) for p in d["loc"][1:]) for d in answer.json()["detail"]]

    mixed = plan({"zone": KAB, "records": [
        record(DISDUKCAPIL, "A", "127.0.2.99"),  # not what the zone holds
        record(KEPEGAWAIAN, "A", WEB_PROD, assign="agency", agency=""),
        record(PERPUSTAKAAN, "CNAME", f"portal.{KAB}", assign=INFRASTRUCTURE, agency="Dinas"),
        record(f"tidak-ada.{KAB}", "A", WEB_PROD),
    ]})  # fmt: skip
    assert fields(mixed) == ["records[0].value", "records[1].agency", "records[2].agency",
                             "records[3].name"]  # fmt: skip
    assert "127.0.2.12" in mixed.json()["detail"][0]["msg"]
    assert fields(plan({"zone": KAB, "records": [record(DISDUKCAPIL, "A", WEB_PROD,
                                                        assign="owner")]})) == [
        "records.0.assign"]  # fmt: skip
    assert fields(plan({"zone": KAB, "records": []})) == ["records"]
    assert fields(
        plan({"zone": "example.org", "records": [record(DISDUKCAPIL, "A", WEB_PROD)]})
    ) == ["zone"]
    assert fields(api.post("/api/v1/dns/adoption", json={
        "zone": KAB, "records": [record(DISDUKCAPIL, "A", WEB_PROD)], "checksum": "abc"},
        headers=auth(api, "net"))) == ["checksum"]  # fmt: skip
    assert fields(
        plan({"zone": KAB, "records": [{**record(DISDUKCAPIL, "A", WEB_PROD), "ttl": 60}]})
    ) == ["records.0.ttl"]


def test_the_cli_lists_and_adopts_every_record_after_the_review_is_confirmed(
    settings: Settings, services: Container
) -> None:
    env = {**os.environ, "PROVISIONER_DATA_DIR": str(settings.data_dir),
           "PROVISIONER_LAB_PATH": str(settings.lab_dir),
           "PROVISIONER_ZONES_FILE": str(settings.zones_file)}  # fmt: skip

    def cli(*args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PROJECT_ROOT / ".venv/bin/provisioner"), "dns", "adopt", "--zone", KAB, *args],
            capture_output=True, text=True, env=env, input=answer, timeout=60, check=False,
        )  # fmt: skip

    listed = cli()
    assert listed.returncode == 0, listed.stderr
    names = {r["name"] for r in json.loads(listed.stdout)[0]["foreign"]}
    assert set(SEEDED) <= names
    refused = cli("--all", "--agency", "Dinas Uji", answer="n\n")
    assert refused.returncode == 1 and "checksum" in refused.stdout
    with services.store.read() as s:
        assert dns_repo.owned_record(s, DISDUKCAPIL, "A") is None
    before = serials()
    adopted = cli("--all", "--agency", "Dinas Uji", answer="y\n")
    assert serials() == before
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert f"= A {DISDUKCAPIL} {WEB_PROD} (ttl 300) → Dinas Uji" in adopted.stdout
    with services.store.read() as s:
        assert all(dns_repo.owned_record(s, n, r.rtype) is not None for n, r in SEEDED.items())
    left = json.loads(cli().stdout)[0]["foreign"]
    assert not set(SEEDED) & {r["name"] for r in left}


# --- monitoring ----------------------------------------------------------------------


def adopt(services: Container, *wishes: AdoptionWish) -> None:
    review = services.dns_adoption.review(NETWORK, KAB, wishes)
    services.dns_adoption.adopt(NETWORK, KAB, wishes, review.checksum)


def test_adopted_names_show_on_the_status_page_and_in_liveness_and_the_dangling_one_fails(
    api: TestClient, services: Container
) -> None:
    adopt(
        services,
        AdoptionWish(DISDUKCAPIL, "A", WEB_PROD, "agency", "Disdukcapil"),
        AdoptionWish(PERPUSTAKAAN, "CNAME", f"portal.{KAB}", "agency", "Dispusip"),
        AdoptionWish(PARIWISATA, "CNAME", f"pariwisata-lama.{KAB}", "agency", "Dispar"),
    )
    servers = set(every_name_server(services))
    status = api.get(f"/api/v1/status/{DISDUKCAPIL}")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["request"] == {"ticket": None, "state": "adopted", "agency": "Disdukcapil",
                               "live_at": None}  # fmt: skip
    assert body["nameservers"] == {ns: [WEB_PROD] for ns in servers}
    alias = api.get(f"/api/v1/status/{PERPUSTAKAAN}").json()  # through its CNAME
    assert alias["nameservers"] == {ns: [WEB_PROD] for ns in servers}
    dangling = api.get(f"/api/v1/status/{PARIWISATA}").json()
    assert dangling["live"] is False and dangling["nameservers"] == {ns: [] for ns in servers}
    assert dangling["request"]["agency"] == "Dispar"
    page = api.get(f"/site/{DISDUKCAPIL}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Disdukcapil" in page.text

    results = liveness_sweep(services.store, services.status)
    assert results[PARIWISATA] is False
    assert {DISDUKCAPIL, PERPUSTAKAAN, PARIWISATA} <= set(results)
    with services.store.read() as s:
        checks = s.scalars(select(LivenessCheck).where(LivenessCheck.fqdn == PARIWISATA)).all()
        assert len(checks) == 1 and checks[0].request_id is None and not checks[0].live
    history = api.get(f"/api/v1/status/{PARIWISATA}/history").json()
    assert len(history) == 1 and history[0]["live"] is False
    # The drift check reports the adopted dangling CNAME as the registry's own.
    drift = services.drift.detect(KAB)[0]
    assert any(i.kind == "dangling" and i.name == PARIWISATA and i.owned for i in drift.items)


# --- later changes -------------------------------------------------------------------


def test_an_adopted_record_is_changed_through_the_guarded_path_and_a_hand_change_refuses_it(
    services: Container, changes: DnsChanges, key: TsigKey, by_hand: Callable[[str, str], str]
) -> None:
    name = by_hand("A", WEB_PROD)
    adopt(services, AdoptionWish(name, "A", WEB_PROD, "agency", "Disdukcapil"))
    retarget = RecordChange("update", name, "A", 300, "127.0.2.11", previous=WEB_PROD)
    seen = changes.apply(DnsPlan(KAB, (retarget,)), request_id=None)
    servers = every_name_server(services)
    assert set(seen[name]) == set(servers)
    assert all(dig(address, name) == ["127.0.2.11"] for address in servers.values())
    with services.store.read() as s:
        row = dns_repo.owned_record(s, name, "A")
        assert row is not None and row.value == "127.0.2.11" and row.owner == "Disdukcapil"

    # Someone changes it by hand; the next guarded change (from what the registry holds)
    # is refused by the primary's prerequisite, and nothing changes.
    assert edit(key, lambda u: u.replace(fq(name), 300, "A", "127.0.2.40")) == 0
    back = RecordChange("update", name, "A", 300, WEB_PROD, previous="127.0.2.11")
    with pytest.raises(Conflict):
        changes.apply(DnsPlan(KAB, (back,)), request_id=None)
    assert dig(NS1, name) == ["127.0.2.40"]
    assert all(shows(address, name, ["127.0.2.40"]) for address in servers.values())
    with services.store.read() as s:
        assert dns_repo.owned_record(s, name, "A").value == "127.0.2.11"  # type: ignore[union-attr]


def test_an_infrastructure_record_is_refused_by_every_later_change(
    services: Container, changes: DnsChanges, key: TsigKey, by_hand: Callable[[str, str], str]
) -> None:
    name = by_hand("A", WEB_PROD)
    adopt(services, AdoptionWish(name, "A", WEB_PROD, INFRASTRUCTURE))
    before = serials()
    for change in (
        RecordChange("update", name, "A", 300, "127.0.2.11", previous=WEB_PROD),
        RecordChange("delete", name, "A", 300, WEB_PROD),
        RecordChange("create", name, "TXT", 300, "milik siapa"),
    ):
        with pytest.raises(ProtectedRecord):
            changes.apply(DnsPlan(KAB, (change,)), request_id=None)
    assert serials() == before  # refused before anything was sent
    assert dig(NS1, name) == [WEB_PROD] and shows(NS2, name, [WEB_PROD])
    # A hand change shows as drift, but the repair plan leaves the record alone.
    assert edit(key, lambda u: u.replace(fq(name), 300, "A", "127.0.2.40")) == 0
    drift = services.drift.detect(KAB)[0]
    assert any(i.kind == "changed" and i.name == name for i in drift.items)
    assert not [line for line in drift.summary if name in line]
    put_back = RecordChange("update", name, "A", 300, WEB_PROD, previous="127.0.2.40")
    with pytest.raises(ProtectedRecord):  # not even to put the adopted value back
        changes.apply(DnsPlan(KAB, (put_back,)), request_id=None)
    assert shows(NS2, name, ["127.0.2.40"])


# --- the page ------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the page"
    return token.group(1)


def sign_in(api: TestClient, username: str) -> None:
    answer = api.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": csrf_of(api.get("/login").text),
        },
    )
    assert answer.status_code == 303, answer.text


def picks(page: str) -> dict[str, str]:
    """name → the checkbox value the list gives its record."""
    found = {}
    for value in re.findall(r'name="pick" id="pick-\d+" value="([^"]+)"', page):
        value = html.unescape(value)
        found[value.split("\t")[1]] = value
    return found


def test_the_network_team_adopts_on_the_page_after_reviewing_the_plan(
    api: TestClient, services: Container, by_hand: Callable[[str, str], str]
) -> None:
    hand = by_hand("A", WEB_PROD)
    sign_in(api, "net")
    page = api.get(f"/dns/adopt?zone={KAB}")
    assert page.status_code == 200, page.text
    assert "Adopsi rekaman DNS yang sudah ada" in page.text and "menggantung" in page.text
    boxes = picks(page.text)
    assert {DISDUKCAPIL, PARIWISATA, hand} <= set(boxes)
    row = boxes[hand].split("\t")[0]
    csrf = csrf_of(page.text)

    # One row without the agency's name: the list again, the mistake next to the row.
    missing = api.post("/dns/adopt/review", data={
        "csrf_token": csrf, "zone": KAB, "bulk": "row", "pick": [boxes[hand]],
        f"assign_{row}": "agency", f"agency_{row}": ""})  # fmt: skip
    assert missing.status_code == 422
    assert f'id="row-error-{row}"' in missing.text and "Nama OPD wajib diisi" in missing.text

    # Two rows, all to one agency: the plan to review, then the confirmation.
    review = api.post("/dns/adopt/review", data={
        "csrf_token": csrf, "zone": KAB, "bulk": "agency", "bulk_agency": "Disdukcapil",
        "pick": [boxes[hand], boxes[DISDUKCAPIL]]})  # fmt: skip
    assert review.status_code == 200, review.text
    assert f'data-record="{hand} A"' in review.text and "Rencana adopsi" in review.text
    with services.store.read() as s:
        assert dns_repo.owned_record(s, hand, "A") is None  # reviewing adopts nothing
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', review.text))
    form = {k: html.unescape(v) for k, v in hidden.items()
            if k in ("csrf_token", "zone", "checksum", "records")}  # fmt: skip
    asked = api.post("/dns/adopt", data=form)
    assert asked.status_code == 200 and "Zona tidak diubah" in asked.text  # the question
    done = api.post("/dns/adopt", data={**form, "confirmed": "yes"})
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/dns/adopt?zone={KAB}&done=adopted&name=2")
    after = api.get(done.headers["location"])
    assert "2 rekaman diadopsi ke registri" in after.text
    assert hand not in picks(after.text)
    with services.store.read() as s:
        row_of = dns_repo.owned_record(s, hand, "A")
        assert row_of is not None and row_of.owner == "Disdukcapil" and row_of.adopted_by == "net"

    api.cookies.set("lang", "en")
    english = api.get(f"/dns/adopt?zone={KAB}")
    assert "Adopt existing DNS records" in english.text and "Adopsi rekaman" not in english.text
    assert api.post("/dns/adopt", data={**form, "confirmed": "yes"}).status_code == 409
