"""The DNS adapter against the lab's real BIND servers: ns1 (primary, TSIG updates) and
ns2 (secondary). Every result is checked with an independent client (`dig`).

Each test uses its own random label (t-<hex>) and removes what it created.
"""

from __future__ import annotations

import base64
import logging
import secrets
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dns.name
import dns.query
import dns.rcode
import dns.update
import pytest

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.zones import DnsAdapter
from provisioner.config import Settings
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServerUnreachable,
    StepFailed,
)

pytestmark = pytest.mark.lab

NS1, NS2 = "127.0.2.53", "127.0.2.54"
UNUSED = "127.0.2.199"  # a loopback address nobody listens on


@pytest.fixture(scope="module")
def settings(lab: Settings) -> Settings:
    """The lab's settings (tests/conftest.py brings the lab up, or fails)."""
    return lab


@pytest.fixture(scope="module")
def key(settings: Settings) -> TsigKey:
    return TsigKey.load(settings.tsig_key_path)


@pytest.fixture(scope="module")
def adapter(settings: Settings, key: TsigKey) -> DnsAdapter:
    return DnsAdapter(
        zone=settings.zone, primary=settings.dns_primary, key=key, timeout=settings.dns_timeout
    )


@pytest.fixture
def fqdn(settings: Settings, key: TsigKey) -> Iterator[str]:
    """A fresh name in the zone; whatever the test left at it is removed afterwards."""
    name = f"t-{secrets.token_hex(4)}.{settings.zone}"
    yield name
    purge = dns.update.UpdateMessage(settings.zone, keyring=key.dns_key())
    purge.delete(dns.name.from_text(name))
    response = dns.query.tcp(purge, settings.dns_primary, timeout=2)
    assert response.rcode() == dns.rcode.NOERROR


def dig(server: str, name: str, rtype: str = "A") -> list[str]:
    """What an independent client sees: `dig @server name rtype +short`."""
    out = subprocess.run(
        ["dig", f"@{server}", name, rtype, "+short", "+norecurse", "+time=2", "+tries=1"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(out.stdout.split())


def dig_status(server: str, name: str) -> str:
    out = subprocess.run(
        ["dig", f"@{server}", name, "A", "+norecurse", "+time=2", "+tries=1"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split("status: ", 1)[1].split(",", 1)[0]


def create(name: str, value: str = "127.0.2.12", rtype: str = "A") -> RecordChange:
    return RecordChange("create", name, rtype, 300, value)  # type: ignore[arg-type]


def test_nameservers_are_read_from_the_primary(adapter: DnsAdapter, settings: Settings) -> None:
    servers = adapter.nameservers()
    assert sorted(servers.values()) == [NS1, NS2]
    assert all(name.endswith("." + settings.zone) for name in servers)


def test_created_record_is_visible_on_every_server(adapter: DnsAdapter, fqdn: str) -> None:
    change = create(fqdn)
    adapter.apply(change)
    seen = adapter.wait_until_visible(change, timeout=10)
    assert sorted(seen) == sorted(adapter.nameservers())
    assert dig(NS1, fqdn) == ["127.0.2.12"]
    assert dig(NS2, fqdn) == ["127.0.2.12"]
    assert adapter.soa_serial(NS2) == adapter.soa_serial(NS1)


def test_create_twice_is_idempotent(adapter: DnsAdapter, fqdn: str) -> None:
    change = create(fqdn)
    adapter.apply(change)
    serial = adapter.soa_serial(NS1)
    adapter.apply(change)  # a retried job must not fail and must not touch the zone
    assert adapter.soa_serial(NS1) == serial
    adapter.wait_until_visible(change, timeout=10)
    assert dig(NS2, fqdn) == ["127.0.2.12"]


def test_create_over_someone_elses_record_conflicts(adapter: DnsAdapter, fqdn: str) -> None:
    adapter.apply(create(fqdn, "127.0.2.11"))
    with pytest.raises(Conflict) as caught:
        adapter.apply(create(fqdn, "127.0.2.12"))
    assert "seseorang telah mengubahnya" in caught.value.message
    assert "someone else changed it" in caught.value.message
    assert dig(NS1, fqdn) == ["127.0.2.11"]


def test_update_with_wrong_previous_conflicts_and_leaves_the_record(
    adapter: DnsAdapter, fqdn: str
) -> None:
    original = create(fqdn, "127.0.2.11")
    adapter.apply(original)
    adapter.wait_until_visible(original, timeout=10)
    stale = RecordChange("update", fqdn, "A", 300, "127.0.2.12", previous="127.0.2.13")
    with pytest.raises(Conflict) as caught:
        adapter.apply(stale)
    assert "127.0.2.13" in caught.value.message
    assert dig(NS1, fqdn) == ["127.0.2.11"]
    assert dig(NS2, fqdn) == ["127.0.2.11"]


def test_update_with_right_previous_replaces_the_value(adapter: DnsAdapter, fqdn: str) -> None:
    adapter.apply(create(fqdn, "127.0.2.11"))
    update = RecordChange("update", fqdn, "A", 300, "127.0.2.12", previous="127.0.2.11")
    adapter.apply(update)
    adapter.apply(update)  # retry after success: already in place
    adapter.wait_until_visible(update, timeout=10)
    assert dig(NS1, fqdn) == ["127.0.2.12"]
    assert dig(NS2, fqdn) == ["127.0.2.12"]


def test_delete_removes_the_record_everywhere(adapter: DnsAdapter, fqdn: str) -> None:
    adapter.apply(create(fqdn))
    delete = RecordChange("delete", fqdn, "A", 300, "127.0.2.12")
    adapter.apply(delete)
    adapter.apply(delete)  # already gone: fine
    adapter.wait_until_visible(delete, timeout=10)
    assert dig_status(NS1, fqdn) == "NXDOMAIN"
    assert dig_status(NS2, fqdn) == "NXDOMAIN"


def test_delete_of_a_changed_record_conflicts(adapter: DnsAdapter, fqdn: str) -> None:
    adapter.apply(create(fqdn, "127.0.2.11"))
    with pytest.raises(Conflict):
        adapter.apply(RecordChange("delete", fqdn, "A", 300, "127.0.2.12"))
    assert dig(NS1, fqdn) == ["127.0.2.11"]


def test_cname_needs_a_free_name_and_blocks_other_records(
    adapter: DnsAdapter, fqdn: str, settings: Settings
) -> None:
    alias = create(fqdn, f"www.{settings.zone}", "CNAME")
    adapter.apply(alias)
    adapter.apply(alias)  # idempotent for CNAME too
    with pytest.raises(Conflict):
        adapter.apply(create(fqdn, "127.0.2.12"))  # an A beside a CNAME
    with pytest.raises(Conflict):
        adapter.apply(create(fqdn, f"portal.{settings.zone}", "CNAME"))
    adapter.wait_until_visible(alias, timeout=10)
    assert dig(NS2, fqdn, "CNAME") == [f"www.{settings.zone}."]


def test_txt_text_with_quotes_and_semicolons_arrives_verbatim(
    adapter: DnsAdapter, fqdn: str
) -> None:
    text = 'v=1; owner="bappeda" \\ $(id) {{x}}'
    change = create(fqdn, text, "TXT")
    adapter.apply(change)
    adapter.wait_until_visible(change, timeout=10)
    assert adapter.lookup(fqdn, NS2).records == {"TXT": [text]}


def test_unsigned_update_is_refused(settings: Settings, fqdn: str) -> None:
    unsigned = DnsAdapter(zone=settings.zone, primary=settings.dns_primary, key=None)
    with pytest.raises(StepFailed) as caught:
        unsigned.apply(create(fqdn))
    assert caught.value.step == "dns"
    assert caught.value.server == settings.dns_primary
    assert "REFUSED" in caught.value.reason
    assert dig_status(NS1, fqdn) == "NXDOMAIN"


def test_update_signed_with_a_wrong_secret_is_refused(
    settings: Settings, key: TsigKey, fqdn: str
) -> None:
    forged_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    forged = TsigKey(name=key.name, algorithm=key.algorithm, secret=forged_secret)
    wrong = DnsAdapter(zone=settings.zone, primary=settings.dns_primary, key=forged)
    with pytest.raises(StepFailed) as caught:
        wrong.apply(create(fqdn))
    assert "BADSIG" in caught.value.reason
    for shown in (str(caught.value), repr(caught.value), repr(wrong), repr(forged)):
        assert forged_secret not in shown and key.secret not in shown
    assert dig_status(NS1, fqdn) == "NXDOMAIN"


def test_update_signed_with_an_unknown_key_is_refused(settings: Settings, fqdn: str) -> None:
    stranger = TsigKey(
        name="stranger-key.",
        algorithm="hmac-sha256",
        secret=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    wrong = DnsAdapter(zone=settings.zone, primary=settings.dns_primary, key=stranger)
    with pytest.raises(StepFailed) as caught:
        wrong.apply(create(fqdn))
    assert "BADKEY" in caught.value.reason


def test_update_sent_to_the_secondary_is_refused(
    settings: Settings, key: TsigKey, fqdn: str
) -> None:
    secondary = DnsAdapter(zone=settings.zone, primary=NS2, key=key)
    with pytest.raises(StepFailed) as caught:
        secondary.apply(create(fqdn))
    assert caught.value.server == NS2
    assert dig_status(NS1, fqdn) == "NXDOMAIN"


def test_secret_is_never_shown(
    key: TsigKey, adapter: DnsAdapter, fqdn: str, caplog: pytest.LogCaptureFixture
) -> None:
    for shown in (repr(key), str(key), repr(key.dns_key()), str(key.dns_key()), repr(adapter)):
        assert key.secret not in shown
    with caplog.at_level(logging.DEBUG):
        adapter.apply(create(fqdn))
        with pytest.raises(Conflict):
            adapter.apply(create(fqdn, "127.0.2.11"))
    assert caplog.text and key.secret not in caplog.text


def test_key_file_problems_are_reported_without_the_secret(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        TsigKey.load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "k.", "algorithm": "hmac-sha256", "secret": "not base64!!"}')
    with pytest.raises(InvalidInput) as caught:
        TsigKey.load(broken)
    assert "not base64" not in str(caught.value)
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"name": "k.", "secret": "c2VjcmV0"}')
    with pytest.raises(InvalidInput):
        TsigKey.load(truncated)


@pytest.mark.parametrize("label", ["www", "portal"])
def test_existing_names_exist_on_every_server(
    adapter: DnsAdapter, settings: Settings, label: str
) -> None:
    name = f"{label}.{settings.zone}"
    assert set(adapter.availability(name).values()) == {"exists"}
    assert dig_status(NS1, name) == dig_status(NS2, name) == "NOERROR"


def test_a_random_name_is_absent_on_every_server(adapter: DnsAdapter, settings: Settings) -> None:
    name = f"t-{secrets.token_hex(6)}.{settings.zone}"
    started = time.perf_counter()
    result = adapter.availability(name)
    assert time.perf_counter() - started < 1.0  # the SOP's 2 hours, in under a second
    assert set(result.values()) == {"absent"} and len(result) == 2
    assert dig_status(NS1, name) == dig_status(NS2, name) == "NXDOMAIN"


def test_a_cname_makes_the_name_taken(adapter: DnsAdapter, fqdn: str, settings: Settings) -> None:
    alias = create(fqdn, f"www.{settings.zone}", "CNAME")
    adapter.apply(alias)
    adapter.wait_until_visible(alias, timeout=10)
    assert set(adapter.availability(fqdn).values()) == {"exists"}
    answer = adapter.lookup(fqdn, NS2)
    assert answer.rcode == "NOERROR"
    assert answer.records == {"CNAME": [f"www.{settings.zone}"]}


def test_a_name_with_data_only_below_it_exists(adapter: DnsAdapter, fqdn: str) -> None:
    # An empty non-terminal answers NOERROR/NODATA: the name is in use, not free.
    child = create("x." + fqdn)
    adapter.apply(child)
    adapter.wait_until_visible(child, timeout=10)
    try:
        assert set(adapter.availability(fqdn).values()) == {"exists"}
        assert adapter.lookup(fqdn, NS1).records == {}
    finally:
        adapter.apply(RecordChange("delete", "x." + fqdn, "A", 300, "127.0.2.12"))


def test_an_unreachable_server_is_never_reported_absent(
    settings: Settings, key: TsigKey, adapter: DnsAdapter
) -> None:
    quick = DnsAdapter(zone=settings.zone, primary=settings.dns_primary, key=key, timeout=0.5)
    name = f"t-{secrets.token_hex(6)}.{settings.zone}"
    started = time.perf_counter()
    with pytest.raises(ServerUnreachable) as caught:
        quick.lookup(name, UNUSED)
    assert time.perf_counter() - started < 1.0
    assert caught.value.server == UNUSED
    servers = {**adapter.nameservers(), "ghost.example": UNUSED}
    started = time.perf_counter()
    result = quick.availability(name, servers)
    assert time.perf_counter() - started < 1.0
    assert result["ghost.example"].startswith("unreachable: ")
    assert [v for k, v in result.items() if k != "ghost.example"] == ["absent", "absent"]


def test_verification_names_the_lagging_server(adapter: DnsAdapter, fqdn: str) -> None:
    never_applied = create(fqdn)
    started = time.perf_counter()
    with pytest.raises(StepFailed) as caught:
        adapter.wait_until_visible(never_applied, timeout=0.3, step="dns-verify")
    assert 0.3 <= time.perf_counter() - started < 1.5
    assert caught.value.step == "dns-verify"
    assert caught.value.server in adapter.nameservers()
    assert "nothing" in caught.value.reason


def test_timings_stay_within_the_sop_budget(adapter: DnsAdapter, settings: Settings) -> None:
    """Not a benchmark (see the report for figures), a guard against pathologies."""
    durations = []
    for _ in range(5):
        name = f"t-{secrets.token_hex(6)}.{settings.zone}"
        started = time.perf_counter()
        adapter.availability(name)
        durations.append(time.perf_counter() - started)
    assert statistics.median(durations) < 0.25
