"""pebble, the ACME test server, as the lab's certificate authority (runs inside ns1).

pebble listens on ns1's own address (ACME on :14000, management on :15000), resolves the
names it validates through ns1 and validates HTTP-01 on port 80 of the web host the name
points at. Its own HTTPS listener uses a certificate from a small lab CA generated once
(secrets/acme/ca.pem): clients (certbot on the web hosts, the controller's checks) trust
that file. The CA that signs the *issued* certificates is pebble's own and changes at every
pebble start; GET https://<ns1>:15000/roots/0 returns it.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provisioner.lab.files import write_file
from provisioner.lab.hosts import LabHost, Role, hosts_with_role
from provisioner.lab.layout import HostPaths

ACME_PORT = 14000
ACME_MANAGEMENT_PORT = 15000
PEBBLE_DIR = "/etc/pebble"
PEBBLE_SCRIPT = "/etc/provisioner-lab/pebble.sh"
CERT_DAYS = 3650


@dataclass(frozen=True)
class AcmeEndpoints:
    """Where the lab's ACME server answers, and the CA file that verifies its HTTPS."""

    directory_url: str
    roots_url: str
    ca_file: Path


def acme_host() -> LabHost:
    """The lab host pebble runs in (the DNS primary, which it also resolves names through)."""
    return hosts_with_role(Role.DNS_PRIMARY)[0]


def acme_endpoints(secrets_dir: Path) -> AcmeEndpoints:
    """URLs of the lab's pebble and the CA file for its HTTPS listener."""
    address = acme_host().address
    return AcmeEndpoints(
        directory_url=f"https://{address}:{ACME_PORT}/dir",
        roots_url=f"https://{address}:{ACME_MANAGEMENT_PORT}/roots/0",
        ca_file=secrets_dir / "acme" / "ca.pem",
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ensure_tls(secrets_dir: Path, address: str) -> tuple[bytes, bytes]:
    """The lab CA (kept) and pebble's listener certificate for `address`: (cert+key PEMs)."""
    folder = secrets_dir / "acme"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_pem, ca_key_pem = folder / "ca.pem", folder / "ca.key"
    cert_pem, key_pem = folder / "pebble.pem", folder / "pebble.key"
    if cert_pem.exists() and key_pem.exists() and ca_pem.exists():
        return cert_pem.read_bytes(), key_pem.read_bytes()
    now = datetime.datetime.now(datetime.UTC)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provisioner lab ACME CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_file(ca_key_pem, _pem_key(ca_key), mode=0o600)
    write_file(key_pem, _pem_key(key), mode=0o600)
    write_file(cert_pem, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    write_file(ca_pem, ca.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert_pem.read_bytes(), key_pem.read_bytes()


def write_pebble_files(secrets_dir: Path, paths: HostPaths, resolver: str) -> None:
    """pebble's config, listener certificate and start script inside the host's tree.

    Idempotent; written at every `lab up` so a running ns1 gets them too.
    """
    address = acme_host().address
    cert, key = _ensure_tls(secrets_dir, address)
    etc = paths.inside(PEBBLE_DIR)
    config = {
        "pebble": {
            "listenAddress": f"{address}:{ACME_PORT}",
            "managementListenAddress": f"{address}:{ACME_MANAGEMENT_PORT}",
            "certificate": f"{PEBBLE_DIR}/cert.pem",
            "privateKey": f"{PEBBLE_DIR}/key.pem",
            # HTTP-01 on the web host's real port 80 (pebble's default is 5002).
            "httpPort": 80,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    write_file(etc / "cert.pem", cert, mode=0o644)
    write_file(etc / "key.pem", key, mode=0o600)
    write_file(etc / "pebble-config.json", json.dumps(config, indent=2) + "\n")
    # NOSLEEP: no random 0-15 s pause before each validation; NONCEREJECT=0: no deliberately
    # rejected nonces (both are pebble's ways to test clients, not what the lab tests).
    script = f"""#!/bin/sh
# Starts pebble (the lab's ACME CA) if it is not running. Written by `provisioner lab up`.
alive() {{ [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }}
alive /run/pebble.pid && exit 0
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \\
  setsid pebble -config {PEBBLE_DIR}/pebble-config.json -dnsserver {resolver}:53 \\
  >>/var/log/pebble.log 2>&1 </dev/null &
echo $! > /run/pebble.pid
exit 0
"""
    write_file(paths.inside(PEBBLE_SCRIPT), script, mode=0o755)
