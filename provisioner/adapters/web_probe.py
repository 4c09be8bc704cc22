"""Cheap probes of what a web host serves: is a web port open, what does the home page
answer, which certificate is presented for a name, which names have an HTTPS vhost.

Facts only; the status page, the drift check and the renewal decide what they mean.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass

import httpx

from provisioner.adapters.ssh_options import SshConfig, as_root, ssh_command
from provisioner.adapters.tls import CertificateInfo, TlsUnavailable, certificate_info

WEB_PORTS = (80, 443)
SSL_SUFFIX = ".ssl.conf"  # the tls role's sites-enabled/<fqdn>.ssl.conf


@dataclass(frozen=True)
class HomeAnswer:
    """The home page's HTTP status and time, or (error) why there was no answer."""

    status: int | None = None
    ms: float = 0.0
    error: str | None = None


class WebProbe:
    """Probes of the web hosts; listing a host's HTTPS vhosts goes over SSH."""

    def __init__(self, ssh: SshConfig) -> None:
        self.ssh = ssh

    def serves(self, address: str, *, timeout: float) -> bool:
        """Does anything accept a TCP connection on a web port of `address`?"""
        for port in WEB_PORTS:
            try:
                with socket.create_connection((address, port), timeout=timeout):
                    return True
            except OSError:
                continue
        return False

    def home(self, address: str, fqdn: str, *, timeout: float = 3.0) -> HomeAnswer:
        """GET / from `address` with the site's Host header (DNS plays no part)."""
        started = time.perf_counter()
        try:
            resp = httpx.get(f"http://{address}/", headers={"Host": fqdn}, timeout=timeout)
        except httpx.HTTPError as exc:
            return HomeAnswer(error=f"{type(exc).__name__}: {exc}")
        return HomeAnswer(resp.status_code, round((time.perf_counter() - started) * 1000, 1))

    def certificate(
        self, address: str, fqdn: str, *, timeout: float = 5.0
    ) -> CertificateInfo | None:
        """The certificate `address` presents for SNI `fqdn`, unverified; None without a
        TLS handshake."""
        try:
            return certificate_info(address, fqdn, timeout=timeout)
        except TlsUnavailable:
            return None

    def https_sites(self, address: str) -> list[str]:
        """Names with an HTTPS vhost from the tls role on the web server at `address`.
        Raises OSError / subprocess.SubprocessError when the host cannot be asked."""
        out = subprocess.run(
            [
                *ssh_command(self.ssh),
                address,
                as_root("ls /etc/apache2/sites-enabled/", self.ssh.login(address)),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return sorted(
            name[: -len(SSL_SUFFIX)] for name in out.stdout.split() if name.endswith(SSL_SUFFIX)
        )
