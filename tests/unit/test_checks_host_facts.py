"""The host checks as one remote script: the script gathers the facts (run here against a
tree in tmp_path), the adapter reads them into the same named checks with the same details
the pages show, from one SSH exec; a fact that cannot be gathered fails its own check."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provisioner.adapters import checks, site_facts, site_facts_script
from provisioner.adapters.ssh import CommandResult
from provisioner.adapters.ssh_options import ROOT, SshConfig
from provisioner.domain.errors import ServerUnreachable
from provisioner.domain.site_account import site_user

FQDN = "a.dev.demokab.go.id"
USER = site_user(FQDN)
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ROOT_DIR = f"/var/www/{FQDN}"
RELEASE = f"{ROOT_DIR}/releases/20260101T000000-{COMMIT[:12]}"
PS_COMM = "apache2\napache2\nphp-fpm8.2\nphp-fpm8.2\nsshd\n"
PS_USERS = f"root php-fpm: master process\n{USER} php-fpm: pool {FQDN}\n"


def good_facts(**changed: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "site_link": {"is_symlink": True,
                      "target": f"/etc/apache2/sites-available/{FQDN}.conf"},
        "configtest": {"rc": 0, "stdout": "", "stderr": "Syntax OK\n"},
        "current": {"is_symlink": True, "target": RELEASE,
                    "head": {"rc": 0, "stdout": COMMIT + "\n", "stderr": ""}},
        "env": {"exists": True, "is_dir": False, "mode": 0o640, "user": USER, "group": USER},
        "tree": {"exists": True, "is_dir": True, "mode": 0o750, "user": USER,
                 "group": "www-data"},
        "processes": {"rc": 0, "stderr": "", "comm": PS_COMM, "user_args": PS_USERS},
        "database": {"rc": 0, "stderr": "", "stdout": json.dumps(
            {"ok": True, "host": "127.0.2.30", "user": "a", "db": "a", "as": "a@127.0.2.%",
             "version": "10.11"}) + "\n"},
    }  # fmt: skip
    facts.update(changed)
    return facts


class FakeHost:
    """SshClient.to(...) for host_checks: answers the one exec with `answer`."""

    calls: list[tuple[str, str | None]] = []
    answer = CommandResult(0, "{}", "")
    login = ROOT

    @classmethod
    def to(cls, _ssh: SshConfig, address: str, **_kw: Any) -> FakeHost:
        cls.address = address
        return cls()

    def __enter__(self) -> FakeHost:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass

    def run(self, command: str, *, stdin: str | None = None, **_kw: Any) -> CommandResult:
        FakeHost.calls.append((command, stdin))
        return FakeHost.answer


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> type[FakeHost]:
    FakeHost.calls = []
    monkeypatch.setattr(checks, "SshClient", FakeHost)
    return FakeHost


def run_checks(
    host: type[FakeHost], facts: dict[str, Any] | None = None, *, rc: int = 0, stderr: str = ""
) -> dict[str, checks.CheckResult]:
    host.answer = CommandResult(rc, json.dumps(facts) + "\n" if facts is not None else "", stderr)
    ssh = SshConfig(key=Path("/k"), known_hosts=Path("/kh"), state_dir=Path("/s"))
    results = checks.host_checks(ssh, "127.0.2.11", FQDN, COMMIT, database=True,
                                 host_name="web-dev")  # fmt: skip
    return {r.name: r for r in results}


def test_good_site_passes_every_check_from_one_exec(host: type[FakeHost]) -> None:
    results = run_checks(host, good_facts())
    assert list(results) == ["ssh", "site_enabled", "apache_configtest", "current_release",
                             "env_permissions", "site_tree_private", "apache_running",
                             "php_fpm_running", "php_fpm_pool", "database_reachable"]
    assert [r.name for r in results.values() if not r.passed] == []
    (command, stdin), = host.calls
    assert command.startswith("python3 - ") and stdin == site_facts.SCRIPT
    # The details the pages show, as the testinfra checks wrote them.
    assert results["ssh"].detail == "root@127.0.2.11"
    assert results["current_release"].detail == f"current -> {RELEASE}, HEAD {COMMIT}"
    assert results["env_permissions"].detail == f"mode 0640 {USER}:{USER} (want 0640 {USER}:{USER})"
    assert results["site_tree_private"].detail == f"{ROOT_DIR} mode 0750 {USER}:www-data"
    assert results["apache_running"].detail == "2 process(es) apache2"
    assert results["php_fpm_pool"].detail == f"pool {FQDN} workers run as {USER}"
    assert results["database_reachable"].detail == (
        "web-dev (127.0.2.11) -> a@127.0.2.30/a as a@127.0.2.%, MariaDB 10.11")


def test_each_wrong_fact_fails_its_own_check_with_the_same_words(host: type[FakeHost]) -> None:
    results = run_checks(host, good_facts(
        env={"exists": True, "is_dir": False, "mode": 0o644, "user": USER, "group": USER},
        current={"is_symlink": True, "target": RELEASE,
                 "head": {"rc": 0, "stdout": "f" * 40, "stderr": ""}},
        site_link={"is_symlink": False, "target": ""},
    ))  # fmt: skip
    failed = {name: r.detail for name, r in results.items() if not r.passed}
    assert set(failed) == {"env_permissions", "current_release", "site_enabled"}
    assert "0644" in failed["env_permissions"]
    assert failed["site_enabled"] == f"sites-enabled/{FQDN}.conf tidak ada / missing"


def test_a_fact_the_script_could_not_gather_fails_only_its_check(host: type[FakeHost]) -> None:
    results = run_checks(host, good_facts(processes={"error": "OSError: flock: not found"}))
    failed = {name: r.detail for name, r in results.items() if not r.passed}
    assert set(failed) == {"apache_running", "php_fpm_running", "php_fpm_pool"}
    assert all("flock: not found" in detail for detail in failed.values())


def test_database_probe_reason_is_kept(host: type[FakeHost]) -> None:
    seen = {"ok": False, "host": "127.0.2.30", "user": "a", "db": "a",
            "reason": "1045 Access denied for user 'a'@'127.0.2.11'"}  # fmt: skip
    results = run_checks(host, good_facts(database={"rc": 0, "stderr": "",
                                                    "stdout": json.dumps(seen)}))  # fmt: skip
    db = results["database_reachable"]
    assert not db.passed and "from web-dev (127.0.2.11)" in db.detail
    assert "Access denied" in db.detail


def test_probe_that_did_not_run_fails_every_check_naming_why(host: type[FakeHost]) -> None:
    results = run_checks(host, None, rc=127, stderr="sh: 1: python3: not found\n")
    assert results["ssh"].passed
    assert [r.passed for name, r in results.items() if name != "ssh"] == [False] * 9
    assert all("python3: not found" in r.detail for n, r in results.items() if n != "ssh")


def test_unreachable_host_is_the_ssh_check_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    ssh = SshConfig(key=Path("/k"), known_hosts=Path("/kh"), state_dir=Path("/s"))

    class Refused:
        @classmethod
        def to(cls, _ssh: SshConfig, address: str, **_kw: Any) -> None:
            raise ServerUnreachable("ssh", address, "OSError: Connection refused")

    monkeypatch.setattr(checks, "SshClient", Refused)
    results = checks.host_checks(ssh, "127.0.2.199", FQDN, COMMIT)
    assert [r.name for r in results] == ["ssh"]
    assert not results[0].passed and "127.0.2.199" in results[0].detail


# --- the script itself, run here against a tree in tmp_path ------------------------------


def test_script_gathers_links_modes_and_owners_as_one_json_object(tmp_path: Path) -> None:
    me = pwd.getpwuid(os.getuid()).pw_name
    root = tmp_path / "www" / FQDN
    (root / "shared").mkdir(parents=True)
    (root / "shared" / ".env").write_text("DB_NAME=x\n")
    os.chmod(root / "shared" / ".env", 0o640)
    os.chmod(root, 0o750)
    (root / "releases" / "r1").mkdir(parents=True)
    (root / "current").symlink_to(root / "releases" / "r1")
    enabled, available = tmp_path / "sites-enabled", tmp_path / "sites-available"
    enabled.mkdir()
    available.mkdir()
    (available / f"{FQDN}.conf").write_text("")
    (enabled / f"{FQDN}.conf").symlink_to(f"../sites-available/{FQDN}.conf")
    params = {"fqdn": FQDN, "site_root": str(root), "site_user": me, "database": False,
              "sites_enabled": str(enabled), "web_lock": str(tmp_path / "web.lock")}  # fmt: skip
    out = subprocess.run([sys.executable, "-", json.dumps(params)],
                         input=site_facts.SCRIPT, capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    facts = json.loads(out.stdout)
    assert set(facts) == {"site_link", "configtest", "current", "env", "tree", "processes"}
    assert facts["site_link"] == {"is_symlink": True,
                                  "target": str(available / f"{FQDN}.conf")}  # fmt: skip
    assert facts["current"]["target"] == str(root / "releases" / "r1")
    assert facts["current"]["head"]["rc"] != 0  # not a git checkout
    assert facts["env"] == {"exists": True, "is_dir": False, "mode": 0o640, "user": me,
                            "group": facts["env"]["group"]}  # fmt: skip
    assert facts["tree"]["is_dir"] and facts["tree"]["mode"] == 0o750
    assert facts["processes"]["rc"] == 0 and "python" in facts["processes"]["comm"]
    assert site_facts_script.PS_SPLIT not in facts["processes"]["user_args"]


def test_script_reports_a_missing_tree_as_facts_not_a_crash(tmp_path: Path) -> None:
    facts = site_facts_script.collect({
        "fqdn": FQDN, "site_root": str(tmp_path / "none"), "site_user": "nobody",
        "database": False, "sites_enabled": str(tmp_path), "web_lock": str(tmp_path / "l"),
    })  # fmt: skip
    assert facts["site_link"] == {"is_symlink": False, "target": ""}
    assert facts["env"] == {"exists": False, "is_dir": False}
    assert facts["current"] == {"is_symlink": False, "target": ""}


def test_configtest_names_no_other_site_in_the_letter() -> None:
    """The detail goes into the agency's letter: another site's warning is counted, this
    site's is kept, a refusal is quoted whole."""
    said = (f"AH00112: Warning: DocumentRoot [/var/www/other.demokab.go.id/current] does not "
            f"exist\nAH00112: Warning: DocumentRoot [/var/www/{FQDN}/current] does not exist\n"
            "Syntax OK\n")  # fmt: skip
    facts = site_facts.Facts(good_facts(configtest={"rc": 0, "stdout": "", "stderr": said}))
    ok, detail = site_facts.configtest(facts, FQDN)
    assert ok and "other.demokab.go.id" not in detail
    assert FQDN in detail and "Syntax OK" in detail
    assert "(1 peringatan tentang situs lain / warnings about other sites)" in detail
    refused = {"rc": 1, "stdout": "", "stderr": "AH00526: Syntax error in other.conf\n"}
    facts = site_facts.Facts(good_facts(configtest=refused))
    assert site_facts.configtest(facts, FQDN) == (False, "AH00526: Syntax error in other.conf")
