"""A baseline security scan of one site for the feasibility tests ("Pengujian Kelayakan"):
the security headers of its home page, whether the server hides its version, whether plain
HTTP redirects to HTTPS, and the TLS the server negotiates with the certificate it shows.

Connections go to the web server's `address` with the site's name as Host header and SNI,
so DNS plays no part. Each finding is a fact with its own pass/fail; what to do about a
failed one is for the caller.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from provisioner.adapters.load_test import check_address

GOOD_TLS = ("TLSv1.2", "TLSv1.3")
HEADER_FINDINGS = (
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "referrer-policy",
    "server-version-hidden",
)
TLS_FINDINGS = ("tls-version", "certificate-valid", "certificate-name")
_VERSION = re.compile(r"/\s*v?\d|\b\d+(\.\d+)+\b")
_WEAK_REFERRER = {"unsafe-url", "no-referrer-when-downgrade"}
_DETAIL_MAX = 200


@dataclass(frozen=True)
class ScanFinding:
    """One check: its name, whether it passed, and what was seen (short)."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class ScanResult:
    """The findings for the site at `url` (the home page whose headers were read)."""

    url: str
    findings: tuple[ScanFinding, ...]

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.findings)

    def finding(self, name: str) -> ScanFinding:
        """The finding called `name` (KeyError when there is none)."""
        for f in self.findings:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_data(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "passed": self.passed,
            "findings": [
                {"name": f.name, "passed": f.passed, "detail": f.detail} for f in self.findings
            ],
        }


@dataclass(frozen=True)
class _Tls:
    """What the handshakes showed, or (error) why there was none."""

    version: str | None = None
    der: bytes | None = None
    verify_error: str | None = None
    error: str | None = None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _authority(name: str, port: int, default: int) -> str:
    return name if port == default else f"{name}:{port}"


# --- TLS ------------------------------------------------------------------------------


def _handshake(
    address: str, host: str, port: int, context: ssl.SSLContext, timeout: float
) -> tuple[str | None, bytes | None]:
    with (
        socket.create_connection((address, port), timeout=timeout) as sock,
        context.wrap_socket(sock, server_hostname=host) as tls,
    ):
        return tls.version(), tls.getpeercert(binary_form=True)


def _probe_tls(address: str, host: str, port: int, ca_file: Path | None, timeout: float) -> _Tls:
    """One handshake that accepts anything (the version and certificate as offered, old
    protocols included), then one verifying the chain against `ca_file` (else the system
    store); the names are matched separately."""
    lax = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    lax.check_hostname = False
    lax.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ValueError, ssl.SSLError):
        lax.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        lax.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        version, der = _handshake(address, host, port, lax, timeout)
    except (OSError, ssl.SSLError) as exc:
        return _Tls(error=f"tidak ada TLS / no TLS at {address}:{port}: {exc}")
    if not der:
        return _Tls(version=version, error="tidak ada sertifikat / no certificate")
    strict = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    strict.check_hostname = False  # the name is its own finding
    verify_error = None
    try:
        _handshake(address, host, port, strict, timeout)
    except ssl.SSLCertVerificationError as exc:
        verify_error = str(exc.verify_message or exc)
    except (OSError, ssl.SSLError) as exc:
        verify_error = str(exc)
    return _Tls(version=version, der=der, verify_error=verify_error)


def _names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """The certificate's DNS and IP names (the subject CN only without any SAN)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return [str(cn.value) for cn in cns], []
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return list(san.get_values_for_type(x509.DNSName)), ips


def _name_matches(host: str, dns_names: list[str], ips: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(value) == ip for value in ips)
    host = host.rstrip(".").lower()
    for name in (n.rstrip(".").lower() for n in dns_names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _tls_findings(tls: _Tls, host: str) -> list[ScanFinding]:
    if tls.error or tls.der is None:
        reason = tls.error or "tidak ada sertifikat / no certificate"
        return [ScanFinding(name, False, _short(reason)) for name in TLS_FINDINGS]
    version = tls.version or "?"
    cert = x509.load_der_x509_certificate(tls.der)
    now = datetime.now(UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    in_dates = start <= now <= end
    dates = f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}"
    if not in_dates:
        valid_detail = f"di luar masa berlaku / outside validity {dates}"
    elif tls.verify_error:
        valid_detail = f"berlaku {dates}, rantai tidak sah / chain not verified: {tls.verify_error}"
    else:
        valid_detail = f"berlaku / valid {dates}, rantai sah / chain verified"
    dns_names, ips = _names(cert)
    names = ", ".join(dns_names + ips) or "-"
    matched = _name_matches(host, dns_names, ips)
    return [
        ScanFinding("tls-version", version in GOOD_TLS, version),
        ScanFinding("certificate-valid", in_dates and not tls.verify_error, _short(valid_detail)),
        ScanFinding(
            "certificate-name",
            matched,
            _short(
                f"{host} {'ada di' if matched else 'tidak ada di'} / "
                f"{'in' if matched else 'not in'}: {names}"
            ),
        ),
    ]


# --- HTTP -----------------------------------------------------------------------------


def _header_findings(
    response: httpx.Response | None, over_https: bool, reason: str
) -> list[ScanFinding]:
    """The header findings of the home page's answer (None: no answer, `reason` why)."""
    if response is None:
        return [ScanFinding(name, False, _short(reason)) for name in HEADER_FINDINGS]
    h = response.headers

    def seen(name: str) -> str:
        value = h.get(name)
        return _short(f"{name}: {value}") if value is not None else f"{name} tidak ada / missing"

    hsts = h.get("strict-transport-security", "")
    max_age = re.search(r"max-age\s*=\s*\"?(\d+)", hsts, re.IGNORECASE)
    if not over_https:
        hsts_finding = ScanFinding(
            "strict-transport-security", False, _short(f"tanpa HTTPS / no HTTPS: {reason}")
        )
    else:
        hsts_finding = ScanFinding(
            "strict-transport-security",
            bool(max_age and int(max_age.group(1)) > 0),
            seen("strict-transport-security"),
        )
    csp = h.get("content-security-policy", "")
    xfo = h.get("x-frame-options", "").strip().lower()
    frame_ok = xfo in ("deny", "sameorigin") or "frame-ancestors" in csp.lower()
    referrer = [p.strip().lower() for p in h.get("referrer-policy", "").split(",") if p.strip()]
    server = h.get("server")
    return [
        hsts_finding,
        ScanFinding(
            "x-content-type-options",
            h.get("x-content-type-options", "").strip().lower() == "nosniff",
            seen("x-content-type-options"),
        ),
        ScanFinding(
            "x-frame-options",
            frame_ok,
            seen("x-frame-options")
            if xfo or not csp
            else _short(f"content-security-policy: {csp}"),
        ),
        ScanFinding("content-security-policy", bool(csp.strip()), seen("content-security-policy")),
        ScanFinding(
            "referrer-policy",
            bool(referrer) and referrer[-1] not in _WEAK_REFERRER,
            seen("referrer-policy"),
        ),
        ScanFinding(
            "server-version-hidden", server is None or not _VERSION.search(server), seen("server")
        ),
    ]


def _redirect_finding(response: httpx.Response | None, error: str | None) -> ScanFinding:
    if response is None:
        return ScanFinding(
            "http-redirects-to-https",
            False,
            _short(f"HTTP tidak menjawab / no HTTP answer: {error}"),
        )
    location = response.headers.get("location", "")
    passed = response.is_redirect and location.lower().startswith("https://")
    detail = f"HTTP {response.status_code}" + (f" → {location}" if location else "")
    return ScanFinding("http-redirects-to-https", passed, _short(detail))


def scan_site(
    address: str,
    host: str,
    *,
    https_port: int = 443,
    http_port: int = 80,
    ca_file: Path | None = None,
    timeout: float = 5.0,
    allowed_networks: Sequence[str] = ("127.0.0.0/8",),
) -> ScanResult:
    """Scan the site `host` served at `address`: headers of the HTTPS home page (of the HTTP
    one when no TLS answers, and then the TLS findings fail with the reason), TLS version
    and certificate, and the HTTP → HTTPS redirect (a GET on `http_port`, not followed).

    Raises ValueError for an address outside `allowed_networks`.
    """
    check_address(address, allowed_networks)
    tls = _probe_tls(address, host, https_port, ca_file, timeout)
    https_url = f"https://{_authority(_url_host(address), https_port, 443)}/"
    http_url = f"http://{_authority(_url_host(address), http_port, 80)}/"
    home: httpx.Response | None = None
    plain: httpx.Response | None = None
    plain_error: str | None = None
    reason = tls.error or ""
    with httpx.Client(
        verify=False, timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        try:
            plain = client.get(http_url, headers={"Host": _authority(host, http_port, 80)})
        except httpx.HTTPError as exc:
            plain_error = f"{type(exc).__name__}: {exc}"
        over_https = tls.error is None
        if over_https:
            try:
                home = client.get(
                    https_url,
                    headers={"Host": _authority(host, https_port, 443)},
                    extensions={"sni_hostname": host},
                )
            except httpx.HTTPError as exc:
                over_https = False
                reason = f"HTTPS tidak menjawab / no HTTPS answer: {type(exc).__name__}: {exc}"
        if not over_https:
            home = plain
            if home is None:
                reason = f"{reason}; HTTP: {plain_error}" if reason else f"HTTP: {plain_error}"
    url = (
        f"https://{_authority(host, https_port, 443)}/"
        if over_https
        else f"http://{_authority(host, http_port, 80)}/"
    )
    findings = [
        *_header_findings(home, over_https, reason),
        _redirect_finding(plain, plain_error),
        *_tls_findings(tls, host),
    ]
    return ScanResult(url=url, findings=tuple(findings))
