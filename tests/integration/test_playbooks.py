"""The playbooks through the Ansible adapter against the lab's real servers.

Every claim is checked independently of Ansible: over ssh with `cat`/`readlink`/`sha1sum`,
with the mariadb client, and over HTTP with httpx. Each module-scoped fixture uses its own
random names (t<hex>…) and undoes what it created.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from provisioner.adapters.ansible import AnsibleAdapter, PlaybookFailed, PlaybookResult
from provisioner.adapters.ssh_options import git_ssh_command, ssh_command
from provisioner.bootstrap.configs import ansible_config, ssh_config
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.errors import StepFailed
from provisioner.domain.site_account import site_user

pytestmark = pytest.mark.lab

WEB_DEV = ("web-dev", "127.0.2.11")
DB_ADDRESS = "127.0.2.30"
REPO = "ssh://root@127.0.2.40/srv/git/sample-app.git"
MARKER = "provisioner-sample-app"


# --- helpers ---------------------------------------------------------------------------


def ssh(
    settings: Settings,
    address: str,
    command: str,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command on a lab host with plain OpenSSH (not through Ansible)."""
    prefix = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    return subprocess.run(
        [*ssh_command(ssh_config(settings)), f"root@{address}", f"{prefix} {command}".strip()],
        capture_output=True,
        text=True,
        timeout=30,
        check=check,
    )


def remote_commit(settings: Settings, branch: str) -> str:
    out = subprocess.run(
        ["git", "ls-remote", REPO, f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "GIT_SSH_COMMAND": git_ssh_command(ssh_config(settings))},
    )
    return out.stdout.split()[0]


def get(address: str, fqdn: str, path: str = "/") -> httpx.Response:
    return httpx.get(f"http://{address}{path}", headers={"Host": fqdn}, timeout=5, trust_env=False)


def files_containing(root: Path, needle: str) -> list[Path]:
    """Like `grep -rl needle root`."""
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


@dataclass
class Db:
    name: str
    user: str
    password: str
    first: PlaybookResult
    second: PlaybookResult


@dataclass
class Site:
    fqdn: str
    commit: str
    vars: dict[str, object]
    first: PlaybookResult
    second: PlaybookResult


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter(lab: Settings) -> AnsibleAdapter:
    return AnsibleAdapter(ansible_config(lab))


@pytest.fixture(scope="module")
def runs() -> Path:
    """Run directories kept for inspection (pytest's own tmp dirs rotate away)."""
    path = PROJECT_ROOT / "test-artifacts" / f"playbooks-{time.strftime('%Y%m%dT%H%M%S')}"
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def main_commit(lab: Settings) -> str:
    return remote_commit(lab, "main")


@pytest.fixture(scope="module")
def db(lab: Settings, adapter: AnsibleAdapter, runs: Path) -> Iterator[Db]:
    tag = secrets.token_hex(3)
    name = user = f"t{tag}_app"  # the underscore checks the escaped GRANT
    password = "Pw-" + secrets.token_hex(10)
    extravars = {"db_name": name, "db_user": user, "db_password": password}
    first = adapter.run(
        "database.yml",
        extravars=extravars,
        limit=None,
        run_dir=runs / f"db-{tag}-1",
        step="database",
    )
    second = adapter.run(
        "database.yml",
        extravars=extravars,
        limit=None,
        run_dir=runs / f"db-{tag}-2",
        step="database",
    )
    yield Db(name, user, password, first, second)
    adapter.run(
        "database.yml",
        extravars={"db_name": name, "db_user": user, "db_state": "absent"},
        limit=None,
        run_dir=runs / f"db-{tag}-undo",
        step="database",
    )


@pytest.fixture(scope="module")
def site(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, db: Db, main_commit: str
) -> Iterator[Site]:
    tag = secrets.token_hex(3)
    fqdn = f"t{tag}.dev.demokab.go.id"
    extravars: dict[str, object] = {
        "site_fqdn": fqdn,
        "repo_url": REPO,
        "commit": main_commit,
        "db_host": DB_ADDRESS,
        "db_name": db.name,
        "db_user": db.user,
        "db_password": db.password,
    }
    first = adapter.run(
        "site.yml",
        extravars=extravars,
        limit=WEB_DEV[0],
        run_dir=runs / f"site-{tag}-1",
        step="deploy",
    )
    second = adapter.run(
        "site.yml",
        extravars=extravars,
        limit=WEB_DEV[0],
        run_dir=runs / f"site-{tag}-2",
        step="deploy",
    )
    yield Site(fqdn, main_commit, extravars, first, second)
    adapter.run(
        "site_remove.yml",
        extravars={"site_fqdn": fqdn},
        limit=WEB_DEV[0],
        run_dir=runs / f"site-{tag}-undo",
        step="deploy",
    )


# --- database ----------------------------------------------------------------------------


def test_database_role_creates_db_and_user_then_changes_nothing(lab: Settings, db: Db) -> None:
    assert db.first.status == "successful"
    assert db.first.changed.get("db", 0) >= 1
    assert db.second.total_changed == 0, db.second.stdout
    out = ssh(
        lab,
        DB_ADDRESS,
        f"mariadb -N -e \"SHOW DATABASES LIKE '{db.name}'; "
        f"SELECT Host FROM mysql.user WHERE User='{db.user}'\"",
    )
    assert out.stdout.split() == [db.name, "127.0.2.%"]


def test_database_user_connects_from_web_host_with_its_password(lab: Settings, db: Db) -> None:
    out = ssh(
        lab,
        WEB_DEV[1],
        f"mariadb -h {DB_ADDRESS} -u {db.user} -N -e 'SELECT DATABASE(), CURRENT_USER()' {db.name}",
        env={"MYSQL_PWD": db.password},
    )
    assert out.stdout.split() == [db.name, f"{db.user}@127.0.2.%"]
    # Grants are for this database only (the underscore in the name was escaped).
    other = ssh(
        lab,
        WEB_DEV[1],
        f"mariadb -h {DB_ADDRESS} -u {db.user} -e 'SELECT 1' mysql",
        env={"MYSQL_PWD": db.password},
        check=False,
    )
    assert other.returncode != 0 and "denied" in other.stderr


def test_database_role_refuses_system_names(adapter: AnsibleAdapter, runs: Path) -> None:
    with pytest.raises(PlaybookFailed) as err:
        adapter.run(
            "database.yml",
            extravars={"db_name": "mysql", "db_user": "root", "db_state": "absent"},
            limit=None,
            run_dir=runs / "db-refused",
            step="database",
        )
    assert err.value.server == "db"
    assert "invalid database or user name" in err.value.reason


def test_database_undo_drops_db_and_users(
    lab: Settings, adapter: AnsibleAdapter, runs: Path
) -> None:
    name = f"t{secrets.token_hex(3)}"
    present = {"db_name": name, "db_user": name, "db_password": "Pw-" + secrets.token_hex(10)}
    adapter.run(
        "database.yml", extravars=present, limit=None, run_dir=runs / f"{name}-1", step="database"
    )
    absent = {"db_name": name, "db_user": name, "db_state": "absent"}
    dropped = adapter.run(
        "database.yml", extravars=absent, limit=None, run_dir=runs / f"{name}-2", step="database"
    )
    again = adapter.run(
        "database.yml", extravars=absent, limit=None, run_dir=runs / f"{name}-3", step="database"
    )
    assert dropped.total_changed == 1 and again.total_changed == 0
    out = ssh(
        lab,
        DB_ADDRESS,
        f"mariadb -N -e \"SHOW DATABASES LIKE '{name}'; "
        f"SELECT COUNT(*) FROM mysql.user WHERE User='{name}'\"",
    )
    assert out.stdout.split() == ["0"]


# --- site ------------------------------------------------------------------------------


def test_site_deploys_the_commit_and_serves_the_marker(lab: Settings, site: Site) -> None:
    root = f"/var/www/{site.fqdn}"
    assert site.first.changed.get("web-dev", 0) > 0
    release = site.first.outputs["release_path"]
    assert str(release).startswith(f"{root}/releases/")
    assert str(release).endswith("-" + site.commit[:12])
    out = ssh(
        lab,
        WEB_DEV[1],
        f"readlink {root}/current; git -c safe.directory='*' -C {root}/current rev-parse HEAD; "
        f"readlink {root}/current/.env; stat -c '%a %U %G' {root}/shared/.env; "
        f"readlink /etc/apache2/sites-enabled/{site.fqdn}.conf",
    )
    assert out.stdout.split() == [
        "releases/" + Path(str(release)).name,
        site.commit,
        f"{root}/shared/.env",
        "640",
        site_user(site.fqdn),
        site_user(site.fqdn),
        f"../sites-available/{site.fqdn}.conf",
    ]
    page = get(WEB_DEV[1], site.fqdn)
    assert page.status_code == 200 and MARKER in page.text
    assert page.headers["x-content-type-options"] == "nosniff"
    assert get(WEB_DEV[1], site.fqdn, "/health.php").json() == {"status": "ok", "db": True}
    # Outside public/ nothing is served.
    assert get(WEB_DEV[1], site.fqdn, "/.env").status_code == 404


def test_second_site_run_changes_nothing_and_reuses_the_release(site: Site) -> None:
    assert site.second.total_changed == 0, site.second.stdout
    assert site.second.outputs["release_reused"] is True
    assert site.second.outputs["release_name"] == site.first.outputs["release_name"]


def test_no_secret_in_any_run_directory(runs: Path, db: Db, site: Site) -> None:
    assert files_containing(runs, db.password) == []


def test_invalid_vhost_is_refused_and_the_previous_config_stays(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, site: Site, main_commit: str
) -> None:
    conf = f"/etc/apache2/sites-available/{site.fqdn}.conf"
    before = ssh(lab, WEB_DEV[1], f"sha1sum {conf}").stdout
    statuses: list[int] = []
    stop = threading.Event()

    def watch() -> None:  # the existing site must answer all along
        while not stop.is_set():
            statuses.append(get(WEB_DEV[1], site.fqdn).status_code)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with pytest.raises(PlaybookFailed) as err:
            adapter.run(
                "site.yml",
                extravars={**site.vars, "extra_directives": "InvalidDirectiveXYZ on"},
                limit=WEB_DEV[0],
                run_dir=runs / "fault-existing",
                step="vhost",
            )
    finally:
        stop.set()
        watcher.join()
    assert err.value.server == "web-dev"
    assert "InvalidDirectiveXYZ" in err.value.reason
    assert "previous configuration restored" in err.value.reason
    assert ssh(lab, WEB_DEV[1], f"sha1sum {conf}").stdout == before
    assert ssh(lab, WEB_DEV[1], "apache2ctl configtest", check=False).returncode == 0
    assert statuses and set(statuses) == {200}, statuses
    assert get(WEB_DEV[1], site.fqdn).status_code == 200


def test_invalid_new_vhost_leaves_no_file_and_no_link(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, site: Site
) -> None:
    fqdn = f"t{secrets.token_hex(3)}.dev.demokab.go.id"
    try:
        with pytest.raises(PlaybookFailed) as err:
            adapter.run(
                "site.yml",
                extravars={
                    **site.vars,
                    "site_fqdn": fqdn,
                    "extra_directives": "InvalidDirectiveXYZ on",
                },
                limit=WEB_DEV[0],
                run_dir=runs / "fault-new",
                step="vhost",
            )
        assert "InvalidDirectiveXYZ" in err.value.reason
        out = ssh(
            lab,
            WEB_DEV[1],
            f"ls /etc/apache2/sites-available/{fqdn}.conf /etc/apache2/sites-enabled/{fqdn}.conf",
            check=False,
        )
        assert out.stdout == "" and out.stderr.count("No such file") == 2
        assert get(WEB_DEV[1], site.fqdn).status_code == 200
    finally:
        adapter.run(
            "site_remove.yml",
            extravars={"site_fqdn": fqdn},
            limit=WEB_DEV[0],
            run_dir=runs / "fault-new-undo",
            step="vhost",
        )


def test_failed_health_check_moves_current_back(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, site: Site
) -> None:
    broken = remote_commit(lab, "broken-health")
    with pytest.raises(PlaybookFailed) as err:
        adapter.run(
            "site.yml",
            extravars={**site.vars, "commit": broken, "health_url": "/health.php"},
            limit=WEB_DEV[0],
            run_dir=runs / "health-broken",
            step="deploy",
        )
    assert "health check failed" in err.value.reason
    current = ssh(lab, WEB_DEV[1], f"readlink /var/www/{site.fqdn}/current").stdout.strip()
    assert current.endswith("-" + site.commit[:12])
    assert get(WEB_DEV[1], site.fqdn, "/health.php").status_code == 200


def test_rollback_moves_current_to_the_previous_release(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, site: Site
) -> None:
    broken = remote_commit(lab, "broken-health")
    adapter.run(
        "site.yml",
        extravars={**site.vars, "commit": broken},
        limit=WEB_DEV[0],
        run_dir=runs / "rollback-1",
        step="deploy",
    )
    root = f"/var/www/{site.fqdn}"
    assert ssh(lab, WEB_DEV[1], f"readlink {root}/current").stdout.strip().endswith(broken[:12])
    assert get(WEB_DEV[1], site.fqdn, "/health.php").status_code != 200
    back = adapter.run(
        "rollback.yml",
        extravars={"site_fqdn": site.fqdn},
        limit=WEB_DEV[0],
        run_dir=runs / "rollback-2",
        step="rollback",
    )
    assert back.outputs["release_name"].endswith(site.commit[:12])
    assert (
        ssh(lab, WEB_DEV[1], f"readlink {root}/current").stdout.strip().endswith(site.commit[:12])
    )
    # PHP-FPM was reloaded: the old release answers at once, not after the realpath cache.
    assert get(WEB_DEV[1], site.fqdn, "/health.php").status_code == 200


def test_site_remove_undoes_the_site(
    lab: Settings, adapter: AnsibleAdapter, runs: Path, site: Site, main_commit: str
) -> None:
    fqdn = f"t{secrets.token_hex(3)}.dev.demokab.go.id"
    try:
        adapter.run(
            "site.yml",
            extravars={**site.vars, "site_fqdn": fqdn},
            limit=WEB_DEV[0],
            run_dir=runs / "remove-1",
            step="deploy",
        )
    except StepFailed:
        # Leave nothing behind even when the deploy half-happened.
        adapter.run(
            "site_remove.yml",
            extravars={"site_fqdn": fqdn},
            limit=WEB_DEV[0],
            run_dir=runs / "remove-cleanup",
            step="deploy",
        )
        raise
    assert get(WEB_DEV[1], fqdn).status_code == 200
    removed = adapter.run(
        "site_remove.yml",
        extravars={"site_fqdn": fqdn},
        limit=WEB_DEV[0],
        run_dir=runs / "remove-2",
        step="deploy",
    )
    again = adapter.run(
        "site_remove.yml",
        extravars={"site_fqdn": fqdn},
        limit=WEB_DEV[0],
        run_dir=runs / "remove-3",
        step="deploy",
    )
    assert removed.total_changed > 0 and again.total_changed == 0
    out = ssh(
        lab,
        WEB_DEV[1],
        f"ls -d /var/www/{fqdn} /etc/apache2/sites-available/{fqdn}.conf "
        f"/etc/apache2/sites-enabled/{fqdn}.conf",
        check=False,
    )
    assert out.stdout == "" and out.stderr.count("No such file") == 3
    assert get(WEB_DEV[1], fqdn).status_code == 404  # the catch-all answers now
    assert get(WEB_DEV[1], site.fqdn).status_code == 200


def test_site_yml_refuses_more_than_one_web_server(
    adapter: AnsibleAdapter, runs: Path, site: Site
) -> None:
    with pytest.raises(PlaybookFailed) as err:
        adapter.run(
            "site.yml",
            extravars=site.vars,
            limit="webservers",
            run_dir=runs / "two-hosts",
            step="deploy",
        )
    assert "--limit" in err.value.reason


def test_cancel_stops_the_run_and_is_reported(
    adapter: AnsibleAdapter, runs: Path, site: Site
) -> None:
    with pytest.raises(PlaybookFailed) as err:
        adapter.run(
            "site.yml",
            extravars=site.vars,
            limit=WEB_DEV[0],
            run_dir=runs / "canceled",
            step="deploy",
            cancel=lambda: True,
        )
    assert err.value.reason == "dibatalkan / canceled"
    assert err.value.result.status == "canceled"
    assert get(WEB_DEV[1], site.fqdn).status_code == 200


def test_unknown_playbook_is_refused_before_running(adapter: AnsibleAdapter, runs: Path) -> None:
    with pytest.raises(StepFailed) as err:
        adapter.run(
            "../etc/passwd", extravars={}, limit=None, run_dir=runs / "unknown", step="deploy"
        )
    assert "unknown playbook" in err.value.reason
    assert not (runs / "unknown").exists()
