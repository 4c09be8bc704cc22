"""Does each lab service answer? One small client per protocol, short timeouts.

Every probe returns a short description on success and raises ProbeFailed with the
reason otherwise, so a host's report line reads "sshd ok, named ok (serial …)".
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype

from provisioner.lab.acme import ACME_PORT
from provisioner.lab.hosts import GIT_REPO_NAME, LAB_ZONE, LabHost, Role, hosts_with_role
from provisioner.lab.layout import HostPaths

SECONDARY_SYNC_GRACE = 2.0


class ProbeFailed(Exception):
    """A service did not answer as expected; the message says how."""


@dataclass(frozen=True)
class ProbeContext:
    ssh_key: Path
    known_hosts: Path
    lab_dir: Path
    php_version: str
    timeout: float = 1.0


def ssh_banner(address: str, timeout: float) -> str:
    try:
        with socket.create_connection((address, 22), timeout=timeout) as sock:
            banner = sock.makefile("rb").readline(256).decode(errors="replace").strip()
            # Answering with our own identification keeps sshd's log to one line a probe.
            sock.sendall(b"SSH-2.0-provisioner-lab-probe\r\n")
    except OSError as exc:
        raise ProbeFailed(f"sshd: {exc}") from exc
    if not banner.startswith("SSH-2.0-"):
        raise ProbeFailed(f"sshd: unexpected banner {banner!r}")
    return banner


def soa_serial(address: str, timeout: float, zone: str = LAB_ZONE) -> int:
    """The SOA serial `address` serves authoritatively for `zone`."""
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    try:
        answer = dns.query.udp(query, address, timeout=timeout)
    except (dns.exception.DNSException, OSError) as exc:
        raise ProbeFailed(f"named: {exc or type(exc).__name__}") from exc
    if answer.rcode() != dns.rcode.NOERROR or not answer.flags & dns.flags.AA:
        raise ProbeFailed(f"named: {dns.rcode.to_text(answer.rcode())} for SOA {zone}")
    for rrset in answer.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return int(rrset[0].serial)
    raise ProbeFailed(f"named: no SOA for {zone}")


def send_notify(primary: str, secondary: str, timeout: float, zone: str = LAB_ZONE) -> None:
    """NOTIFY `secondary` as if from `primary` (both on lo, so the source can be chosen).

    Used when a secondary missed the primary's own NOTIFY because it started later.
    """
    notify = dns.message.make_query(zone, dns.rdatatype.SOA)
    # dnspython keeps the opcode inside `flags`: set the flags first, then the opcode.
    notify.flags = dns.flags.AA
    notify.set_opcode(dns.opcode.NOTIFY)
    # Best effort: the caller keeps polling the serial either way.
    with contextlib.suppress(dns.exception.DNSException, OSError):
        dns.query.udp(notify, secondary, timeout=timeout, source=primary)


def http_status(address: str, host_header: str, timeout: float) -> int:
    connection = http.client.HTTPConnection(address, 80, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Host": host_header})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError as exc:
        raise ProbeFailed(f"apache: {exc}") from exc
    finally:
        connection.close()


def acme_directory(address: str, ca_file: Path, timeout: float) -> str:
    """pebble's ACME directory answers over HTTPS verified with the lab CA."""
    if not ca_file.exists():
        raise ProbeFailed(f"pebble: {ca_file} tidak ada / missing")
    context = ssl.create_default_context(cafile=str(ca_file))
    conn = http.client.HTTPSConnection(address, ACME_PORT, timeout=timeout, context=context)
    try:
        conn.request("GET", "/dir")
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ProbeFailed(f"pebble: {exc}") from exc
    finally:
        conn.close()
    if response.status != 200 or b"newOrder" not in body:
        raise ProbeFailed(f"pebble: HTTP {response.status}")
    return "pebble ok"


def unix_socket(path: Path, timeout: float, what: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise ProbeFailed(f"{what}: {exc}") from exc


def mariadb_greeting(address: str, timeout: float, port: int = 3306) -> str:
    """The server version from MariaDB's handshake packet (no login needed)."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            reader = sock.makefile("rb")
            header = reader.read(4)
            if len(header) != 4:
                raise ProbeFailed("mariadb: no greeting")
            length = struct.unpack("<I", header[:3] + b"\0")[0]
            payload = reader.read(length)
    except OSError as exc:
        raise ProbeFailed(f"mariadb: {exc}") from exc
    if payload[:1] == b"\xff" and len(payload) >= 3:
        code = struct.unpack("<H", payload[1:3])[0]
        raise ProbeFailed(f"mariadb: error {code}: {payload[3:].decode(errors='replace')}")
    if not payload or payload[0] != 10:
        raise ProbeFailed(f"mariadb: unexpected greeting {payload[:40]!r}")
    version = payload[1 : payload.index(b"\0", 1)].decode(errors="replace")
    # MariaDB prefixes "5.5.5-" so that old MySQL clients accept its version number.
    return version.removeprefix("5.5.5-")


def ssh_command(key: Path, known_hosts: Path, timeout: float) -> str:
    """The ssh invocation every lab client uses: the lab key, strict known_hosts."""
    return (
        f"ssh -F /dev/null -i {key} -o IdentitiesOnly=yes -o BatchMode=yes "
        f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes "
        f"-o ConnectTimeout={max(1, round(timeout))}"
    )


def git_branches(address: str, ctx: ProbeContext, timeout: float) -> list[str]:
    url = f"ssh://root@{address}/srv/git/{GIT_REPO_NAME}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(ctx.lab_dir),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_SSH_COMMAND": ssh_command(ctx.ssh_key, ctx.known_hosts, timeout),
    }
    try:
        result = subprocess.run(
            ["git", "ls-remote", "--heads", url],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout + 2,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeFailed("git: ls-remote timed out") from exc
    if result.returncode != 0:
        raise ProbeFailed(f"git: {result.stderr.strip().splitlines()[-1:]}")
    return [line.split("refs/heads/")[-1] for line in result.stdout.splitlines()]


def _serial_in_step_with_primary(host: LabHost, timeout: float, grace: float) -> int:
    """The secondary's serial once it equals the primary's. Updates by other clients can
    put it a transfer behind (ns2 waits ~0.5 s between transfers), so allow a moment."""
    primary = hosts_with_role(Role.DNS_PRIMARY)[0].address
    deadline = time.monotonic() + grace
    while True:
        serial, expected = soa_serial(host.address, timeout), soa_serial(primary, timeout)
        if serial == expected:
            return serial
        if time.monotonic() >= deadline:
            raise ProbeFailed(f"named: serial {serial}, primary has {expected}")
        time.sleep(0.05)


def probe_host(
    host: LabHost,
    ctx: ProbeContext,
    timeout: float | None = None,
    sync_grace: float = SECONDARY_SYNC_GRACE,
) -> str:
    """Check every service of `host`; the summary on success, ProbeFailed otherwise.

    `sync_grace`: how long a secondary may lag behind the primary's serial.
    """
    limit = ctx.timeout if timeout is None else timeout
    ssh_banner(host.address, limit)
    parts = ["sshd ok"]
    if host.role is Role.DNS_PRIMARY:
        parts.append(f"named ok (serial {soa_serial(host.address, limit)})")
        parts.append(
            acme_directory(host.address, ctx.lab_dir / "secrets" / "acme" / "ca.pem", limit)
        )
    elif host.role is Role.DNS_SECONDARY:
        parts.append(f"named ok (serial {_serial_in_step_with_primary(host, limit, sync_grace)})")
    elif host.role is Role.WEB:
        status = http_status(host.address, host.name, limit)
        parts.append(f"apache ok (HTTP {status})")
        run = HostPaths.of(ctx.lab_dir, host).inside("/run/php")
        unix_socket(run / f"php{ctx.php_version}-fpm.sock", limit, "php-fpm")
        parts.append("php-fpm ok")
    elif host.role is Role.DB:
        parts.append(f"mariadb ok ({mariadb_greeting(host.address, limit)})")
    elif host.role is Role.GIT:
        branches = git_branches(host.address, ctx, limit)
        parts.append(f"git ok ({', '.join(sorted(branches))})")
    return ", ".join(parts)
