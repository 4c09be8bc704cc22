"""The shape of the lab: which hosts exist, their loopback addresses and roles (pure, no I/O).

Every address is checked against 127.0.0.0/8 when a host is defined, so a typo can never
put a lab daemon (or an `ip addr add`) on a real network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from provisioner.domain.errors import InvalidInput

LOOPBACK_NETWORK = ipaddress.IPv4Network("127.0.0.0/8")
LAB_ZONE = "demokab.go.id"
# A second zone (a city next door) on the same primary/secondary with its OWN TSIG key, to
# prove provisioner keeps zones, primaries and keys apart: zone name -> its key's name.
LAB_EXTRA_ZONES: dict[str, str] = {"demokota.go.id": "demokota-key"}
GIT_REPO_NAME = "sample-app.git"


class Role(StrEnum):
    DNS_PRIMARY = "dns-primary"
    DNS_SECONDARY = "dns-secondary"
    WEB = "web"
    DB = "db"
    GIT = "git"


def ensure_loopback(address: str) -> str:
    """Return `address` unchanged if it is an IPv4 address in 127.0.0.0/8, else raise.

    The lab only ever touches loopback; anything else is refused before any command runs.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError as exc:
        raise InvalidInput(
            "address", f"alamat tidak sah: {address!r} / not an IP address: {address!r}"
        ) from exc
    if not isinstance(parsed, ipaddress.IPv4Address) or parsed not in LOOPBACK_NETWORK:
        raise InvalidInput(
            "address",
            f"alamat lab harus di 127.0.0.0/8: {address} / "
            f"lab addresses must be in 127.0.0.0/8: {address}",
        )
    return address


@dataclass(frozen=True)
class LabHost:
    """One lab host: a name, its own loopback address and the role that says what it runs."""

    name: str
    address: str
    role: Role
    # Who logs in over SSH: root, or a non-root user with passwordless sudo (root's login
    # refused), the way agencies run their servers.
    login: str = "root"

    def __post_init__(self) -> None:
        ensure_loopback(self.address)


LAB_HOSTS: tuple[LabHost, ...] = (
    LabHost("ns1", "127.0.2.53", Role.DNS_PRIMARY),
    LabHost("ns2", "127.0.2.54", Role.DNS_SECONDARY),
    LabHost("web-dev", "127.0.2.11", Role.WEB),
    LabHost("web-prod", "127.0.2.12", Role.WEB),
    LabHost("web-sudo", "127.0.2.13", Role.WEB, login="ops"),
    LabHost("db", "127.0.2.30", Role.DB),
    LabHost("git", "127.0.2.40", Role.GIT),
)

# Directories each host gets privately (bind-mounted over the same path inside its
# namespace). /tmp is always mounted last: the lab's own data directory may live under it.
COMMON_MOUNTS: tuple[str, ...] = ("etc", "root", "home", "run", "var/log", "srv")
ROLE_MOUNTS: dict[Role, tuple[str, ...]] = {
    Role.DNS_PRIMARY: ("var/lib/bind", "var/cache/bind"),
    Role.DNS_SECONDARY: ("var/lib/bind", "var/cache/bind"),
    Role.WEB: ("var/www", "var/lib/apache2", "var/cache/apache2", "var/lib/php"),
    Role.DB: ("var/lib/mysql",),
    Role.GIT: (),
}
LAST_MOUNT = "tmp"


def host_by_name(name: str) -> LabHost:
    """The lab host called `name` (InvalidInput if there is none)."""
    for host in LAB_HOSTS:
        if host.name == name:
            return host
    raise InvalidInput("host", f"host lab tidak dikenal: {name} / unknown lab host: {name}")


def hosts_with_role(role: Role) -> tuple[LabHost, ...]:
    return tuple(host for host in LAB_HOSTS if host.role is role)


def mounts_for(host: LabHost) -> tuple[str, ...]:
    """Private directories of `host` in mount order (relative to /, /tmp last)."""
    return (*COMMON_MOUNTS, *ROLE_MOUNTS[host.role], LAST_MOUNT)


def initial_serial(today: date) -> int:
    """SOA serial in the YYYYMMDDNN convention for a zone first written on `today`."""
    return int(today.strftime("%Y%m%d")) * 100 + 1
