"""Post-deploy checks (one remote script over ssh, httpx) against a site deployed on the lab.

The checks must pass on a good deploy and report — not raise — every kind of failure: a
wrong commit, a world-readable .env, a site that is not there, a server that does not answer.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.checks import CheckResult, host_checks, http_checks
from provisioner.adapters.ssh import CommandResult, SshClient
from provisioner.adapters.ssh_options import git_ssh_command, ssh_command
from provisioner.bootstrap.configs import ansible_config, ssh_config
from provisioner.config import PROJECT_ROOT, Settings

pytestmark = pytest.mark.lab

WEB, WEB_ADDRESS = "web-dev", "127.0.2.11"
REPO = "ssh://root@127.0.2.40/srv/git/sample-app.git"
MARKER = "provisioner-sample-app"
UNUSED = "127.0.2.199"  # a loopback address nobody listens on


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def ssh(settings: Settings, command: str) -> str:
    return subprocess.run(
        [*ssh_command(ssh_config(settings)), f"root@{WEB_ADDRESS}", command],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def runs() -> Path:
    path = PROJECT_ROOT / "test-artifacts" / f"checks-{time.strftime('%Y%m%dT%H%M%S')}"
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def deployed(lab: Settings, runs: Path) -> Iterator[tuple[str, str]]:
    """(fqdn, commit) of the sample app deployed on web-dev with its database."""
    adapter = AnsibleAdapter(ansible_config(lab))
    commit = subprocess.run(
        ["git", "ls-remote", REPO, "refs/heads/main"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "GIT_SSH_COMMAND": git_ssh_command(ssh_config(lab))},
    ).stdout.split()[0]
    tag = secrets.token_hex(3)
    fqdn, name = f"c{tag}.dev.demokab.go.id", f"c{tag}"
    password = "Pw-" + secrets.token_hex(10)
    db_vars = {"db_name": name, "db_user": name, "db_password": password}
    adapter.run("database.yml", extravars=db_vars, limit=None, run_dir=runs / "db", step="database")
    adapter.run(
        "site.yml",
        extravars={
            **db_vars,
            "site_fqdn": fqdn,
            "repo_url": REPO,
            "commit": commit,
            "db_host": "127.0.2.30",
        },
        limit=WEB,
        run_dir=runs / "site",
        step="deploy",
    )
    yield fqdn, commit
    adapter.run(
        "site_remove.yml",
        extravars={"site_fqdn": fqdn},
        limit=WEB,
        run_dir=runs / "site-undo",
        step="deploy",
    )
    adapter.run(
        "database.yml",
        extravars={**db_vars, "db_state": "absent"},
        limit=None,
        run_dir=runs / "db-undo",
        step="database",
    )


def test_host_checks_pass_on_a_good_deploy(lab: Settings, deployed: tuple[str, str]) -> None:
    fqdn, commit = deployed
    started = time.monotonic()
    results = host_checks(ssh_config(lab), WEB_ADDRESS, fqdn, commit)
    elapsed = time.monotonic() - started
    failed = [r for r in results if not r.passed]
    assert failed == []
    assert set(by_name(results)) == {
        "ssh",
        "site_enabled",
        "apache_configtest",
        "current_release",
        "env_permissions",
        "site_tree_private",
        "apache_running",
        "php_fpm_running",
        "php_fpm_pool",
    }
    assert commit in by_name(results)["current_release"].detail
    assert elapsed < 10, f"host checks took {elapsed:.1f} s"


def test_host_checks_are_one_remote_script_per_host(
    lab: Settings, deployed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every host fact, the database probe included, from one SSH exec (there were ~20)."""
    fqdn, commit = deployed
    commands: list[str] = []
    run = SshClient.run

    def counted(self: SshClient, command: str, **kwargs: object) -> CommandResult:
        commands.append(command)
        return run(self, command, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SshClient, "run", counted)
    # A spy on the real client (the exec still reaches web-dev's sshd); speed itself is
    # measured in bench/, not asserted here.
    results = host_checks(ssh_config(lab), WEB_ADDRESS, fqdn, commit, database=True,
                          host_name=WEB)  # fmt: skip
    assert [r.name for r in results if not r.passed] == []
    assert len(commands) == 1 and commands[0].startswith("python3 - "), commands


def test_host_checks_report_another_commit(lab: Settings, deployed: tuple[str, str]) -> None:
    fqdn, _ = deployed
    results = by_name(host_checks(ssh_config(lab), WEB_ADDRESS, fqdn, "0" * 40))
    assert not results["current_release"].passed
    assert results["apache_configtest"].passed


def test_host_checks_report_a_world_readable_env(lab: Settings, deployed: tuple[str, str]) -> None:
    fqdn, commit = deployed
    env = f"/var/www/{fqdn}/shared/.env"
    ssh(lab, f"chmod 0644 {env}")
    try:
        result = by_name(host_checks(ssh_config(lab), WEB_ADDRESS, fqdn, commit))["env_permissions"]
    finally:
        ssh(lab, f"chmod 0640 {env}")
    assert not result.passed and "0644" in result.detail
    assert ssh(lab, f"stat -c %a {env}").strip() == "640"


def test_host_checks_report_a_missing_site(lab: Settings) -> None:
    results = by_name(
        host_checks(ssh_config(lab), WEB_ADDRESS, "nothere.dev.demokab.go.id", "0" * 40)
    )
    assert not results["site_enabled"].passed
    assert not results["current_release"].passed
    assert not results["env_permissions"].passed


def test_host_checks_report_an_unreachable_host(lab: Settings) -> None:
    results = host_checks(ssh_config(lab), UNUSED, "x.dev.demokab.go.id", "0" * 40)
    assert [r.name for r in results] == ["ssh"]
    assert not results[0].passed and UNUSED in results[0].detail


def test_http_checks_pass_with_marker_and_health(deployed: tuple[str, str]) -> None:
    fqdn, _ = deployed
    results = http_checks(WEB_ADDRESS, fqdn, marker=MARKER, health_url="/health.php")
    assert [r for r in results if not r.passed] == []
    assert set(by_name(results)) == {"http_home", "security_headers", "http_health"}
    # A URL naming the site is still asked of the address (no DNS needed).
    by_url = by_name(
        http_checks(WEB_ADDRESS, fqdn, marker=None, health_url=f"http://{fqdn}/health.php")
    )
    assert by_url["http_health"].passed


def test_http_checks_report_missing_marker_and_bad_health(deployed: tuple[str, str]) -> None:
    fqdn, _ = deployed
    results = by_name(
        http_checks(WEB_ADDRESS, fqdn, marker="not-in-the-page", health_url="/missing.php")
    )
    assert not results["http_home"].passed and "marker missing" in results["http_home"].detail
    assert not results["http_health"].passed and "404" in results["http_health"].detail


def test_http_checks_report_an_unknown_site_and_a_closed_port() -> None:
    unknown = by_name(
        http_checks(WEB_ADDRESS, "nothere.dev.demokab.go.id", marker=MARKER, health_url=None)
    )
    assert not unknown["http_home"].passed and "404" in unknown["http_home"].detail
    closed = http_checks(
        f"{UNUSED}:80", "x.dev.demokab.go.id", marker=None, health_url="/health.php", timeout=2
    )
    assert [r.passed for r in closed] == [False, False]
    assert "ConnectError" in closed[0].detail


def test_runs_leave_no_secret(lab: Settings, runs: Path, deployed: tuple[str, str]) -> None:
    # The run directories of this module's deploy: nothing says the DB password in clear.
    fqdn, _ = deployed
    env = ssh(lab, f"cat /var/www/{fqdn}/shared/.env")
    password = next(
        line.split("=", 1)[1].strip('"')
        for line in env.splitlines()
        if line.startswith("DB_PASSWORD=")
    )
    assert len(password) > 12
    leaked = [p for p in runs.rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
    assert leaked == []
    assert "db_password" not in (runs / "site" / "env" / "extravars").read_text()


def test_host_checks_reach_the_database_as_the_site_user(
    lab: Settings, deployed: tuple[str, str]
) -> None:
    fqdn, commit = deployed
    started = time.monotonic()
    results = by_name(
        host_checks(ssh_config(lab), WEB_ADDRESS, fqdn, commit, database=True, host_name=WEB)
    )
    elapsed = time.monotonic() - started
    db = results["database_reachable"]
    assert db.passed, db.detail
    # Names where from and to, and that it was the site's own MariaDB user.
    assert f"{WEB} ({WEB_ADDRESS})" in db.detail and "@127.0.2.30/" in db.detail
    assert f"{fqdn.split('.')[0]}@127.0.2." in db.detail  # CURRENT_USER() as MariaDB saw it
    assert elapsed < 12, f"host checks with the database took {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ('s/^DB_PASSWORD=.*/DB_PASSWORD="wrong-password"/', "Access denied"),
        (f's/^DB_HOST=.*/DB_HOST="{UNUSED}"/', "2002"),  # nothing listens there
    ],
    ids=["wrong-password", "database-host-down"],
)
def test_database_check_names_the_host_and_the_reason(
    lab: Settings, deployed: tuple[str, str], edit: str, reason: str
) -> None:
    fqdn, commit = deployed
    env = f"/var/www/{fqdn}/shared/.env"
    ssh(lab, f"cp -p {env} {env}.keep && sed -i '{edit}' {env}")
    try:
        results = host_checks(
            ssh_config(lab), WEB_ADDRESS, fqdn, commit, database=True, host_name=WEB
        )
    finally:
        ssh(lab, f"mv -f {env}.keep {env}")
    db = by_name(results)["database_reachable"]
    assert not db.passed
    assert f"from {WEB} ({WEB_ADDRESS})" in db.detail and reason in db.detail, db.detail
    # Everything else about the site is still fine: only the database check failed.
    assert [r.name for r in results if not r.passed] == ["database_reachable"]
