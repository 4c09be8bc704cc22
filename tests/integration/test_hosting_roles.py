"""Hosting roles on the lab's real servers: isolated sites, app hooks, serialised vhost
changes, retirement with a database backup, and TLS from the lab's ACME CA (pebble).

Claims are checked outside Ansible: over ssh (runuser, stat, mariadb, the Apache log), over
HTTP(S) with httpx/ssl, and with DNS updates sent straight to ns1.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dns.query
import dns.tsigkeyring
import dns.update
import httpx
import pytest

from provisioner.adapters.ansible import AnsibleAdapter, PlaybookFailed, PlaybookResult
from provisioner.adapters.checks import http_checks
from provisioner.adapters.ssh_options import git_ssh_command, ssh_command
from provisioner.adapters.tls import certificate_info, fetch_ca_roots, tls_extravars
from provisioner.bootstrap.configs import ansible_config, ssh_config, tls_config
from provisioner.bootstrap.container import build_tls_renewal
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.site_account import site_user
from provisioner.store.db import Store

pytestmark = pytest.mark.lab

WEB_DEV = ("web-dev", "127.0.2.11")
WEB_PROD = ("web-prod", "127.0.2.12")
DB_ADDRESS = "127.0.2.30"
GIT_ADDRESS = "127.0.2.40"
SAMPLE_REPO = "ssh://root@127.0.2.40/srv/git/sample-app.git"
ZONE = "demokab.go.id"


# --- helpers ---------------------------------------------------------------------------


def ssh(
    settings: Settings, address: str, command: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ssh_command(ssh_config(settings)), f"root@{address}", command],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def get(address: str, fqdn: str, path: str = "/") -> httpx.Response:
    return httpx.get(f"http://{address}{path}", headers={"Host": fqdn}, timeout=5, trust_env=False)


def git(settings: Settings, cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_SSH_COMMAND": git_ssh_command(ssh_config(settings)),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60, check=True
    )
    return out.stdout.strip()


def dns_a(settings: Settings, name: str, address: str | None) -> None:
    """Add (or with None delete) an A record on ns1 with the lab's TSIG key."""
    key = json.loads(settings.tsig_key_path.read_text())
    keyring = dns.tsigkeyring.from_text({key["name"]: key["secret"]})
    update = dns.update.UpdateMessage(
        ZONE, keyring=keyring, keyname=key["name"], keyalgorithm=key["algorithm"]
    )
    absolute = name + "."
    if address is None:
        update.delete(absolute, "A")
    else:
        update.replace(absolute, 60, "A", address)
    response = dns.query.tcp(update, settings.dns_primary, timeout=5)
    assert response.rcode() == 0, response


@dataclass
class App:
    """A small app in its own repository on the git host: a good and a broken-hook commit."""

    repo_url: str
    good: str
    bad_hook: str


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter(lab: Settings) -> AnsibleAdapter:
    return AnsibleAdapter(ansible_config(lab))


@pytest.fixture(scope="module")
def runs() -> Path:
    path = PROJECT_ROOT / "test-artifacts" / f"hosting-roles-{time.strftime('%Y%m%dT%H%M%S')}"
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def app(lab: Settings) -> Iterator[App]:
    """A repo with a migrate hook, a page that reads any file it is given, and index.html."""
    name = f"hr-{secrets.token_hex(3)}.git"
    ssh(lab, GIT_ADDRESS, f"git init -q --bare -b main /srv/git/{name}")
    url = f"ssh://root@{GIT_ADDRESS}/srv/git/{name}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "public").mkdir()
        (work / "bin").mkdir()
        (work / "public" / "index.php").write_text(
            "<?php echo 'hooks-app ', is_file(__DIR__ . '/../migrated.txt') "
            "? 'migrated-by:' . trim(file_get_contents(__DIR__ . '/../migrated.txt')) : 'none';\n"
        )
        (work / "public" / "index.html").write_text("<p>static-app</p>\n")
        (work / "public" / "read.php").write_text(
            "<?php $r = @file_get_contents((string) ($_GET['f'] ?? ''));\n"
            "echo $r === false ? 'DENIED' : 'READ:' . strlen($r);\n"
        )
        # The hook proves where and as whom it ran: inside the release, as the site user.
        (work / "bin" / "migrate.sh").write_text("id -un > migrated.txt\necho migrated\n")
        manifest = {"marker": "hooks-app", "hooks": {"migrate": "sh bin/migrate.sh"}}
        (work / "provisioner.json").write_text(json.dumps(manifest))
        git(lab, work, "init", "-q", "-b", "main")
        git(lab, work, "add", "-A")
        git(lab, work, "commit", "-qm", "good")
        good = git(lab, work, "rev-parse", "HEAD")
        manifest["hooks"]["migrate"] = "echo migration-broke-on-purpose >&2; exit 7"
        (work / "provisioner.json").write_text(json.dumps(manifest))
        git(lab, work, "commit", "-qam", "bad hook")
        bad = git(lab, work, "rev-parse", "HEAD")
        git(lab, work, "push", "-q", url, "main")
    yield App(url, good, bad)
    ssh(lab, GIT_ADDRESS, f"rm -rf /srv/git/{name}")


def site_vars(fqdn: str, repo: str, commit: str, **extra: object) -> dict[str, object]:
    return {
        "site_fqdn": fqdn,
        "repo_url": repo,
        "commit": commit,
        "db_host": DB_ADDRESS,
        "db_name": "none",
        "db_user": "none",
        "db_password": "Pw-" + secrets.token_hex(8),
        **extra,
    }


@pytest.fixture(scope="module")
def two_sites(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, app: App
) -> Iterator[tuple[str, str]]:
    """Two PHP sites of the hooks app on web-dev (agency A and agency B)."""
    tag = secrets.token_hex(3)
    names = (f"ha{tag}.dev.{ZONE}", f"hb{tag}.dev.{ZONE}")
    try:
        for fqdn in names:
            adapter.run(
                "site.yml",
                extravars=site_vars(fqdn, app.repo_url, app.good),
                limit=WEB_DEV[0],
                run_dir=runs / f"site-{fqdn}",
                step="site",
            )
        yield names
    finally:
        for fqdn in names:
            adapter.run(
                "site_remove.yml",
                extravars={"site_fqdn": fqdn},
                limit=WEB_DEV[0],
                run_dir=runs / f"undo-{fqdn}",
                step="site",
            )


# --- isolation and hooks -----------------------------------------------------------------


def test_each_site_has_its_own_user_pool_and_private_env(
    lab: Settings, two_sites: tuple[str, str]
) -> None:
    a, _ = two_sites
    user = site_user(a)
    root = f"/var/www/{a}"
    out = ssh(
        lab,
        WEB_DEV[1],
        f"stat -c '%a %U %G' {root} {root}/shared/.env; "
        f"ps -e -o user:40= -o args= | grep -F 'php-fpm: pool {a}' | grep -v grep | cut -d' ' -f1 "
        f"| sort -u; stat -c '%a %U' /run/php/php8.2-fpm-{user}.sock",
    ).stdout.split("\n")
    assert out[0] == f"750 {user} www-data"
    assert out[1] == f"640 {user} {user}"
    assert out[2] == user  # the pool's workers run as the site user
    assert out[3] == "660 www-data"  # only Apache may use the socket
    assert len(user) <= 32


def test_one_site_cannot_read_another_sites_env(lab: Settings, two_sites: tuple[str, str]) -> None:
    a, b = two_sites
    # PHP in site A: its own .env is readable, B's is not.
    own = get(WEB_DEV[1], a, f"/read.php?f=/var/www/{a}/shared/.env").text
    other = get(WEB_DEV[1], a, f"/read.php?f=/var/www/{b}/shared/.env").text
    assert own.startswith("READ:") and other == "DENIED"
    # Beyond PHP's open_basedir: the file system itself refuses A's user and Apache's.
    as_a = ssh(lab, WEB_DEV[1], f"runuser -u {site_user(a)} -- cat /var/www/{b}/shared/.env", False)
    as_apache = ssh(lab, WEB_DEV[1], f"runuser -u www-data -- cat /var/www/{a}/shared/.env", False)
    assert as_a.returncode != 0 and "Permission denied" in as_a.stderr
    assert as_apache.returncode != 0 and "Permission denied" in as_apache.stderr


def test_migrate_hook_ran_as_the_site_user_before_the_switch(
    lab: Settings, two_sites: tuple[str, str]
) -> None:
    a, _ = two_sites
    assert get(WEB_DEV[1], a).text == f"hooks-app migrated-by:{site_user(a)}"
    listing = get(WEB_DEV[1], a, "/.git/").status_code
    assert listing == 404  # dot paths are never served


def test_failing_hook_leaves_current_untouched(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, app: App, two_sites: tuple[str, str]
) -> None:
    a, _ = two_sites
    before = ssh(lab, WEB_DEV[1], f"readlink /var/www/{a}/current").stdout
    with pytest.raises(PlaybookFailed) as err:
        adapter.run(
            "site.yml",
            extravars=site_vars(a, app.repo_url, app.bad_hook),
            limit=WEB_DEV[0],
            run_dir=runs / "bad-hook",
            step="site",
        )
    assert "hook migrate failed (rc=7)" in err.value.reason
    assert "migration-broke-on-purpose" in err.value.reason
    after = ssh(lab, WEB_DEV[1], f"readlink /var/www/{a}/current; ls -a /var/www/{a}/releases")
    assert after.stdout.startswith(before)
    assert app.bad_hook[:12] not in after.stdout  # neither a release nor its .tmp- clone
    assert get(WEB_DEV[1], a).text.startswith("hooks-app migrated-by:")


def test_static_site_has_no_php_pool(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, app: App
) -> None:
    fqdn = f"hs{secrets.token_hex(3)}.dev.{ZONE}"
    try:
        adapter.run(
            "site.yml",
            extravars=site_vars(fqdn, app.repo_url, app.good, php=False),
            limit=WEB_DEV[0],
            run_dir=runs / "static",
            step="site",
        )
        assert get(WEB_DEV[1], fqdn).text == "<p>static-app</p>\n"
        pool = ssh(lab, WEB_DEV[1], f"ls /etc/php/8.2/fpm/pool.d/{fqdn}.conf", check=False)
        assert pool.returncode != 0
    finally:
        adapter.run(
            "site_remove.yml",
            extravars={"site_fqdn": fqdn},
            limit=WEB_DEV[0],
            run_dir=runs / "static-undo",
            step="site",
        )
    gone = ssh(lab, WEB_DEV[1], f"id {site_user(fqdn)}; ls -d /var/www/{fqdn}", check=False)
    assert "no such user" in gone.stderr and "No such file" in gone.stderr


# --- serialised Apache changes ----------------------------------------------------------


def test_concurrent_site_runs_on_one_host_all_succeed_without_failed_reloads(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, app: App, two_sites: tuple[str, str]
) -> None:
    tag = secrets.token_hex(2)
    names = [f"hc{tag}{i}.dev.{ZONE}" for i in range(4)]
    log = "/var/log/apache2/error.log"
    graceful_before = ssh(lab, WEB_DEV[1], f"grep -c 'graceful restart' {log} || true").stdout
    statuses: list[int] = []
    stop = threading.Event()

    def watch() -> None:  # an existing site answers throughout
        while not stop.is_set():
            statuses.append(get(WEB_DEV[1], two_sites[0]).status_code)
            time.sleep(0.05)

    def deploy(fqdn: str) -> PlaybookResult | Exception:
        try:
            return adapter.run(
                "site.yml",
                extravars=site_vars(fqdn, app.repo_url, app.good),
                limit=WEB_DEV[0],
                run_dir=runs / f"concurrent-{fqdn}",
                step="site",
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            return exc

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            results = list(pool.map(deploy, names))
    finally:
        stop.set()
        watcher.join()
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            list(
                pool.map(
                    lambda fqdn: adapter.run(
                        "site_remove.yml",
                        extravars={"site_fqdn": fqdn},
                        limit=WEB_DEV[0],
                        run_dir=runs / f"concurrent-undo-{fqdn}",
                        step="site",
                    ),
                    names,
                )
            )
    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == []
    assert statuses and set(statuses) == {200}, statuses
    graceful_after = ssh(lab, WEB_DEV[1], f"grep -c 'graceful restart' {log} || true").stdout
    reloads = int(graceful_after or 0) - int(graceful_before or 0)
    # Every change was covered by a reload, none failed, and changes may share one.
    state = ssh(
        lab, WEB_DEV[1], "cat /run/provisioner-web/apache.want /run/provisioner-web/apache.done"
    )
    want, done = state.stdout.split()
    assert want == done
    assert reloads >= 1
    print(f"\n{len(names)} concurrent site.yml runs: {reloads} graceful reloads before undo")


# --- retire ------------------------------------------------------------------------------


def test_retire_backs_up_the_database_then_removes_everything(
    lab: Settings, adapter: AnsibleAdapter, runs: Path
) -> None:
    tag = secrets.token_hex(3)
    fqdn, name = f"hr{tag}.dev.{ZONE}", f"hr{tag}"
    password = "Pw-" + secrets.token_hex(10)
    db_vars = {"db_name": name, "db_user": name, "db_password": password}
    commit = subprocess.run(
        ["git", "ls-remote", SAMPLE_REPO, "refs/heads/main"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "GIT_SSH_COMMAND": git_ssh_command(ssh_config(lab))},
    ).stdout.split()[0]
    adapter.run("database.yml", extravars=db_vars, limit=None, run_dir=runs / "r-db", step="db")
    adapter.run(
        "site.yml",
        extravars={**site_vars(fqdn, SAMPLE_REPO, commit), **db_vars},
        limit=WEB_DEV[0],
        run_dir=runs / "r-site",
        step="site",
    )
    assert get(WEB_DEV[1], fqdn).status_code == 200  # the app wrote a visit row
    retire_vars = {"retire_sites": {WEB_DEV[0]: fqdn}, "db_name": name, "db_user": name}
    retired = adapter.run(
        "retire.yml", extravars=retire_vars, limit=None, run_dir=runs / "r-1", step="retire"
    )
    path = retired.outputs["backup_path"]
    assert path.startswith(f"/srv/backups/provisioner/{name}-") and path.endswith(".sql.gz")
    assert retired.outputs["backup_bytes"] > 0 and retired.outputs["database_dropped"] == name
    dump = ssh(lab, DB_ADDRESS, f"stat -c %a {path}; zcat {path} | grep -c 'CREATE DATABASE'")
    assert dump.stdout.split() == ["600", "1"]
    left = ssh(
        lab,
        DB_ADDRESS,
        f"mariadb -N -e \"SHOW DATABASES LIKE '{name}'; "
        f"SELECT COUNT(*) FROM mysql.user WHERE User='{name}'\"",
    )
    assert left.stdout.split() == ["0"]
    web = ssh(
        lab,
        WEB_DEV[1],
        f"id {site_user(fqdn)}; ls -d /var/www/{fqdn} /etc/apache2/sites-available/{fqdn}.conf "
        f"/etc/php/8.2/fpm/pool.d/{fqdn}.conf",
        check=False,
    )
    assert "no such user" in web.stderr and web.stderr.count("No such file") == 3
    again = adapter.run(
        "retire.yml", extravars=retire_vars, limit=None, run_dir=runs / "r-2", step="retire"
    )
    assert again.outputs["backup_path"] == "" and again.total_changed == 0
    ssh(lab, DB_ADDRESS, f"rm -f {path}")


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod_site(lab: Settings, adapter: AnsibleAdapter, runs: Path, app: App) -> Iterator[str]:
    """The hooks app under a production name on web-prod, with its A record on ns1."""
    fqdn = f"ht{secrets.token_hex(3)}.{ZONE}"
    dns_a(lab, fqdn, WEB_PROD[1])
    try:
        adapter.run(
            "site.yml",
            extravars=site_vars(fqdn, app.repo_url, app.good),
            limit=WEB_PROD[0],
            run_dir=runs / "tls-site",
            step="site",
        )
        yield fqdn
    finally:
        adapter.run(
            "site_remove.yml",
            extravars={"site_fqdn": fqdn},
            limit=WEB_PROD[0],
            run_dir=runs / "tls-undo",
            step="site",
        )
        dns_a(lab, fqdn, None)


def test_tls_certificate_from_pebble_over_http01(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, prod_site: str, tmp_path: Path
) -> None:
    first = adapter.run(
        "tls.yml",
        extravars=tls_extravars(tls_config(lab), prod_site),
        limit=WEB_PROD[0],
        run_dir=runs / "tls-1",
        step="tls",
    )
    assert first.outputs["tls_status"] == "issued", first.outputs
    assert first.outputs["tls_https"] is True and first.outputs["tls_days_left"] > 30
    # Verified against the roots pebble issues under, for the name, over the wire.
    assert lab.acme_roots_url
    roots = tmp_path / "roots.pem"
    roots.write_text(fetch_ca_roots(lab.acme_roots_url, str(lab.secrets_dir / "acme" / "ca.pem")))
    checks = {
        r.name: r
        for r in http_checks(
            WEB_PROD[1],
            prod_site,
            marker="hooks-app",
            health_url=None,
            tls=True,
            tls_ca_file=str(roots),
        )
    }
    assert checks["tls"].passed, checks["tls"].detail
    assert checks["http_home"].passed
    info = certificate_info(WEB_PROD[1], prod_site)
    assert prod_site in info.subject_names and info.days_left > 30
    second = adapter.run(
        "tls.yml",
        extravars=tls_extravars(tls_config(lab), prod_site),
        limit=WEB_PROD[0],
        run_dir=runs / "tls-2",
        step="tls",
    )
    assert second.outputs["tls_status"] == "valid" and second.total_changed == 0
    # The scheduler's renewal: a window longer than the certificate forces a renewal.
    store = Store(lab.store_url)
    try:
        report = build_tls_renewal(lab, store).renew(days=100000)
    finally:
        store.dispose()
    mine = [entry for entry in report if entry.get("fqdn") == prod_site]
    assert mine and mine[0]["tls_status"] == "renewed", report
    assert certificate_info(WEB_PROD[1], prod_site).not_after >= info.not_after


def test_tls_with_the_ca_unreachable_keeps_http_and_says_why(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, app: App
) -> None:
    fqdn = f"hu{secrets.token_hex(3)}.{ZONE}"
    try:
        adapter.run(
            "site.yml",
            extravars=site_vars(fqdn, app.repo_url, app.good),
            limit=WEB_PROD[0],
            run_dir=runs / "tls-away-site",
            step="site",
        )
        away = {
            **tls_extravars(tls_config(lab), fqdn),
            "tls_acme_directory_url": "https://127.0.2.53:14999/dir",
        }
        result = adapter.run(
            "tls.yml", extravars=away, limit=WEB_PROD[0], run_dir=runs / "tls-away", step="tls"
        )
        assert result.outputs["tls_status"] == "unavailable"
        assert result.outputs["tls_https"] is False
        assert "the CA could not be reached" in result.outputs["tls_reason"]
        assert get(WEB_PROD[1], fqdn).text.startswith("hooks-app")
        link = ssh(lab, WEB_PROD[1], f"ls /etc/apache2/sites-enabled/{fqdn}.ssl.conf", False)
        assert link.returncode != 0
    finally:
        adapter.run(
            "site_remove.yml",
            extravars={"site_fqdn": fqdn},
            limit=WEB_PROD[0],
            run_dir=runs / "tls-away-undo",
            step="site",
        )
