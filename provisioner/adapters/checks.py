"""Post-deploy checks that return evidence instead of raising: the caller decides what a
failed check means (block a promotion, roll back, just report). What passes — an HTTP
status, the security headers, the days a certificate must have left — is
provisioner.domain.acceptance's rule; this module measures.

host_checks looks inside the web server with testinfra over OpenSSH (the shared ssh_config:
verified host keys, ControlMaster reuse — the playbook that just ran left a connection open);
http_checks asks the site over HTTP with httpx, by address with the site's Host header, so it
works before DNS points at the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import testinfra

from provisioner.adapters.ssh_options import SshConfig, ssh_config_path
from provisioner.adapters.tls import HTTPS_PORT, verify_chain
from provisioner.domain.acceptance import (
    MAX_REDIRECTS,
    TLS_MIN_DAYS,
    health_passes,
    home_verdict,
    missing_security_headers,
    tls_verdict,
)
from provisioner.domain.site_account import site_user

SITE_ROOT = "/var/www"
DETAIL_MAX = 300
# Run by the site user with the site's own .env (which only that user can read): connects to
# the database the app would use and says who it is there. Prints one JSON line.
DB_PROBE_PHP = r"""
$env = @file_get_contents($argv[1]);
if ($env === false) {
    echo json_encode(["ok" => false, "reason" => "cannot read $argv[1]"]); exit;
}
$v = [];
foreach (preg_split('/\R/', $env) as $line) {
    if (preg_match('/^(DB_[A-Z]+)="(.*)"$/', $line, $m)) { $v[$m[1]] = $m[2]; }
}
if (($v["DB_NAME"] ?? "") === "" || ($v["DB_HOST"] ?? "") === "") {
    echo json_encode(["ok" => false, "reason" => "no DB_HOST/DB_NAME in .env"]); exit;
}
mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
$db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
$base = ["host" => $v["DB_HOST"], "user" => $v["DB_USER"] ?? "", "db" => $v["DB_NAME"]];
$ok = @$db->real_connect(
    $v["DB_HOST"], $v["DB_USER"] ?? "", $v["DB_PASSWORD"] ?? "", $v["DB_NAME"]
);
if (!$ok) {
    echo json_encode($base + ["ok" => false,
        "reason" => mysqli_connect_errno() . " " . mysqli_connect_error()]); exit;
}
$row = $db->query("SELECT DATABASE(), CURRENT_USER(), VERSION()")->fetch_row();
echo json_encode($base + ["ok" => $row[0] === $v["DB_NAME"], "as" => $row[1],
    "version" => $row[2], "reason" => $row[0] === $v["DB_NAME"] ? "" : "other database"]);
"""


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
    from this host with the credentials in its own .env."""
    host = testinfra.get_host(
        f"ssh://root@{host_address}",
        ssh_config=str(ssh_config_path(ssh)),
        ssh_identity_file=str(ssh.key),
    )
    try:
        host.run_expect([0], "true")
    except Exception as exc:  # noqa: BLE001 - any failure to connect is evidence, not a crash
        return [CheckResult("ssh", False, _short(f"ssh ke / to {host_address} gagal: {exc}"))]

    root = f"{SITE_ROOT}/{fqdn}"
    user = site_user(fqdn)
    checks: list[tuple[str, Callable[[Any], tuple[bool, str]]]] = [
        ("site_enabled", lambda h: _site_enabled(h, fqdn)),
        ("apache_configtest", _configtest),
        ("current_release", lambda h: _current_release(h, root, commit)),
        ("env_permissions", lambda h: _env_permissions(h, root, user)),
        ("site_tree_private", lambda h: _tree_private(h, root, user)),
        ("apache_running", lambda h: _running(h, "apache2")),
    ]
    if php:
        checks += [
            ("php_fpm_running", lambda h: _running(h, "php-fpm")),
            ("php_fpm_pool", lambda h: _fpm_pool(h, fqdn, user)),
        ]
    if database:
        where = f"{host_name} ({host_address})" if host_name else host_address
        checks.append(("database_reachable", lambda h: _database(h, root, user, where)))
    results = [CheckResult("ssh", True, f"root@{host_address}")]
    for name, check in checks:
        try:
            passed, detail = check(host)
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


# --- host checks -------------------------------------------------------------------------


def _site_enabled(host: Any, fqdn: str) -> tuple[bool, str]:
    link = host.file(f"/etc/apache2/sites-enabled/{fqdn}.conf")
    if not link.is_symlink:
        return False, f"sites-enabled/{fqdn}.conf tidak ada / missing"
    target = link.linked_to
    expected = f"/etc/apache2/sites-available/{fqdn}.conf"
    return str(target) == expected, f"-> {target}"


def _configtest(host: Any) -> tuple[bool, str]:
    out = host.run("apache2ctl configtest")
    return out.rc == 0, (out.stderr or out.stdout).strip()


def _current_release(host: Any, root: str, commit: str) -> tuple[bool, str]:
    current = host.file(f"{root}/current")
    if not current.is_symlink:
        return False, f"{root}/current bukan symlink / is not a symlink"
    target = str(current.linked_to)
    name = PurePosixPath(target).name
    # The release belongs to the site user: root's git would refuse it as "dubious ownership".
    head = host.run("git -c safe.directory=* -C %s rev-parse HEAD", target)
    head_sha = head.stdout.strip() if head.rc == 0 else f"(git: {head.stderr.strip()})"
    passed = name.endswith("-" + commit[:12]) and head_sha == commit
    return passed, f"current -> {target}, HEAD {head_sha}"


def _env_permissions(host: Any, root: str, user: str) -> tuple[bool, str]:
    env = host.file(f"{root}/shared/.env")
    if not env.exists:
        return False, f"{root}/shared/.env tidak ada / missing"
    mode = env.mode
    passed = mode == 0o640 and env.user == user and env.group == user
    return passed, f"mode {mode:04o} {env.user}:{env.group} (want 0640 {user}:{user})"


def _tree_private(host: Any, root: str, user: str) -> tuple[bool, str]:
    # Other sites' users must not even enter the tree; Apache gets in through its group.
    tree = host.file(root)
    if not tree.is_directory:
        return False, f"{root} tidak ada / missing"
    passed = tree.mode == 0o750 and tree.user == user and tree.group == "www-data"
    return passed, f"{root} mode {tree.mode:04o} {tree.user}:{tree.group}"


# The vhost role holds this lock (exclusively) for every config change and reload, including
# PHP-FPM's worker hand-over; reading processes under it (shared) never sees another site's
# reload half-done, which made the pool check fail spuriously while other sites deployed.
WEB_LOCK = "/run/lock/provisioner-web.lock"


def _ps_settled(host: Any, columns: str) -> Any:
    return host.run(f"flock -s -w 120 {WEB_LOCK} ps -e {columns}")


def _fpm_pool(host: Any, fqdn: str, user: str) -> tuple[bool, str]:
    out = _ps_settled(host, "-o user:40= -o args=")
    owners = sorted(
        {
            line.split(None, 1)[0]
            for line in out.stdout.splitlines()
            if line.split(None, 1)[1:] == [f"php-fpm: pool {fqdn}"]
        }
    )
    return owners == [user], f"pool {fqdn} workers run as {', '.join(owners) or '(none)'}"


def _database(host: Any, root: str, user: str, where: str) -> tuple[bool, str]:
    out = host.run(
        "runuser -u %s -- php -d display_errors=stderr -r %s %s",
        user,
        DB_PROBE_PHP,
        f"{root}/shared/.env",
    )
    try:
        seen = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        reason = (out.stderr or out.stdout).strip() or f"rc {out.rc}"
        return False, f"dari / from {where}: probe as {user} did not run: {reason}"
    target = f"{seen.get('user', '?')}@{seen.get('host', '?')}/{seen.get('db', '?')}"
    if not seen.get("ok"):
        return False, (
            f"basis data tidak terjangkau dari / database not reachable from {where} "
            f"as {target} (site user {user}): {seen.get('reason')}"
        )
    return True, f"{where} -> {target} as {seen.get('as')}, MariaDB {seen.get('version')}"


def _running(host: Any, prefix: str) -> tuple[bool, str]:
    # comm, not the command line: "apache2" / "php-fpm8.2" (the pool workers say "php-fpm8.2").
    out = _ps_settled(host, "-o comm=")
    names = sorted({n for n in out.stdout.split() if n.startswith(prefix)})
    count = sum(1 for n in out.stdout.split() if n.startswith(prefix))
    return count > 0, f"{count} process(es) {', '.join(names) or prefix}"


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
