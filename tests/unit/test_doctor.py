"""The doctor's reading of what it saw (no servers): the inventory's users and become,
ssh's own words sorted into causes, sudo only where become is set, a lagging secondary."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.adapters.inventory import read_inventory
from provisioner.adapters.remote_shell import classify
from provisioner.domain.doctor import InventoryHost, ShellOutcome
from provisioner.domain.errors import InvalidInput, ServerUnreachable
from provisioner.workflow.doctor.dns_checks import ZoneTarget, name_server_lines
from provisioner.workflow.doctor.service import DoctorConfig, DoctorProbes, DoctorService

INVENTORY = """\
all:
  vars: {ansible_user: root}
  children:
    webservers:
      vars: {ansible_user: deploy, ansible_become: true}
      hosts:
        web-a: {ansible_host: 10.0.0.11}
        web-b: {ansible_host: 10.0.0.12, ansible_user: other, ansible_become: "false"}
    dbservers:
      hosts:
        db: {ansible_host: 10.0.0.30}
"""


def test_inventory_group_user_and_become_reach_hosts_and_a_host_overrides(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(INVENTORY)
    hosts = {h.name: h for h in read_inventory(path)}
    assert hosts["web-a"] == InventoryHost("web-a", "10.0.0.11", "deploy", True, ("webservers",))
    assert hosts["web-b"].user == "other" and hosts["web-b"].become is False
    assert hosts["db"] == InventoryHost("db", "10.0.0.30", "root", False, ("dbservers",))


def test_inventory_group_vars_and_host_vars_dirs_count_as_in_ansible(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(INVENTORY)
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "webservers.yml").write_text("ansible_user: admin\n")
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "db.yaml").write_text("ansible_become: yes\nansible_user: dba\n")
    hosts = {h.name: h for h in read_inventory(path)}
    assert hosts["web-a"].user == "admin"  # group_vars/ win over the file's group vars
    assert hosts["web-b"].user == "other"  # … and lose to the file's host vars
    assert (hosts["db"].user, hosts["db"].become) == ("dba", True)


def test_unreadable_inventory_is_invalid_input_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text("all: [unclosed")
    with pytest.raises(InvalidInput) as err:
        read_inventory(path)
    assert str(path) in err.value.message


@pytest.mark.parametrize(
    ("stderr", "cause"),
    [
        ("ssh: connect to host 127.0.2.99 port 22: Connection refused", "refused"),
        ("No ED25519 host key is known for 127.0.2.11 and you have requested strict "
         "checking.\r\nHost key verification failed.", "host_key_unknown"),
        ("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification "
         "failed.", "host_key_changed"),
        ("deploy@10.0.0.11: Permission denied (publickey).", "auth"),
        ("ssh: connect to host 10.9.9.9 port 22: Connection timed out", "timeout"),
        ("kex_exchange_identification: read: Connection reset by peer", "other"),
    ],
)
def test_ssh_failure_is_sorted_by_what_the_client_said(stderr: str, cause: str) -> None:
    assert classify(stderr) == cause


class ScriptedShell:
    """Answers each command by its first word; records what was asked."""

    def __init__(self, answers: dict[str, ShellOutcome]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def run(self, host: InventoryHost, command: str, *, stdin: str | None = None,
            as_root: bool = True, timeout: float | None = None) -> ShellOutcome:
        self.asked.append((host.name, command))
        for prefix, outcome in self.answers.items():
            if command.startswith(prefix):
                return outcome
        return ShellOutcome(0, "", "")


def service(shell: ScriptedShell) -> DoctorService:
    config = DoctorConfig((), (), (), "ssh://git/x.git", "/k", "/kh", "/inv", "", "")
    return DoctorService(config, [], DoctorProbes(shell, open_zone=None,  # type: ignore[arg-type]
                         read_hosts=list, acme=None, smtp=None))  # type: ignore[arg-type]


def test_sudo_is_checked_only_where_become_is_set_and_a_password_prompt_is_red() -> None:
    shell = ScriptedShell({
        "echo ok": ShellOutcome(0, "ok\n", ""),
        "sudo -n": ShellOutcome(1, "", "sudo: a password is required\n"),
    })
    doctor = service(shell)
    plain = doctor.host_lines(InventoryHost("h1", "10.0.0.1", "root", False, ()))
    assert [r.check for r in plain] == ["ssh"]
    become = doctor.host_lines(InventoryHost("h2", "10.0.0.2", "deploy", True, ("webservers",)))
    assert [(r.check, r.verdict) for r in become] == [("ssh", "ok"), ("sudo", "fail")]
    assert "a password is required" in become[1].fact
    assert "deploy ALL=(root) NOPASSWD: ALL" in become[1].fix
    assert not any(cmd.startswith("sh -s") for _, cmd in shell.asked)  # no software checks


class Serials:
    def __init__(self, serials: dict[str, int | None]) -> None:
        self.serials = serials

    def nameservers(self) -> dict[str, str]:
        return {name: name for name in self.serials}

    def soa_serial(self, server: str) -> int:
        serial = self.serials[server]
        if serial is None:
            raise ServerUnreachable("dns", server, "no answer within 2 s")
        return serial


def test_lagging_and_silent_name_servers_are_red_with_what_to_do() -> None:
    target = ZoneTarget("demokab.go.id", "ns1", "/etc/provisioner/tsig.json")
    result = name_server_lines(target, Serials({"ns1": 7, "ns2": 6, "ns3": None}), sync_wait=0)
    verdicts = {r.target.split(" @ ")[1]: r for r in result}
    assert verdicts["ns1 (ns1)"].verdict == "ok"
    assert verdicts["ns2 (ns2)"].verdict == "fail"
    assert "serial 6, newest 7" in verdicts["ns2 (ns2)"].fact
    assert "rndc retransfer demokab.go.id" in verdicts["ns2 (ns2)"].fix
    assert verdicts["ns3 (ns3)"].verdict == "fail" and "no answer" in verdicts["ns3 (ns3)"].fact
