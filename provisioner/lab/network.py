"""Lab addresses on `lo`: one /32 per host plus the quickack route that keeps loopback
SSH fast (delayed ACKs otherwise stall every handshake by ~40 ms)."""

from __future__ import annotations

import subprocess

from provisioner.lab.errors import LabError
from provisioner.lab.hosts import ensure_loopback


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def addresses_on_lo() -> set[str]:
    """IPv4 addresses currently on `lo` (without prefix length)."""
    out = _ip("-o", "-4", "addr", "show", "dev", "lo").stdout
    found: set[str] = set()
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            found.add(fields[fields.index("inet") + 1].split("/")[0])
    return found


def add_address(address: str, present: set[str]) -> None:
    """Put `address`/32 on lo (if not there yet) and give its local route quickack."""
    ensure_loopback(address)
    if address not in present:
        _ip("addr", "add", f"{address}/32", "dev", "lo")
    # `change` is idempotent and re-applies quickack even if someone reset the route.
    _ip(
        "route",
        "change",
        "local",
        address,
        "dev",
        "lo",
        "table",
        "local",
        "proto",
        "kernel",
        "scope",
        "host",
        "src",
        address,
        "quickack",
        "1",
    )


def remove_address(address: str, present: set[str]) -> None:
    """Take `address`/32 off lo; its local route goes with it."""
    ensure_loopback(address)
    if address == "127.0.0.1":
        raise LabError("127.0.0.1 bukan alamat lab / 127.0.0.1 is not a lab address")
    if address in present:
        _ip("addr", "del", f"{address}/32", "dev", "lo")
