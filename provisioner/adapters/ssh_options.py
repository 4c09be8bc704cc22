"""One place that decides how provisioner speaks SSH: Ansible, testinfra and git all use it.

Everything goes through one generated ssh_config file (`ssh -F`), so the three tools agree on
the key, the known_hosts file (host keys are always verified), and a shared ControlPath
directory: a connection opened by a playbook is reused by the checks that follow it.
`-F` also keeps the machine's own ~/.ssh/config and /etc/ssh/ssh_config out of the way.
"""

from __future__ import annotations

import os
import shlex
import threading
from dataclasses import dataclass
from pathlib import Path

# Seconds an idle master connection stays open: long enough to bridge a playbook and its checks.
CONTROL_PERSIST_S = 60


@dataclass(frozen=True)
class Login:
    """How one host is reached: as root, or as a user whose commands go through `sudo -n`
    (the inventory's `ansible_user` and `ansible_become`)."""

    user: str = "root"
    become: bool = False


ROOT = Login()


@dataclass(frozen=True)
class SshConfig:
    """The one key, the known_hosts file (host keys are always verified), the directory
    of the generated ssh_config and the ControlMaster sockets, and the hosts not reached
    as root (address -> login, from the inventory)."""

    key: Path
    known_hosts: Path
    state_dir: Path
    logins: tuple[tuple[str, Login], ...] = ()

    def login(self, address: str) -> Login:
        """The login for `address` (root where the inventory names no other user)."""
        return dict(self.logins).get(address, ROOT)


def as_root(command: str, login: Login) -> str:
    """`command` (a shell command line) as root on a host reached with `login`."""
    return f"sudo -n sh -c {shlex.quote(command)}" if login.become else command


def control_dir(config: SshConfig) -> Path:
    """Directory of the ControlMaster sockets (short path: a socket path must fit 108 bytes)."""
    path = config.state_dir / "cp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def ssh_config_text(config: SshConfig) -> str:
    """The ssh_config every tool uses: verified host keys, one key, connection reuse."""
    # ssh takes the first value it finds: a host's own user before the default.
    lines = [
        line
        for address, login in config.logins
        if login.user != "root"
        for line in (f"Host {address}", f"  User {login.user}")
    ]
    lines += [
        "Host *",
        "  User root",
        f"  IdentityFile {config.key}",
        "  IdentitiesOnly yes",
        f"  UserKnownHostsFile {config.known_hosts}",
        "  GlobalKnownHostsFile /dev/null",
        # Never trust on first use: a host missing from known_hosts is an error.
        "  StrictHostKeyChecking yes",
        "  BatchMode yes",
        "  ConnectTimeout 5",
        "  ServerAliveInterval 15",
        "  ControlMaster auto",
        f"  ControlPath {control_dir(config)}/%C",
        f"  ControlPersist {CONTROL_PERSIST_S}s",
        # curve25519 avoids the slow default post-quantum exchange (~215 ms -> ~49 ms a login
        # on the lab);
        # every OpenSSH since 6.5 offers it.
        "  KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org",
        "",
    ]
    return "\n".join(lines)


def ssh_config_path(config: SshConfig) -> Path:
    """Write (if changed) and return the generated ssh_config file."""
    path = config.state_dir / "ssh_config"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = ssh_config_text(config)
    if not path.exists() or path.read_text() != text:
        # A temp name of its own per thread: callers side by side (the steps of one job,
        # the doctor's hosts) would otherwise move each other's file away mid-write.
        tmp = path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
        tmp.write_text(text)
        tmp.chmod(0o600)
        tmp.replace(path)
    return path


def ansible_ssh_args(config: SshConfig) -> str:
    """Value for ANSIBLE_SSH_ARGS (replaces Ansible's own ControlMaster defaults)."""
    return f"-F {shlex.quote(str(ssh_config_path(config)))}"


def ssh_command(config: SshConfig) -> list[str]:
    """argv prefix for a plain `ssh` call: `[*ssh_command(c), addr, as_root(cmd, login)]`
    (the generated config names each host's user)."""
    return ["ssh", "-F", str(ssh_config_path(config))]


def git_ssh_command(config: SshConfig) -> str:
    """Value for GIT_SSH_COMMAND so that git (e.g. `git ls-remote`) uses the same options."""
    return shlex.join(ssh_command(config))
