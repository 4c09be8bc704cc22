"""The lab of real servers, checked with independent clients (ssh, dig, curl, mariadb).

Runs against the shared lab: `lab_up` first (quick when it already runs), and the one
test that takes the lab down brings it back up before it ends, since other suites use it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from provisioner.config import Settings
from provisioner.lab import LAB_HOSTS, HostReport, lab_down, lab_status, lab_up

pytestmark = pytest.mark.lab

ADDRESSES = {host.name: host.address for host in LAB_HOSTS}
LOGINS = {host.name: host.login for host in LAB_HOSTS}  # web-sudo: ops, then sudo
SAMPLE_APP = Path(__file__).resolve().parents[2] / "provisioner" / "lab" / "sample_app"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def first_up(settings: Settings) -> list[HostReport]:
    return lab_up(settings)


def ssh(settings: Settings, host: str, command: str) -> subprocess.CompletedProcess[str]:
    """`command` as root on `host`: logged in as root, or as its user through sudo."""
    if LOGINS[host] != "root":
        command = f"sudo -n sh -c {shlex.quote(command)}"
    return subprocess.run(
        [
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            str(settings.ssh_key_path),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={settings.known_hosts_path}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout=5",
            f"{LOGINS[host]}@{ADDRESSES[host]}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def dig_soa(address: str) -> str:
    result = subprocess.run(
        ["dig", f"@{address}", "demokab.go.id", "SOA", "+short", "+time=1", "+tries=2"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return result.stdout.strip()


def curl(address: str, host_header: str) -> tuple[str, str]:
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-m",
            "5",
            "-H",
            f"Host: {host_header}",
            "-w",
            "\n%{http_code}",
            f"http://{address}/",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    body, _, code = result.stdout.rpartition("\n")
    return code, body


def state(settings: Settings) -> dict[str, dict[str, int]]:
    hosts: dict[str, dict[str, int]] = json.loads((settings.lab_dir / "state.json").read_text())[
        "hosts"
    ]
    return hosts


def process_gone(pid: int) -> bool:
    """Independent of the lab's own check: no /proc entry, or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def listening_on_lab_addresses() -> list[str]:
    out = subprocess.run(["ss", "-Hltnu"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if " 127.0.2." in line]


def test_up_reports_every_host_running(first_up: list[HostReport]) -> None:
    assert [r.name for r in first_up] == list(ADDRESSES)
    failed = [r for r in first_up if r.state not in ("running", "started")]
    assert not failed, failed
    assert all(r.address == ADDRESSES[r.name] for r in first_up)


def test_each_host_is_its_own_machine_with_sshd_as_pid_1(
    settings: Settings, first_up: list[HostReport]
) -> None:
    for name in ADDRESSES:
        result = ssh(settings, name, "hostname; cat /proc/1/comm")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [name, "sshd"]


def test_both_nameservers_serve_the_zone_with_the_same_serial(
    first_up: list[HostReport],
) -> None:
    primary = dig_soa(ADDRESSES["ns1"])
    assert primary.startswith("ns1.demokab.go.id. hostmaster.demokab.go.id. ")
    deadline = time.monotonic() + 10
    while dig_soa(ADDRESSES["ns2"]) != dig_soa(ADDRESSES["ns1"]):
        assert time.monotonic() < deadline, "ns2 did not catch up with ns1"
        time.sleep(0.1)
    www = subprocess.run(
        ["dig", "@127.0.2.54", "www.demokab.go.id", "A", "+short"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert www.stdout.strip() == "127.0.2.12"


def test_zone_transfer_without_the_key_is_refused(first_up: list[HostReport]) -> None:
    result = subprocess.run(
        ["dig", "@127.0.2.53", "demokab.go.id", "AXFR", "+time=2"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert "Transfer failed" in result.stdout


@pytest.mark.parametrize("web", ["web-dev", "web-prod"])
def test_web_hosts_answer_unknown_names_with_no_site(web: str, first_up: list[HostReport]) -> None:
    code, body = curl(ADDRESSES[web], "no-such-site.demokab.go.id")
    assert code == "404"
    assert "tidak ada situs / no site" in body


def test_db_takes_tcp_logins_from_lab_addresses_only_on_its_address(
    settings: Settings, first_up: list[HostReport]
) -> None:
    creds = json.loads((settings.secrets_dir / "mariadb.json").read_text())
    result = subprocess.run(
        [
            "mariadb",
            "--no-defaults",
            "-h",
            creds["host"],
            "-P",
            str(creds["port"]),
            "-u",
            creds["user"],
            f"-p{creds['password']}",
            "-N",
            "-B",
            "-e",
            "SELECT @@hostname, @@bind_address",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["db", "127.0.2.30"]


def test_web_host_clones_the_sample_app_from_the_git_host_over_ssh(
    settings: Settings, first_up: list[HostReport]
) -> None:
    result = ssh(
        settings,
        "web-dev",
        "git ls-remote --heads ssh://root@127.0.2.40/srv/git/sample-app.git",
    )
    assert result.returncode == 0, result.stderr
    heads = {line.split("refs/heads/")[1] for line in result.stdout.splitlines()}
    assert {"main", "broken-health"} <= heads


def test_sample_app_php_is_valid() -> None:
    files = sorted(SAMPLE_APP.rglob("*.php")) + sorted(
        (SAMPLE_APP.parent / "sample_app_variants").rglob("*.php")
    )
    assert len(files) >= 4
    for path in files:
        result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((SAMPLE_APP / "provisioner.json").read_text())
    assert manifest == {"health_url": "/health.php", "marker": "provisioner-sample-app"}


def test_second_up_is_idempotent_and_quick(settings: Settings, first_up: list[HostReport]) -> None:
    before = state(settings)
    began = time.monotonic()
    reports = lab_up(settings)
    elapsed = time.monotonic() - began
    assert [r.state for r in reports] == ["running"] * len(ADDRESSES), reports
    assert elapsed < 3.0
    assert state(settings) == before


def test_status_reports_every_host_running(settings: Settings, first_up: list[HostReport]) -> None:
    reports = lab_status(settings)
    assert [(r.name, r.state) for r in reports] == [(n, "running") for n in ADDRESSES]
    assert "named ok (serial " in reports[0].detail


def test_web_sudo_refuses_root_and_lets_its_user_become_root(
    settings: Settings, first_up: list[HostReport]
) -> None:
    as_root = subprocess.run(
        ["ssh", "-F", "/dev/null", "-i", str(settings.ssh_key_path), "-o", "IdentitiesOnly=yes",
         "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={settings.known_hosts_path}",
         "-o", "StrictHostKeyChecking=yes", f"root@{ADDRESSES['web-sudo']}", "true"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert as_root.returncode == 255 and "Permission denied" in as_root.stderr
    result = ssh(settings, "web-sudo", "id -u; echo $SUDO_USER")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "ops"]


def test_user_created_on_web_dev_exists_nowhere_else(
    settings: Settings, first_up: list[HostReport]
) -> None:
    user = f"labt{uuid.uuid4().hex[:8]}"
    created = ssh(settings, "web-dev", f"useradd --no-create-home {user} && id -u {user}")
    try:
        assert created.returncode == 0, created.stderr
        assert ssh(settings, "web-prod", f"id {user}").returncode != 0
        assert f"\n{user}:" not in "\n" + Path("/etc/passwd").read_text()
    finally:
        ssh(settings, "web-dev", f"userdel {user}")
    assert ssh(settings, "web-dev", f"id {user}").returncode != 0


def test_web_dev_and_web_prod_have_their_own_var_www(
    settings: Settings, first_up: list[HostReport]
) -> None:
    marker = f"/var/www/lab-test-{uuid.uuid4().hex[:8]}"
    try:
        assert ssh(settings, "web-dev", f"touch {marker}").returncode == 0
        assert ssh(settings, "web-dev", f"test -e {marker}").returncode == 0
        assert ssh(settings, "web-prod", f"test -e {marker}").returncode != 0
        assert not Path(marker).exists()
    finally:
        ssh(settings, "web-dev", f"rm -f {marker}")


def test_up_restarts_a_dead_daemon_and_leaves_the_rest_alone(
    settings: Settings, first_up: list[HostReport]
) -> None:
    killed = ssh(
        settings,
        "web-prod",
        "pid=$(cat /run/apache2/apache2.pid) && kill $pid && "
        "while kill -0 $pid 2>/dev/null; do sleep 0.05; done",
    )
    assert killed.returncode == 0, killed.stderr
    assert curl(ADDRESSES["web-prod"], "x")[0] == "000"
    reports = {r.name: r.state for r in lab_up(settings)}
    assert reports.pop("web-prod") == "started"
    assert set(reports.values()) == {"running"}
    assert curl(ADDRESSES["web-prod"], "x")[0] == "404"


def test_down_leaves_nothing_running_and_up_works_again(
    settings: Settings, first_up: list[HostReport]
) -> None:
    recorded = state(settings)
    try:
        reports = lab_down(settings)
        assert [r.state for r in reports] == ["stopped"] * len(ADDRESSES), reports
        for entry in recorded.values():
            assert process_gone(entry["pid1"]), entry
            assert process_gone(entry["unshare_pid"]), entry
        assert listening_on_lab_addresses() == []
        lo = subprocess.run(
            ["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True, check=True
        ).stdout
        assert "127.0.2." not in lo
        assert not (settings.lab_dir / "state.json").exists()
        assert {r.state for r in lab_status(settings)} == {"stopped"}
    finally:
        began = time.monotonic()
        again = lab_up(settings)
        elapsed = time.monotonic() - began
    assert [r.state for r in again] == ["started"] * len(ADDRESSES), again
    assert elapsed < 30.0
    assert ssh(settings, "git", "hostname").stdout.strip() == "git"


def test_lab_data_stays_private(settings: Settings, first_up: list[HostReport]) -> None:
    secrets = settings.secrets_dir
    assert secrets.stat().st_mode & 0o777 == 0o700
    for path in secrets.iterdir():
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o600, path
    assert os.access(settings.known_hosts_path, os.R_OK)
