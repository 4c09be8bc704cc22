"""Pure-ish logic of the DNS area with fakes: the zones file, choosing a zone by name,
the guarded apply path's ownership rules and its back-off (a fake adapter, a real SQLite
store — no DNS server here; the real servers are in tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.adapters.dns.zones import DnsAdapter, DnsZones
from provisioner.bootstrap.configs import zone_configs
from provisioner.config import Settings
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import Conflict, InvalidInput, ServerUnreachable, UnsafeChange
from provisioner.steps.dns_apply import DnsChanges
from provisioner.store.db import Store, migrate
from provisioner.store.repositories import dns as dns_repo


def test_without_a_zones_file_the_single_zone_of_the_settings_is_used(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    [zone] = zone_configs(settings)
    assert (zone.zone, zone.primary) == (settings.zone, settings.dns_primary)
    assert zone.tsig_key_file == settings.tsig_key_path


@pytest.mark.parametrize("suffix", [".json", ".yml"])
def test_zones_file_lists_zones_with_key_paths_relative_to_it(tmp_path: Path, suffix: str) -> None:
    items = [
        {"zone": "demokab.go.id", "primary": "127.0.2.53", "tsig_key_file": "a.json"},
        {"zone": "DemoKota.go.id.", "primary": "127.0.2.63", "tsig_key_file": "k/b.json",
         "primary_name": "ns.demokota.go.id"},
    ]  # fmt: skip
    path = tmp_path / f"zones{suffix}"
    path.write_text(json.dumps(items))  # JSON is YAML too
    zones = zone_configs(Settings(data_dir=tmp_path, zones_file=path))
    assert [z.zone for z in zones] == ["demokab.go.id", "demokota.go.id"]
    assert zones[1].tsig_key_file == tmp_path / "k" / "b.json"
    assert zones[1].primary_name == "ns.demokota.go.id"


@pytest.mark.parametrize("text", ["{}", "[]", "[{\"zone\": \"a.id\"}]", "not: [valid", "[1]",
                                  json.dumps([{"zone": "a.id", "primary": "x",
                                               "tsig_key_file": "k"}] * 2)])  # fmt: skip
def test_a_bad_zones_file_is_invalid_input(tmp_path: Path, text: str) -> None:
    path = tmp_path / "zones.yml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        zone_configs(Settings(data_dir=tmp_path, zones_file=path))
    assert caught.value.field == "zones_file"


def _adapter(zone: str) -> DnsAdapter:
    return DnsAdapter(zone=zone, primary="127.0.2.53", key=None)


def test_the_longest_matching_zone_holds_a_name() -> None:
    zones = DnsZones({z: _adapter(z) for z in ("go.id", "demokab.go.id")})
    assert zones.zone_of("a.dev.demokab.go.id.") == "demokab.go.id"
    assert zones.zone_of("kota.go.id") == "go.id"
    with pytest.raises(InvalidInput):
        zones.zone_of("demokab.go.id.example.org")
    with pytest.raises(InvalidInput):
        zones.for_zone("example.org")


class FakeAdapter:
    """Stands in for DnsAdapter: records what was sent, fails while `down` > 0."""

    zone = "demokab.go.id"
    primary = "127.0.2.53"

    def __init__(self, down: int = 0) -> None:
        self.down = down
        self.sent: list[tuple[list[str], set[str]]] = []

    def apply_all(self, changes, *, exclusive=()) -> None:  # type: ignore[no-untyped-def]
        if self.down:
            self.down -= 1
            raise ServerUnreachable("dns", self.primary, "no answer within 2 s")
        self.sent.append(([c.summary() for c in changes], set(exclusive)))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    migrate(url)
    return Store(url)


def _changes(
    store: Store, fake: FakeAdapter, sleeps: list[float], retry: float = 5.0
) -> DnsChanges:
    zones = DnsZones({fake.zone: fake}, {fake.zone: "ns1.demokab.go.id"})  # type: ignore[dict-item]
    return DnsChanges(zones, store, verify_timeout=1, retry_timeout=retry, sleep=sleeps.append)


def _plan(*changes: RecordChange) -> DnsPlan:
    return DnsPlan("demokab.go.id", changes)


def test_creates_need_the_name_free_and_are_recorded(store: Store) -> None:
    fake, sleeps = FakeAdapter(), []
    changes = _changes(store, fake, sleeps)
    create = RecordChange("create", "a.demokab.go.id", "A", 300, "127.0.2.12")
    changes.apply(_plan(create), request_id=None, verify=False)
    assert fake.sent == [(["+ A a.demokab.go.id 127.0.2.12 (ttl 300)"], {"a.demokab.go.id"})]
    with store.read() as s:
        assert dns_repo.owned_record(s, "a.demokab.go.id", "A").value == "127.0.2.12"  # type: ignore[union-attr]
    # A TXT beside our own A: the name is ours, so it need not be absent.
    txt = RecordChange("create", "a.demokab.go.id", "TXT", 300, "v=1")
    changes.apply(_plan(txt), request_id=None, verify=False)
    assert fake.sent[-1][1] == set()


def test_updates_and_deletes_only_of_owned_records_holding_what_we_wrote(store: Store) -> None:
    fake, sleeps = FakeAdapter(), []
    changes = _changes(store, fake, sleeps)
    with pytest.raises(UnsafeChange):
        changes.apply(_plan(RecordChange("delete", "www.demokab.go.id", "A", 300, "127.0.2.12")),
                      request_id=None, verify=False)  # fmt: skip
    changes.apply(_plan(RecordChange("create", "b.demokab.go.id", "A", 300, "127.0.2.11")),
                  request_id=None, verify=False)  # fmt: skip
    stale = RecordChange("update", "b.demokab.go.id", "A", 300, "127.0.2.12", previous="127.0.2.40")
    with pytest.raises(Conflict):
        changes.apply(_plan(stale), request_id=None, verify=False)
    with pytest.raises(Conflict):
        changes.apply(_plan(RecordChange("delete", "b.demokab.go.id", "A", 300, "127.0.2.40")),
                      request_id=None, verify=False)  # fmt: skip
    assert len(fake.sent) == 1  # the refused plans sent nothing
    changes.apply(_plan(RecordChange("delete", "b.demokab.go.id", "A", 300, "127.0.2.11")),
                  request_id=None, verify=False)  # fmt: skip
    with store.read() as s:
        assert dns_repo.owned_record(s, "b.demokab.go.id", "A") is None


def test_an_unreachable_primary_is_retried_with_back_off(store: Store) -> None:
    fake, sleeps = FakeAdapter(down=3), []
    changes = _changes(store, fake, sleeps)
    lines: list[str] = []
    create = RecordChange("create", "c.demokab.go.id", "A", 300, "127.0.2.12")
    changes.apply(_plan(create), request_id=None, verify=False, log_line=lines.append)
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(fake.sent) == 1
    assert any("ns1.demokab.go.id (127.0.2.53)" in line for line in lines)


def test_a_primary_down_too_long_fails_naming_it_and_nothing_is_recorded(store: Store) -> None:
    fake, sleeps = FakeAdapter(down=100), []
    changes = _changes(store, fake, sleeps, retry=0.0)
    create = RecordChange("create", "d.demokab.go.id", "A", 300, "127.0.2.12")
    with pytest.raises(ServerUnreachable) as caught:
        changes.apply(_plan(create), request_id=None, verify=False)
    assert caught.value.server == "ns1.demokab.go.id (127.0.2.53)"
    assert "nothing was changed" in caught.value.reason
    with store.read() as s:
        assert dns_repo.owned_record(s, "d.demokab.go.id", "A") is None
