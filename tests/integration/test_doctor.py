"""`provisioner doctor` on the real lab: green as the lab stands, and a red line that says
what to fix for each planted fault — a wrong TSIG key, a host with no sshd, an unknown host
key, a missing Apache module, an SMTP server that is not there. Every fault is planted in
this test's own settings (a zones file, an inventory copy, a known_hosts file, a module
list); the lab's servers are never touched."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
import yaml
from aiosmtpd.controller import Controller

from provisioner.bootstrap.doctor import build_doctor
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.doctor import CheckResult, DoctorReport

pytestmark = pytest.mark.lab
NO_SSHD = "127.0.2.99"  # a loopback address no lab host uses: nothing listens on it
WEB_HOSTS = ("web-dev", "web-prod", "web-sudo")  # web-sudo: as ops, through sudo


def settings_for(lab: Settings, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", lab_path=lab.lab_dir, environment="lab",
                    **overrides)  # type: ignore[arg-type]


def lines(report: DoctorReport, check: str) -> list[CheckResult]:
    return [r for r in report.results if r.check == check]


def line_for(report: DoctorReport, check: str, target_part: str) -> CheckResult:
    found = [r for r in lines(report, check) if r.target.startswith(target_part)]
    assert len(found) == 1, (check, target_part, report.results)
    return found[0]


def probe_name_absent_everywhere(zone: str, wait: float = 10.0) -> bool:
    """NXDOMAIN for the probe name on both name servers (the secondary gets the removal by
    NOTIFY + IXFR, a moment after the primary)."""
    query = dns.message.make_query(f"_provisioner-doctor.{zone}", dns.rdatatype.TXT)
    deadline = time.monotonic() + wait
    while True:
        rcodes = {dns.query.udp(query, server, timeout=3).rcode()
                  for server in ("127.0.2.53", "127.0.2.54")}
        if rcodes == {dns.rcode.NXDOMAIN} or time.monotonic() > deadline:
            return rcodes == {dns.rcode.NXDOMAIN}
        time.sleep(0.2)


def test_doctor_on_the_lab_is_green_and_leaves_no_probe_record(
    lab: Settings, tmp_path: Path
) -> None:
    report = build_doctor(settings_for(lab, tmp_path)).run()
    assert report.healthy, [r for r in report.results if r.verdict == "fail"]
    for zone in ("demokab.go.id", "demokota.go.id"):
        assert line_for(report, "dns.update", zone).verdict == "ok"
        assert {r.target for r in lines(report, "dns.nameserver")
                if r.target.startswith(f"{zone} @")} == {
            f"{zone} @ ns1.demokab.go.id (127.0.2.53)", f"{zone} @ ns2.demokab.go.id (127.0.2.54)"}
        assert probe_name_absent_everywhere(zone)
    assert {r.target.split(" ")[0] for r in lines(report, "ssh")} == {
        "ns1", "ns2", "web-dev", "web-prod", "web-sudo", "db", "git"}
    assert line_for(report, "sudo", "web-sudo (ops@127.0.2.13)").verdict == "ok"
    for host in WEB_HOSTS:
        assert "Apache/2.4" in line_for(report, "apache", host).fact
        assert "PHP 8" in line_for(report, "php-fpm", host).fact
        assert "branch(es)" in line_for(report, "git", host).fact
    assert "MariaDB" in line_for(report, "mariadb", "db").fact
    assert line_for(report, "acme", "https://127.0.2.53:14000/dir").verdict == "ok"
    assert line_for(report, "smtp", "-").verdict == "skip"


def test_wrong_tsig_key_is_a_red_update_line_naming_the_key_file(
    lab: Settings, tmp_path: Path
) -> None:
    real = json.loads((lab.secrets_dir / "tsig.json").read_text())
    wrong = tmp_path / "wrong-tsig.json"
    wrong.write_text(json.dumps({**real, "secret": base64.b64encode(os.urandom(32)).decode()}))
    zones = tmp_path / "zones.json"
    zones.write_text(json.dumps([{"zone": "demokab.go.id", "primary": "127.0.2.53",
                                  "tsig_key_file": str(wrong)}]))
    report = build_doctor(settings_for(lab, tmp_path, zones_file=zones)).run()
    line = line_for(report, "dns.update", "demokab.go.id")
    assert line.verdict == "fail"
    assert "PeerBadSignature" in line.fact
    assert str(wrong) in line.fix and "BADSIG" in line.fix
    assert not report.healthy
    # The name servers still answer: only the key is wrong.
    assert all(r.verdict == "ok" for r in lines(report, "dns.nameserver"))
    assert probe_name_absent_everywhere("demokab.go.id")


def test_host_without_sshd_is_a_red_ssh_line_and_nothing_more_for_it(
    lab: Settings, tmp_path: Path
) -> None:
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect((NO_SSHD, 22))  # the planted fault holds: nothing listens there
    inventory = yaml.safe_load(lab.inventory.read_text())
    inventory["all"]["children"]["webservers"]["hosts"]["web-gone"] = {"ansible_host": NO_SSHD}
    copy = tmp_path / "hosts.yml"
    copy.write_text(yaml.safe_dump(inventory))
    report = build_doctor(settings_for(lab, tmp_path, inventory=copy)).run()
    line = line_for(report, "ssh", "web-gone")
    assert line.verdict == "fail"
    assert line.fact.startswith("refused:") and "Connection refused" in line.fact
    assert f"{NO_SSHD}:22" in line.fix and "start sshd" in line.fix
    assert [r.check for r in report.results if "web-gone" in r.target] == ["ssh"]
    assert line_for(report, "ssh", "web-dev").verdict == "ok"
    assert report.failures == (line,)


def test_unknown_host_keys_are_a_red_ssh_line_for_every_host(
    lab: Settings, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    report = build_doctor(settings_for(lab, tmp_path, ssh_known_hosts=empty)).run()
    ssh = lines(report, "ssh")
    assert len(ssh) == 7
    for line in ssh:
        assert line.verdict == "fail", line
        assert line.fact.startswith("host_key_unknown:"), line
        assert "ssh-keyscan" in line.fix and str(empty) in line.fix
    assert not lines(report, "apache") and not lines(report, "mariadb")


def test_missing_apache_module_is_a_red_apache_line_on_each_web_host(
    lab: Settings, tmp_path: Path
) -> None:
    absent = f"doctor_absent_{secrets.token_hex(3)}"
    modules = ["headers", "proxy_fcgi", absent]
    report = build_doctor(settings_for(lab, tmp_path, doctor_apache_modules=modules)).run()
    for host in WEB_HOSTS:
        line = line_for(report, "apache", host)
        assert line.verdict == "fail"
        assert f"modules missing: {absent}" in line.fact
        assert absent in line.fix and host in line.fix
        assert line_for(report, "php-fpm", host).verdict == "ok"
    assert {r.check for r in report.failures} == {"apache"}


def test_smtp_server_that_is_not_there_is_red_and_one_that_answers_is_green(
    lab: Settings, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])

    class Accept:
        async def handle_DATA(self, *_: object) -> str:  # noqa: N802
            return "250 OK"

    silent = build_doctor(settings_for(lab, tmp_path, smtp_host="127.0.0.1", smtp_port=port))
    line = line_for(silent.run(), "smtp", f"127.0.0.1:{port}")
    assert line.verdict == "fail" and "ConnectionRefusedError" in line.fact
    assert "PROVISIONER_SMTP_HOST" in line.fix
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        line = line_for(silent.run(), "smtp", f"127.0.0.1:{port}")
    finally:
        controller.stop()
    assert line.verdict == "ok" and "EHLO 250" in line.fact


def test_cli_exits_1_with_the_failing_line_in_json_and_0_on_the_lab(
    lab: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, "PROVISIONER_DATA_DIR": str(tmp_path / "data"),
           "PROVISIONER_LAB_PATH": str(lab.lab_dir)}
    cli = [sys.executable, "-m", "provisioner.cli", "doctor", "--json"]
    green = subprocess.run(cli, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                           timeout=120, check=False)
    assert green.returncode == 0, green.stdout + green.stderr
    assert json.loads(green.stdout)["healthy"] is True
    env["PROVISIONER_DOCTOR_APACHE_MODULES"] = '["doctor_absent_mod"]'
    red = subprocess.run(cli, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert red.returncode == 1, red.stdout + red.stderr
    report = json.loads(red.stdout)
    failing = [r for r in report["results"] if r["verdict"] == "fail"]
    assert report["healthy"] is False
    assert {r["target"].split(" ")[0] for r in failing} == set(WEB_HOSTS)
    assert all("doctor_absent_mod" in r["fix"] for r in failing)
    table = subprocess.run(cli[:-1], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                           timeout=120, check=False)
    assert table.returncode == 1 and "doctor_absent_mod" in table.stdout
    assert f"{len(WEB_HOSTS)} failing" in table.stdout
