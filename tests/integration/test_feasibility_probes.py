"""The feasibility probes ("Pengujian Kelayakan") on the real lab, provisioning nothing: the
bounded load test and the baseline header/TLS scan against what the lab already serves.

What the lab serves (checked here, outside the adapters too):
- each web host's Apache answers port 80 for any Host name from its catch-all default vhost
  (000-default.conf): 404 "tidak ada situs / no site", Server "Apache/2.4.x (Debian)" since
  Debian's security.conf keeps `ServerTokens OS`; nothing listens on 443 until a site gets
  a certificate;
- pebble (the lab's ACME server, inside ns1) serves HTTPS with a certificate for its own IP
  address from the lab CA (secrets/acme/ca.pem): the one TLS server there is to scan.
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from provisioner.adapters.header_scan import ScanResult, scan_site
from provisioner.adapters.load_test import MAX_CONCURRENCY, MAX_REQUESTS, run_load_test
from provisioner.adapters.ssh_options import ssh_command
from provisioner.bootstrap.configs import ssh_config
from provisioner.config import Settings

pytestmark = pytest.mark.lab

UNUSED = "127.0.2.199"  # a loopback address nobody listens on
BILINGUAL = r"\S / \S"  # "Indonesian / English"


@pytest.fixture(scope="module")
def web_dev(lab: Settings) -> str:
    return lab.web_dev_address


@pytest.fixture(scope="module")
def dev_name(lab: Settings) -> str:
    return lab.dev_fqdn("kelayakan-" + secrets.token_hex(3))  # no site claims it


@pytest.fixture(scope="module")
def ca_file(lab: Settings) -> Path:
    path = lab.acme_ca_file or lab.secrets_dir / "acme" / "ca.pem"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="module")
def pebble(lab: Settings) -> tuple[str, int]:
    """(address, port) of the lab's TLS server."""
    url = httpx.URL(lab.acme_directory_url)
    assert url.port is not None
    return url.host, url.port


def access_log_count(lab: Settings, address: str, needle: str) -> int:
    out = subprocess.run(
        [*ssh_command(ssh_config(lab)), f"root@{address}",
         f"grep -c -- '{needle}' /var/log/apache2/access.log || true"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    return int(out.strip() or 0)


def raw_get(address: str, host: str, path: str = "/") -> tuple[int, str | None, bytes]:
    conn = http.client.HTTPConnection(address, 80, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.getheader("Server"), response.read()
    finally:
        conn.close()


def by_name(result: ScanResult) -> dict[str, tuple[bool, str]]:
    return {f.name: (f.passed, f.detail) for f in result.findings}


# --- what the lab answers, seen without the adapters ---------------------------------


def test_the_dev_web_host_answers_any_name_from_its_default_vhost(
    web_dev: str, dev_name: str
) -> None:
    status, server, body = raw_get(web_dev, dev_name)
    assert status == 404 and body == b"tidak ada situs / no site"
    assert server is not None and server.startswith("Apache/2.")  # ServerTokens OS
    with pytest.raises(ConnectionRefusedError), socket.create_connection((web_dev, 443), 3):
        pass  # no HTTPS on the dev host until a site has a certificate


# --- load test -----------------------------------------------------------------------


def test_load_test_counts_every_answer_of_the_dev_web_host(
    lab: Settings, web_dev: str, dev_name: str
) -> None:
    path = f"/kelayakan-{secrets.token_hex(6)}"
    result = run_load_test(web_dev, dev_name, path=path, requests=50, concurrency=5)

    # All 50 answered, by the default vhost: 404 is an answer, but not an ok one.
    assert result.statuses == {404: 50} and result.errors == ()
    assert (result.ok, result.failed) == (0, 50)
    assert result.requests == 50 and result.concurrency == 5
    assert 0 < result.median_ms <= result.p95_ms <= result.max_ms < 10_000
    assert result.requests_per_second > 0
    assert result.url == f"http://{dev_name}{path}"
    data = json.loads(json.dumps(result.to_data()))
    assert data["statuses"] == {"404": 50} and data["failed"] == 50
    # Apache saw exactly that many: bounded, and no retries behind the count.
    assert access_log_count(lab, web_dev, f"GET {path} ") == 50


def test_load_test_over_https_sends_the_name_as_sni_and_counts_2xx(
    pebble: tuple[str, int], ca_file: Path
) -> None:
    address, port = pebble
    good = run_load_test(address, address, path="/dir", requests=20, concurrency=4,
                         scheme="https", port=port, verify=str(ca_file))  # fmt: skip
    assert good.statuses == {200: 20} and (good.ok, good.failed) == (20, 0)
    assert good.median_ms > 0 and good.errors == ()

    # Same address, another name: verified against that name, so every request fails.
    other = run_load_test(address, "situs.example", path="/dir", requests=6, concurrency=3,
                          scheme="https", port=port, verify=str(ca_file))  # fmt: skip
    assert other.statuses == {} and (other.ok, other.failed) == (0, 6)
    assert other.median_ms == other.p95_ms == other.max_ms == 0.0
    assert 1 <= len(other.errors) <= 5
    assert "situs.example" in other.errors[0]


def test_load_test_counts_requests_without_an_answer_as_failed() -> None:
    result = run_load_test(UNUSED, "kelayakan.example", requests=7, concurrency=3, timeout=3)
    assert result.statuses == {} and (result.ok, result.failed) == (0, 7)
    assert len(result.errors) == 1 and "refused" in result.errors[0].lower()


def test_load_test_smallest_run_is_allowed(web_dev: str, dev_name: str) -> None:
    result = run_load_test(web_dev, dev_name, requests=1, concurrency=1)
    assert result.statuses == {404: 1}


@pytest.mark.parametrize(
    ("address", "kwargs", "said"),
    [
        ("10.0.0.1", {}, "allowed networks"),
        ("8.8.8.8", {}, "allowed networks"),
        ("::1", {}, "allowed networks"),
        ("web-dev", {}, "IP address"),
        ("127.0.2.11", {"allowed_networks": ("10.0.0.0/8",)}, "allowed networks"),
        ("127.0.2.11", {"requests": 0}, "request count"),
        ("127.0.2.11", {"requests": MAX_REQUESTS + 1}, "request count"),
        ("127.0.2.11", {"concurrency": 0}, "concurrency"),
        ("127.0.2.11", {"concurrency": MAX_CONCURRENCY + 1}, "concurrency"),
        ("127.0.2.11", {"scheme": "ftp"}, "scheme"),
    ],
)
def test_load_test_refuses_outside_its_bounds(
    address: str, kwargs: dict[str, object], said: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError, match=BILINGUAL) as refused:
        run_load_test(address, "kelayakan.example", **kwargs)  # type: ignore[arg-type]
    assert said in str(refused.value)
    assert time.perf_counter() - started < 0.5  # refused before any connection


# --- header and TLS scan -------------------------------------------------------------


def test_scan_of_the_dev_web_host_falls_back_to_http(web_dev: str, dev_name: str) -> None:
    result = scan_site(web_dev, dev_name, timeout=3)
    found = by_name(result)
    assert result.url == f"http://{dev_name}/" and not result.passed
    assert list(found) == [
        "strict-transport-security", "x-content-type-options", "x-frame-options",
        "content-security-policy", "referrer-policy", "server-version-hidden",
        "http-redirects-to-https", "tls-version", "certificate-valid", "certificate-name",
    ]  # fmt: skip

    # Debian's ServerTokens OS: the default vhost names Apache's version.
    _, server, _ = raw_get(web_dev, dev_name)
    assert found["server-version-hidden"] == (False, f"server: {server}")
    assert "Apache/2." in found["server-version-hidden"][1]
    # The default vhost sets none of the security headers and redirects nothing.
    for name in ("x-content-type-options", "x-frame-options", "content-security-policy",
                 "referrer-policy"):  # fmt: skip
        assert found[name] == (False, f"{name} tidak ada / missing")
    assert found["http-redirects-to-https"] == (False, "HTTP 404")
    # Nothing on 443: every TLS finding (and HSTS) fails, saying why.
    for name in ("tls-version", "certificate-valid", "certificate-name",
                 "strict-transport-security"):  # fmt: skip
        passed, detail = found[name]
        assert not passed and f"{web_dev}:443" in detail and "refused" in detail.lower()

    data = json.loads(json.dumps(result.to_data()))
    assert data["passed"] is False and len(data["findings"]) == 10


def test_scan_of_the_labs_tls_server_reads_version_and_certificate(
    pebble: tuple[str, int], ca_file: Path
) -> None:
    address, port = pebble
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection((address, port), timeout=5) as sock,
        context.wrap_socket(sock, server_hostname=address) as tls,
    ):
        negotiated = tls.version()

    verified = by_name(scan_site(address, address, https_port=port, http_port=port,
                                 ca_file=ca_file))  # fmt: skip
    assert verified["tls-version"] == (True, negotiated)
    assert verified["certificate-valid"][0], verified["certificate-valid"]
    assert "chain verified" in verified["certificate-valid"][1]
    assert verified["certificate-name"] == (True, f"{address} ada di / in: {address}")
    # pebble's HTTPS is a JSON API: it sends nosniff and no Server header, and nothing
    # else; plain HTTP on its port is answered 400, not redirected.
    assert verified["x-content-type-options"][0] and verified["server-version-hidden"][0]
    assert not verified["strict-transport-security"][0]
    assert verified["http-redirects-to-https"] == (False, "HTTP 400")

    # Without the lab CA the chain does not verify; another name is not in the certificate.
    unverified = by_name(scan_site(address, "situs.example", https_port=port,
                                   http_port=port))  # fmt: skip
    assert unverified["tls-version"] == (True, negotiated)
    passed, detail = unverified["certificate-valid"]
    assert not passed and "unable to get local issuer certificate" in detail
    assert unverified["certificate-name"] == (
        False, f"situs.example tidak ada di / not in: {address}"
    )  # fmt: skip


def test_scan_refuses_an_address_outside_the_allowed_networks() -> None:
    with pytest.raises(ValueError, match=BILINGUAL):
        scan_site("10.0.0.1", "situs.example")
    with pytest.raises(ValueError, match=BILINGUAL):
        scan_site("127.0.2.11", "situs.example", allowed_networks=("192.168.0.0/16",))
