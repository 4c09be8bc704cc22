"""One SSH connection to one server (paramiko), for short commands where starting
Ansible (~1.3 s) would cost more than the work."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import paramiko

from provisioner.adapters.ssh_options import ROOT, Login, SshConfig, as_root
from provisioner.domain.errors import ServerUnreachable


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str


class Cancelled(Exception):
    """The command was stopped by its caller's cancel callback."""


class SshClient:
    def __init__(
        self,
        address: str,
        *,
        key: Path,
        known_hosts: Path,
        user: str = "root",
        become: bool = False,
        timeout: float = 5.0,
    ) -> None:
        self.address = address
        self.login = Login(user, become) if (user, become) != ("root", False) else ROOT
        self._client = paramiko.SSHClient()
        self._client.load_host_keys(str(known_hosts))
        self._client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            sock = socket.create_connection((address, 22), timeout=timeout)
            # Loopback SSH stalls on delayed ACK without this (LAB.md: ~45 ms → ~5 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._client.connect(
                address,
                username=user,
                key_filename=str(key),
                sock=sock,
                timeout=timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except (OSError, paramiko.SSHException) as exc:
            raise ServerUnreachable("ssh", address, f"{type(exc).__name__}: {exc}") from None

    @classmethod
    def to(cls, ssh: SshConfig, address: str, *, timeout: float = 5.0) -> SshClient:
        """A connection to `address` as the inventory says to log in there (user, sudo)."""
        login = ssh.login(address)
        return cls(address, key=ssh.key, known_hosts=ssh.known_hosts, user=login.user,
                   become=login.become, timeout=timeout)  # fmt: skip

    def run(
        self,
        command: str,
        *,
        stdin: str | None = None,
        timeout: float = 60.0,
        cancel: Callable[[], bool] | None = None,
    ) -> CommandResult:
        """Run `command` (its input on stdin, never in argv). With `cancel`, asked five times a
        second while the command runs: True closes the channel and raises Cancelled (for
        commands whose output is small; it is read once they end). On a host reached as a
        user with sudo, the command runs as root through `sudo -n`."""
        command = as_root(command, self.login)
        chan_in, chan_out, chan_err = self._client.exec_command(command, timeout=timeout)
        if stdin is not None:
            chan_in.write(stdin)
            chan_in.channel.shutdown_write()
        if cancel is not None:
            channel = chan_out.channel
            while not channel.status_event.wait(0.2):
                if cancel():
                    channel.close()
                    raise Cancelled(self.address)
        out = chan_out.read().decode(errors="replace")
        err = chan_err.read().decode(errors="replace")
        rc = chan_out.channel.recv_exit_status()
        if rc == -1:  # no exit status: the connection went away, or a signal ended it
            transport = self._client.get_transport()
            if transport is None or not transport.is_active():
                raise ServerUnreachable("ssh", self.address, "the connection closed while the "
                                        "command ran")  # fmt: skip
            err = err or "the command ended without an exit status (ended by a signal)"
        return CommandResult(rc, out, err)

    def open_channel(self, command: str, *, timeout: float = 60.0) -> paramiko.Channel:
        """`command` started on a channel of its own, for a caller that talks with it while
        it runs (writes more input once it has read an answer); the caller closes it. Reads
        and writes give up after `timeout` seconds without progress (socket.timeout). As
        root through `sudo -n` where the host is reached as a user with sudo, as `run`."""
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise ServerUnreachable("ssh", self.address, "the connection is closed")
        channel = transport.open_session(timeout=timeout)
        channel.settimeout(timeout)
        channel.exec_command(as_root(command, self.login))
        return channel

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SshClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
