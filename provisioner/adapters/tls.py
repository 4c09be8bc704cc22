"""Reading a site's TLS certificate over the wire: its expiry (for renewal) and whether its
chain verifies for the name (for the post-deploy checks). Facts only: whether that is good
enough is provisioner.domain.acceptance's call.

Connections go to the web server's address with the site's name as SNI, so neither depends
on DNS pointing at the server yet.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

HTTPS_PORT = 443


@dataclass(frozen=True)
class TlsConfig:
    """The ACME directory certificates come from (and the CA file of its HTTPS), the test
    CA's roots URL for verification (None: the system store), the account's contact and
    the renewal window in days."""

    acme_directory_url: str
    acme_ca_file: Path
    acme_roots_url: str | None
    acme_email: str
    renew_days: int


@dataclass(frozen=True)
class CertificateInfo:
    """What a server presented for a name."""

    not_after: datetime
    days_left: int
    subject_names: list[str]


class TlsUnavailable(Exception):
    """No TLS handshake with the server for that name (refused, timed out, no certificate)."""


def certificate_info(
    address: str, fqdn: str, *, port: int = HTTPS_PORT, timeout: float = 5.0
) -> CertificateInfo:
    """The certificate `address` presents for SNI `fqdn`, read without verifying it.

    Raises TlsUnavailable when there is no handshake. Verification is verify_chain's job;
    the renewal only needs the date, even from a certificate a restarted lab CA no longer
    signs.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=fqdn) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise TlsUnavailable(f"{address}:{port} ({fqdn}): {exc}") from exc
    if not der:
        raise TlsUnavailable(f"{address}:{port} ({fqdn}): no certificate")
    cert = x509.load_der_x509_certificate(der)
    not_after = cert.not_valid_after_utc
    try:
        names = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    days = int((not_after - datetime.now(UTC)).total_seconds() // 86400)
    return CertificateInfo(not_after=not_after, days_left=days, subject_names=list(names))


@dataclass(frozen=True)
class ChainCheck:
    """What a verifying handshake showed: the certificate's end and days left, or (problem)
    why the chain or the name did not verify, or why there was no TLS at all."""

    not_after: datetime | None = None
    days_left: int | None = None
    problem: str | None = None


def verify_chain(
    address: str,
    fqdn: str,
    *,
    ca_file: str | None = None,
    port: int = HTTPS_PORT,
    timeout: float = 5.0,
) -> ChainCheck:
    """Handshake with verification: the chain against `ca_file` (else the system store),
    the certificate valid for `fqdn`."""
    context = ssl.create_default_context(cafile=ca_file)
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=fqdn) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        return ChainCheck(
            problem=f"sertifikat tidak sah / certificate not valid: {exc.verify_message}"
        )
    except (OSError, ssl.SSLError) as exc:
        return ChainCheck(problem=f"tidak ada TLS / no TLS at {address}:{port}: {exc}")
    assert der is not None
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    days = int((not_after - datetime.now(UTC)).total_seconds() // 86400)
    return ChainCheck(not_after=not_after, days_left=days)


def fetch_ca_roots(roots_url: str, ca_file: str | None, *, timeout: float = 5.0) -> str:
    """PEM of the roots an ACME test CA currently issues under (pebble's /roots/0).

    pebble makes a new root at every start; the lab verifies issued certificates with it.
    """
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    response = httpx.get(roots_url, verify=verify, timeout=timeout, trust_env=False)
    response.raise_for_status()
    return response.text


def tls_extravars(
    config: TlsConfig, fqdn: str, *, force: bool = False, directory_url: str | None = None
) -> dict[str, Any]:
    """Extra vars of tls.yml for `fqdn`; `directory_url` (the one the approved plan names)
    overrides the configured ACME directory."""
    ca_file = config.acme_ca_file
    return {
        "site_fqdn": fqdn,
        "tls_acme_directory_url": directory_url or config.acme_directory_url,
        "tls_acme_ca_file": str(ca_file) if ca_file.exists() else "",
        "tls_acme_email": config.acme_email,
        "tls_renew_days": config.renew_days,
        "tls_force": force,
    }


def verification_roots(config: TlsConfig, dest: Path) -> str | None:
    """The CA file that sites' certificates are verified with: with `acme_roots_url` (a test
    CA like the lab's pebble, whose root changes at each start) its current roots, written to
    `dest`; without it None, the system store. Raises TlsUnavailable when the roots URL does
    not answer."""
    if not config.acme_roots_url:
        return None
    ca = config.acme_ca_file
    try:
        pem = fetch_ca_roots(config.acme_roots_url, str(ca) if ca.exists() else None)
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        raise TlsUnavailable(f"{config.acme_roots_url}: {exc}") from exc
    # pebble makes a new root at each start, and certificates issued before a restart stay
    # in use until renewal: trust every root seen so far (a test CA only), not just today's.
    seen_file = ca.parent / "roots-seen.pem"
    seen = _pem_blocks(seen_file.read_text()) if seen_file.exists() else []
    for block in _pem_blocks(pem):
        if block not in seen:
            seen.append(block)
    if seen_file.parent.exists():
        seen_file.write_text("".join(seen))
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(seen))
    return str(dest)


def _pem_blocks(text: str) -> list[str]:
    """The certificates of a PEM bundle, each as its own normalised block."""
    end = "-----END CERTIFICATE-----"
    return [part.strip() + "\n" + end + "\n" for part in text.split(end) if part.strip()]
