"""The lab's pure parts: the loopback guard, the host table, and what the templates say."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from provisioner.config import PROJECT_ROOT
from provisioner.domain.errors import InvalidInput
from provisioner.lab.configs import render
from provisioner.lab.errors import LabError
from provisioner.lab.hosts import (
    LAB_HOSTS,
    LabHost,
    Role,
    ensure_loopback,
    host_by_name,
    initial_serial,
    mounts_for,
)
from provisioner.lab.keys import TsigKey, parse_tsig_keygen
from provisioner.lab.network import remove_address
from provisioner.lab.packages import LAB_PACKAGES, php_fpm_version

TSIG_KEYGEN_OUTPUT = """key "provisioner-key" {
\talgorithm hmac-sha256;
\tsecret "1wpiEYK0LKRaMb219blywPXT4yMwHAJYPFuJSpeTgRI=";
};
"""


@pytest.mark.parametrize("address", ["127.0.2.53", "127.0.0.1", "127.255.255.254"])
def test_loopback_addresses_are_accepted(address: str) -> None:
    assert ensure_loopback(address) == address


@pytest.mark.parametrize(
    "address", ["10.0.0.1", "128.0.0.1", "192.0.2.2", "0.0.0.0", "::1", "localhost", ""]
)
def test_anything_outside_127_slash_8_is_refused(address: str) -> None:
    with pytest.raises(InvalidInput) as error:
        ensure_loopback(address)
    assert error.value.field == "address"


def test_a_lab_host_cannot_be_defined_off_loopback() -> None:
    with pytest.raises(InvalidInput):
        LabHost("rogue", "192.168.1.10", Role.WEB)


def test_removing_the_machines_own_loopback_address_is_refused() -> None:
    with pytest.raises(LabError):
        remove_address("127.0.0.1", {"127.0.0.1"})


def test_host_names_and_addresses_are_unique_lab_addresses() -> None:
    names = [host.name for host in LAB_HOSTS]
    addresses = [host.address for host in LAB_HOSTS]
    assert len(set(names)) == len(names)
    assert len(set(addresses)) == len(addresses)
    assert "127.0.0.1" not in addresses  # the machine's own services live there


def test_host_table_matches_the_ansible_inventory() -> None:
    inventory = yaml.safe_load((PROJECT_ROOT / "inventories/lab/hosts.yml").read_text())
    listed = {
        name: values["ansible_host"]
        for group in inventory["all"]["children"].values()
        for name, values in group["hosts"].items()
    }
    assert listed == {host.name: host.address for host in LAB_HOSTS}


def test_tmp_is_mounted_last_and_etc_first() -> None:
    for host in LAB_HOSTS:
        mounts = mounts_for(host)
        assert mounts[0] == "etc"
        assert mounts[-1] == "tmp"
    assert "var/lib/mysql" in mounts_for(host_by_name("db"))
    assert "var/lib/mysql" not in mounts_for(host_by_name("web-dev"))


def test_unknown_host_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        host_by_name("mail")


def test_initial_serial_is_yyyymmddnn() -> None:
    assert initial_serial(date(2026, 11, 23)) == 2026112301


def test_tsig_secret_is_read_from_tsig_keygen_output() -> None:
    secret = parse_tsig_keygen(TSIG_KEYGEN_OUTPUT)
    assert secret == "1wpiEYK0LKRaMb219blywPXT4yMwHAJYPFuJSpeTgRI="
    key = TsigKey("provisioner-key", "hmac-sha256", secret)
    assert key.as_json() == {
        "name": "provisioner-key.",
        "algorithm": "hmac-sha256",
        "secret": secret,
    }
    assert parse_tsig_keygen(key.bind_config()) == secret


def test_garbled_tsig_keygen_output_is_a_lab_error() -> None:
    with pytest.raises(LabError):
        parse_tsig_keygen("key {};")


def test_php_fpm_version_picks_the_newest_installed(tmp_path: Path) -> None:
    for name in ("php-fpm8.2", "php-fpm8.10", "php-fpm-wrapper", "php8.2"):
        (tmp_path / name).touch()
    assert php_fpm_version(tmp_path) == "8.10"


def test_no_php_fpm_is_a_lab_error(tmp_path: Path) -> None:
    with pytest.raises(LabError):
        php_fpm_version(tmp_path)


def test_package_list_has_what_the_sample_app_and_checks_need() -> None:
    assert {"php-fpm", "php-mysql", "php-cli", "bind9-dnsutils"} <= set(LAB_PACKAGES)


def test_primary_named_conf_listens_only_on_its_address_and_needs_the_key() -> None:
    ns1 = host_by_name("ns1")
    text = render(
        "named-primary.conf.j2",
        host=ns1,
        zone="demokab.go.id",
        tsig=TsigKey("provisioner-key", "hmac-sha256", "c2VjcmV0"),
        secondaries=["127.0.2.54"],
    )
    assert "listen-on port 53 { 127.0.2.53; };" in text
    assert "listen-on-v6 { none; };" in text
    assert "also-notify { 127.0.2.54; };" in text
    assert "allow-transfer { key provisioner-key; };" in text
    assert "grant provisioner-key. zonesub ANY;" in text
    assert "inet 127.0.2.53 port 953" in text


def test_sshd_config_binds_the_host_address_with_key_only_root_login() -> None:
    text = render("sshd_config.j2", host=host_by_name("git"))
    assert "ListenAddress 127.0.2.40" in text
    assert "PermitRootLogin prohibit-password" in text
    assert "PasswordAuthentication no" in text
    assert "KexAlgorithms curve25519-sha256" in text
