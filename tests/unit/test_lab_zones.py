"""The lab's second zone (demokota.go.id): its own key, rendered into both named configs."""

from __future__ import annotations

from datetime import date

from provisioner.lab.configs import render
from provisioner.lab.hosts import LAB_EXTRA_ZONES, host_by_name
from provisioner.lab.keys import TsigKey

MAIN = TsigKey("provisioner-key", "hmac-sha256", "c2VjcmV0")
KOTA = TsigKey("demokota-key", "hmac-sha256", "b3RoZXI=")
EXTRA = [{"zone": "demokota.go.id", "key": KOTA}]


def test_the_second_zone_has_its_own_key_name() -> None:
    assert LAB_EXTRA_ZONES == {"demokota.go.id": "demokota-key"}


def test_primary_serves_the_second_zone_updatable_and_transferable_only_with_its_key() -> None:
    text = render("named-primary.conf.j2", host=host_by_name("ns1"), zone="demokab.go.id",
                  tsig=MAIN, secondaries=["127.0.2.54"], extra_zones=EXTRA)  # fmt: skip
    assert 'include "/etc/bind/demokota-key.key";' in text
    block = text[text.index('zone "demokota.go.id"'):]
    assert "type primary;" in block
    assert "grant demokota-key. zonesub ANY;" in block
    assert "allow-transfer { key demokota-key; };" in block
    assert "provisioner-key" not in block
    assert "allow-new-zones yes;" in text  # bench/dns.py's temporary zones


def test_secondary_transfers_the_second_zone_with_its_key() -> None:
    text = render("named-secondary.conf.j2", host=host_by_name("ns2"), zone="demokab.go.id",
                  tsig=MAIN, primary="127.0.2.53", extra_zones=EXTRA)  # fmt: skip
    block = text[text.index('zone "demokota.go.id"'):]
    assert "primaries { 127.0.2.53 key demokota-key; };" in block


def test_second_zone_file_delegates_to_the_lab_name_servers() -> None:
    text = render("zone.j2", zone="demokota.go.id", serial=2026112301,
                  primary_name="ns1.demokab.go.id",
                  nameservers=[host_by_name("ns1"), host_by_name("ns2")],
                  web_prod="127.0.2.12", ns_zone="demokab.go.id")  # fmt: skip
    assert "@\tIN SOA\tns1.demokab.go.id. hostmaster.demokota.go.id. (" in text
    assert "@\tIN NS\tns2.demokab.go.id." in text
    assert "ns1\tIN A" not in text  # the name servers' addresses live in demokab.go.id
    main = render("zone.j2", zone="demokab.go.id", serial=initial(), primary_name=
                  "ns1.demokab.go.id", nameservers=[host_by_name("ns1")], web_prod="127.0.2.12",
                  ns_zone="demokab.go.id")  # fmt: skip
    assert "ns1\tIN A\t127.0.2.53" in main


def initial() -> int:
    return int(date.today().strftime("%Y%m%d")) * 100 + 1
