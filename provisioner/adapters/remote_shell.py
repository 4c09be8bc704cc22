"""A command on a host over the OpenSSH client with the generated ssh_config (the one
Ansible and git use: the same key, the same known_hosts, host keys always verified), on a
fresh connection each time — a shared ControlMaster would skip the very login being checked.

Returns what happened as a fact (domain.doctor.ShellOutcome), with SSH's own failures
sorted by what the client said: refused, timed out, unknown or changed host key, key refused.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from provisioner.adapters.ssh_options import Login, SshConfig, as_root as ssh_as_root, ssh_command
from provisioner.domain.doctor import InventoryHost, ShellOutcome, SshFailure

_SSH_FAILED = 255
# (what OpenSSH prints, what it means), first match wins.
_FAILURES: tuple[tuple[str, SshFailure], ...] = (
    ("REMOTE HOST IDENTIFICATION HAS CHANGED", "host_key_changed"),
    ("host key is known for", "host_key_unknown"),
    ("Host key verification failed", "host_key_unknown"),
    ("Connection refused", "refused"),
    ("timed out", "timeout"),
    ("No route to host", "timeout"),
    ("Permission denied", "auth"),
)


def classify(stderr: str) -> SshFailure:
    """Why ssh could not log in, from its own words."""
    for marker, failure in _FAILURES:
        if marker in stderr:
            return failure
    return "other"


@dataclass(frozen=True)
class RemoteShell:
    """Runs commands on inventory hosts as their inventory user (`sudo -n` in front when
    the host is driven with become)."""

    ssh: SshConfig
    timeout: float = 30.0

    def _argv(self, host: InventoryHost) -> list[str]:
        return [
            *ssh_command(self.ssh),
            "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-l", host.user, host.address,
        ]  # fmt: skip

    def run(
        self, host: InventoryHost, command: str, *, stdin: str | None = None,
        as_root: bool = True, timeout: float | None = None,
    ) -> ShellOutcome:  # fmt: skip
        """`command` (a shell command line) on `host`; with `as_root` it runs through
        `sudo -n` where the host is driven with become, as Ansible's become would."""
        if as_root:
            command = ssh_as_root(command, Login(host.user, host.become))
        try:
            out = subprocess.run(
                [*self._argv(host), command],
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout or self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return ShellOutcome(
                _SSH_FAILED, "", f"no answer within {timeout or self.timeout:.0f} s", "timeout"
            )
        failure = classify(out.stderr) if out.returncode == _SSH_FAILED else None
        return ShellOutcome(out.returncode, out.stdout, out.stderr, failure)
