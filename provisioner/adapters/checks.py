"""Post-deploy checks that return evidence instead of raising: the caller decides what a
failed check means (block a promotion, roll back, just report). What passes — an HTTP
status, the security headers, the days a certificate must have left — is
provisioner.domain.acceptance's rule; this module measures.

host_checks looks inside the web server with ONE remote script per call
(adapters/site_facts_script.py, run by the host's python3 over one paramiko exec, logged in
as the inventory says) that prints every fact as one JSON object; the checks here read it.
http_checks asks the site over HTTP with httpx, by address with the site's Host header, so it
works before DNS points at the server.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from provisioner.adapters import site_facts as sf
from provisioner.adapters.ssh import SshClient
from provisioner.adapters.ssh_options import SshConfig
from provisioner.adapters.tls import HTTPS_PORT, verify_chain
from provisioner.domain.acceptance import (
    MAX_REDIRECTS,
    TLS_MIN_DAYS,
    health_passes,
    home_verdict,
    missing_security_headers,
    tls_verdict,
)
from provisioner.domain.errors import ServerUnreachable
from provisioner.domain.site_account import site_user

SITE_ROOT = "/var/www"
DETAIL_MAX = 300
@dataclass(frozen=True)
class CheckResult:
    """One check: its name, whether it passed, and what was seen."""

    name: str
    passed: bool
    detail: str
    # The home page's responses, redirects included ("302 http://x/", "200 http://x/a").
    chain: tuple[str, ...] = ()


def host_checks(
    ssh: SshConfig,
    host_address: str,
    fqdn: str,
    commit: str,
    *,
    php: bool = True,
    database: bool = False,
    host_name: str | None = None,
) -> list[CheckResult]:
    """Inspect the web server: site enabled, configtest, current release, .env owned by the
    site user and unreadable by others, the site's own PHP-FPM pool running as its user
    (when `php`), daemons, and (when `database`) that the site user reaches its database
    from this host with the credentials in its own .env. One SSH exec gathers every fact."""
    root = f"{SITE_ROOT}/{fqdn}"
    user = site_user(fqdn)
    params = {
        "fqdn": fqdn, "site_root": root, "site_user": user, "database": database,
        "sites_enabled": sf.SITES_ENABLED, "web_lock": sf.WEB_LOCK,
    }  # fmt: skip
    try:
        with SshClient.to(ssh, host_address) as client:
            login = f"{client.login.user}@{host_address}"
            out = client.run(f"python3 - {shlex.quote(json.dumps(params))}",
                             stdin=sf.SCRIPT, timeout=sf.TIMEOUT_S)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - any failure to connect is evidence, not a crash
        reason = (
            exc.reason if isinstance(exc, ServerUnreachable) else f"{type(exc).__name__}: {exc}"
        )
        return [CheckResult("ssh", False, _short(f"ssh ke / to {host_address} gagal: {reason}"))]

    checks: list[tuple[str, Callable[[sf.Facts], tuple[bool, str]]]] = [
        ("site_enabled", lambda facts: sf.site_enabled(facts, fqdn)),
        ("apache_configtest", lambda facts: sf.configtest(facts, fqdn)),
        ("current_release", lambda facts: sf.current_release(facts, root, commit)),
        ("env_permissions", lambda facts: sf.env_permissions(facts, root, user)),
        ("site_tree_private", lambda facts: sf.tree_private(facts, root, user)),
        ("apache_running", lambda facts: sf.running(facts, "apache2")),
    ]
    if php:
        checks += [
            ("php_fpm_running", lambda facts: sf.running(facts, "php-fpm")),
            ("php_fpm_pool", lambda facts: sf.fpm_pool(facts, fqdn, user)),
        ]
    if database:
        where = f"{host_name} ({host_address})" if host_name else host_address
        checks.append(("database_reachable",
                       lambda facts: sf.database_reachable(facts, root, user, where)))  # fmt: skip
    results = [CheckResult("ssh", True, login)]
    facts = sf.read_facts(out.rc, out.stdout, out.stderr)
    for name, check in checks:
        try:
            passed, detail = check(facts)
        except Exception as exc:  # noqa: BLE001 - a check that cannot run has failed
            passed, detail = False, f"{type(exc).__name__}: {exc}"
        results.append(CheckResult(name, passed, _short(detail)))
    return results


def http_checks(
    address: str,
    fqdn: str,
    *,
    marker: str | None,
    health_url: str | None,
    health_status: int = 200,
    timeout: float = 5.0,
    tls: bool = False,
    tls_ca_file: str | None = None,
    tls_min_days: int = TLS_MIN_DAYS,
) -> list[CheckResult]:
    """GET / (200 and the marker in the body, security headers) and the health URL (200);
    with `tls`, also the HTTPS certificate (verifies against `tls_ca_file` or the system
    store, valid for fqdn, more than `tls_min_days` days left).

    health_url is a path ("/health.php") or a URL; a URL naming fqdn is still asked of
    `address` with the Host header, so the check does not depend on DNS.
    """
    results: list[CheckResult] = []
    if tls:
        passed, detail = tls_check(
            address, fqdn, ca_file=tls_ca_file, min_days=tls_min_days, timeout=timeout
        )
        results.append(CheckResult("tls", passed, _short(detail)))
    # trust_env=False: a proxy from the environment must not answer for the site.
    with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False) as client:
        results += _home_checks(client, address, fqdn, marker)
        if health_url:
            results.append(_health_check(client, address, fqdn, health_url, health_status))
    return results


def tls_check(
    address: str,
    fqdn: str,
    *,
    ca_file: str | None = None,
    min_days: int = TLS_MIN_DAYS,
    port: int = HTTPS_PORT,
    timeout: float = 5.0,
) -> tuple[bool, str]:
    """(passed, detail) of the HTTPS check: the chain verifies (against `ca_file`, else the
    system store) for `fqdn`, and the certificate has more than `min_days` days left."""
    seen = verify_chain(address, fqdn, ca_file=ca_file, port=port, timeout=timeout)
    return tls_verdict(
        fqdn, not_after=seen.not_after, days_left=seen.days_left, problem=seen.problem,
        min_days=min_days,
    )  # fmt: skip


def _home_checks(
    client: httpx.Client, address: str, fqdn: str, marker: str | None
) -> list[CheckResult]:
    """http_home (the chain of responses from GET /, redirects followed while they stay on
    the site; status and marker of the last) and security_headers of the first response."""
    followed = _follow(client, address, fqdn)
    if isinstance(followed, str):
        return [CheckResult("http_home", False, followed)]
    first, home, responses, left_to = followed
    found = marker is None or marker in home.text
    passed, reason = home_verdict(responses, left_to=left_to, marker_found=found)
    page = CheckResult(
        "http_home",
        passed,
        _short(
            f"{reason}, {len(home.content)} bytes"
            + ("" if marker is None else f", marker {'found' if found else 'missing'}")
        ),
        chain=tuple(f"{status} {url}" for url, status in responses)
        + ((f"→ {left_to}",) if left_to else ()),
    )
    missing = missing_security_headers(first.headers)
    headers = CheckResult(
        "security_headers",
        not missing,
        "ok" if not missing else "missing/wrong: " + ", ".join(missing),
    )
    return [page, headers]


def _health_check(
    client: httpx.Client, address: str, fqdn: str, health_url: str, expected: int
) -> CheckResult:
    url, host_header = _health_target(address, fqdn, health_url)
    health = _get(client, url, host_header)
    if isinstance(health, str):
        return CheckResult("http_health", False, health)
    return CheckResult(
        "http_health",
        health_passes(health.status_code, expected),
        _short(f"HTTP {health.status_code}: {health.text.strip()}"),
    )


# --- http checks -------------------------------------------------------------------------


def _get(client: httpx.Client, url: str, host_header: str | None) -> httpx.Response | str:
    headers = {"Host": host_header} if host_header else {}
    try:
        return client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return _short(f"{url}: {type(exc).__name__}: {exc}")


Followed = tuple[httpx.Response, httpx.Response, list[tuple[str, int]], str | None]
REDIRECTS = (301, 302, 303, 307, 308)


def _follow(client: httpx.Client, address: str, fqdn: str) -> Followed | str:
    """GET http://<fqdn>/ from `address`, following redirects that stay on the site (same
    name, http or https: still asked of `address`, so DNS plays no part) up to MAX_REDIRECTS:
    (first response, last response, [(URL, status)…], the off-site target or None), or the
    error's text."""
    url = f"http://{fqdn}/"
    responses: list[tuple[str, int]] = []
    first: httpx.Response | None = None
    while True:
        reply = _get_on_site(client, address, fqdn, url)
        if isinstance(reply, str):
            return reply
        first = first or reply
        responses.append((url, reply.status_code))
        location = reply.headers.get("location")
        if reply.status_code not in REDIRECTS or not location or len(responses) > MAX_REDIRECTS:
            return first, reply, responses, None
        url = urljoin(url, location)
        parts = urlsplit(url)
        if parts.hostname != fqdn or parts.scheme not in ("http", "https") or parts.port:
            return first, reply, responses, url


def _get_on_site(
    client: httpx.Client, address: str, fqdn: str, url: str
) -> httpx.Response | str:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "http":
        return _get(client, f"http://{address}{path}", fqdn)
    # HTTPS on the same name: the certificate is the tls check's business; here the page.
    try:
        with httpx.Client(timeout=client.timeout, trust_env=False, verify=False) as tls:
            return tls.get(f"https://{address}{path}", headers={"Host": fqdn},
                           extensions={"sni_hostname": fqdn})  # fmt: skip
    except httpx.HTTPError as exc:
        return _short(f"{url}: {type(exc).__name__}: {exc}")


def _health_target(address: str, fqdn: str, health_url: str) -> tuple[str, str | None]:
    if health_url.startswith("/"):
        return f"http://{address}{health_url}", fqdn
    parts = urlsplit(health_url)
    if parts.hostname == fqdn and parts.scheme == "http":
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"http://{address}{path}{query}", fqdn
    return health_url, None


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"
