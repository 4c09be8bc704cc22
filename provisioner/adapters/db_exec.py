"""The database role's SQL without Ansible: the role's own templates
(playbooks/roles/database/templates/*.sql.j2) rendered here the way Ansible renders them, fed
to ONE `mariadb` client on the database server over SSH (paramiko). The SQL travels on the
client's stdin, so the password is never in an argv.

It does what the role's tasks do, in that one client session: read the state (one line per
missing piece), then apply exactly that and read the apply's "created"/"granted" lines. The
client stops at the first statement MariaDB refuses; the role's undo template then takes
back exactly what those lines name (a second client on the same connection — the only case
with two). `absent` reads what exists and drops it. The host, its user and become come from
the Ansible inventory, as for the playbook; with become the client runs through `sudo -n`.

This module runs and reports (SqlRun); what a refusal means is the step's to say.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from provisioner.adapters.inventory import read_inventory
from provisioner.adapters.role_templates import role_defaults, role_environment
from provisioner.adapters.ssh import Cancelled, SshClient
from provisioner.adapters.ssh_options import SshConfig
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import ServerUnreachable, StepFailed

# The role's own command line (tasks/configure.yml), flushed after each statement so the
# state read's answer can be read before the apply is written.
CLIENT = "mariadb --batch --skip-column-names --unbuffered"
Line = tuple[str, ...]
_POLL_S = 0.2


class _NoAnswer(Exception):
    """The client said nothing more within the adapter's timeout."""


@dataclass(frozen=True)
class DatabaseSpec:
    """The role's variables for one site (db_name, db_user, db_password, db_client_hosts)."""

    name: str
    user: str
    password: str = field(repr=False)
    client_hosts: tuple[str, ...]


@dataclass(frozen=True)
class SqlRun:
    """What one run of the role's SQL did on the database server.

    `todo`: the state read's lines (present: what was missing; absent: what existed).
    `made`: the apply's "created"/"granted" lines. `refused`: what MariaDB (or sudo) said
    when it refused, the password hidden ("" when nothing was refused), and `refused_in`
    whether that was the state read or the apply. After a refused apply, `undo_rc` and
    `undo_error` say how taking back `made` went (None: nothing was undone)."""

    host: InventoryHost
    todo: tuple[Line, ...]
    made: tuple[Line, ...] = ()
    refused: str = ""
    refused_in: str = ""
    undo_rc: int | None = None
    undo_error: str = ""
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.todo) and not self.refused


class RoleSql:
    """The database role's templates and defaults, rendered with Jinja2 as Ansible's
    template lookup does (trim_blocks, the trailing newline kept, undefined variables are
    errors): the same SQL text the role's tasks send."""

    def __init__(self, role_dir: Path) -> None:
        self.role_dir = role_dir
        self._env = role_environment(role_dir)

    def defaults(self) -> dict[str, Any]:
        """defaults/main.yml: charset, collation, the reserved names."""
        return role_defaults(self.role_dir)

    def variables(self, spec: DatabaseSpec) -> dict[str, Any]:
        return {
            **self.defaults(),
            "db_name": spec.name,
            "db_user": spec.user,
            "db_password": spec.password,
            "db_client_hosts": list(spec.client_hosts),
        }

    def render(self, template: str, variables: Mapping[str, Any]) -> str:
        """`template` (e.g. "present_state") with the role's variables and the task's own."""
        return self._env.get_template(f"{template}.sql.j2").render(**variables)


def _lines(text: str) -> tuple[Line, ...]:
    """Ansible's `stdout_lines | map('split', '\\t')`."""
    return tuple(tuple(line.split("\t")) for line in text.splitlines())


def _hidden(text: str, password: str, limit: int = 400) -> str:
    """The client's words on one line, the password hidden (as the role's rescue does, and
    in the escaped form a quoted statement shows too): MariaDB's ERROR lines where it gave
    some, else all it said."""
    if password:
        escaped = password.replace("\\", "\\\\").replace("'", "\\'")
        for form in sorted({password, escaped}, key=len, reverse=True):
            text = text.replace(form, "********")
    errors = [line for line in text.splitlines() if line.startswith("ERROR")]
    said = " ".join(" ".join(errors or text.split()).split())
    return said if len(said) <= limit else said[: limit - 1] + "…"


class _Session:
    """One mariadb client on an SSH channel: SQL in, result lines out as they come."""

    def __init__(
        self, channel: paramiko.Channel, *, timeout: float, cancel: Callable[[], bool] | None
    ) -> None:
        self._channel = channel
        self._deadline = time.monotonic() + timeout
        self._cancel = cancel
        self._out = b""
        channel.settimeout(_POLL_S)

    def send(self, sql: str) -> None:
        self._channel.sendall(sql.encode())

    def _recv(self) -> bytes | None:
        """Some output, b"" at its end, None when nothing came within a poll."""
        if time.monotonic() > self._deadline:
            raise _NoAnswer("tidak menjawab / no answer in time")
        try:
            return bytes(self._channel.recv(65536))
        except TimeoutError:
            return None

    def answer(self, marker: str) -> tuple[Line, ...] | None:
        """The lines printed before `marker`'s line (read-only so far: a cancel stops it
        here); None when the client ended first (it refused something)."""
        end = f"{marker}\n".encode()
        while end not in self._out:
            if self._cancel is not None and self._cancel():
                self._channel.close()
                raise Cancelled("mariadb")
            chunk = self._recv()
            if chunk == b"":
                return None
            self._out += chunk or b""
        head, _, self._out = self._out.partition(end)
        return _lines(head.decode(errors="replace"))

    def finish(self) -> tuple[int, tuple[Line, ...], str]:
        """Input closed, the client left to end: (rc, the lines it printed, its stderr).
        No cancel here: what was sent runs to its end, so a cancel cannot cut an apply
        in half (it takes milliseconds)."""
        self._channel.shutdown_write()
        while (chunk := self._recv()) != b"":
            self._out += chunk or b""
        while not self._channel.status_event.wait(_POLL_S):
            if time.monotonic() > self._deadline:
                raise _NoAnswer("tidak selesai / did not end in time")
        err = b""
        while self._channel.recv_stderr_ready():
            err += self._channel.recv_stderr(65536)
        rc = self._channel.recv_exit_status()
        self._channel.close()
        return rc, _lines(self._out.decode(errors="replace")), err.decode(errors="replace")


class MariadbOverSsh:
    """The role's state read, apply and undo as one `mariadb` client on the database host,
    reached as the inventory says (address, user, become)."""

    def __init__(
        self, ssh: SshConfig, *, role_dir: Path, inventory: Path, timeout: float = 60.0
    ) -> None:
        self.ssh = ssh
        self.sql = RoleSql(role_dir)
        self.inventory = inventory
        self.timeout = timeout

    def locate(self, name: str, *, step: str) -> InventoryHost:
        """The inventory's host `name`, read now (as each ansible-playbook run reads it)."""
        for host in read_inventory(self.inventory):
            if host.name == name:
                return host
        raise StepFailed(step, name, f"host {name} tidak ada di inventaris / is not in the "
                         f"inventory {self.inventory}")  # fmt: skip

    def present(
        self, host_name: str, spec: DatabaseSpec, *, step: str,
        cancel: Callable[[], bool] | None = None,
    ) -> SqlRun:  # fmt: skip
        """Create what is missing of the database, the user on each client host and the
        grants (and drop the user's other hosts); all of it or, when MariaDB refuses a
        statement, none of it. Raises Cancelled when cancelled before the apply started."""
        variables = self.sql.variables(spec)
        state = self.sql.render("present_state", variables)
        with self._connect(host_name, step) as (host, client):
            started = time.monotonic()
            session = self._session(client, cancel)
            todo, refused = self._read_state(session, state, spec.password)
            if refused or not todo:
                return SqlRun(host, todo, refused=refused, refused_in="state" if refused else "",
                              seconds=time.monotonic() - started)  # fmt: skip
            if cancel is not None and cancel():
                raise Cancelled(host.address)
            session.send(self.sql.render("present_apply", {**variables, "database_todo": todo}))
            rc, made, err = session.finish()
            if rc == 0:
                return SqlRun(host, todo, made, seconds=time.monotonic() - started)
            undo_sql = self.sql.render("present_undo", {**variables, "database_created": made})
            undo = self._exec(client, undo_sql)
            return SqlRun(
                host, todo, made, refused=_hidden(err, spec.password), refused_in="apply",
                undo_rc=undo[0], undo_error=_hidden(undo[2], spec.password, 200),
                seconds=time.monotonic() - started,
            )  # fmt: skip

    def absent(self, host_name: str, spec: DatabaseSpec, *, step: str) -> SqlRun:
        """Drop the database and every host of the user (what exists of them)."""
        variables = self.sql.variables(spec)
        state = self.sql.render("absent_state", variables)
        with self._connect(host_name, step) as (host, client):
            started = time.monotonic()
            session = self._session(client, None)
            todo, refused = self._read_state(session, state, spec.password)
            if refused or not todo:
                return SqlRun(host, todo, refused=refused, refused_in="state" if refused else "",
                              seconds=time.monotonic() - started)  # fmt: skip
            stale = [line[1] for line in todo if line[0] == "stale" and len(line) > 1]
            session.send(self.sql.render("absent_apply",
                                         {**variables, "database_stale_hosts": stale}))  # fmt: skip
            rc, made, err = session.finish()
            return SqlRun(host, todo, made, refused=_hidden(err, spec.password) if rc else "",
                          refused_in="apply" if rc else "",
                          seconds=time.monotonic() - started)  # fmt: skip

    # --- the connection and the client -------------------------------------------------

    @contextmanager
    def _connect(self, host_name: str, step: str) -> Iterator[tuple[InventoryHost, SshClient]]:
        """One SSH connection to the inventory's host: a login that fails is
        ServerUnreachable naming the host (retried by the runner), a connection that drops
        too; a client that gives no answer in time is a StepFailed."""
        host = self.locate(host_name, step=step)
        try:
            # With become the client runs through `sudo -n`, as Ansible's become would.
            client = SshClient(host.address, key=self.ssh.key, known_hosts=self.ssh.known_hosts,
                               user=host.user, become=host.become)  # fmt: skip
        except ServerUnreachable as exc:
            raise ServerUnreachable(
                step, host.name, f"SSH ke / to {host.login} tidak terjangkau / unreachable: "
                f"{exc.reason}",
            ) from None  # fmt: skip
        try:
            yield host, client
        except _NoAnswer as exc:
            raise StepFailed(step, host.name, f"mariadb di / on {host.login}: {exc}") from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise ServerUnreachable(
                step, host.name, f"{host.login} berhenti menjawab / stopped answering "
                f"(unreachable): {type(exc).__name__}: {exc}",
            ) from None  # fmt: skip
        finally:
            client.close()

    def _session(self, client: SshClient, cancel: Callable[[], bool] | None) -> _Session:
        channel = client.open_channel(CLIENT, timeout=self.timeout)
        return _Session(channel, timeout=self.timeout, cancel=cancel)

    def _read_state(
        self, session: _Session, state_sql: str, password: str
    ) -> tuple[tuple[Line, ...], str]:
        """(the state read's lines, "") or ((), what the client said when it ended first:
        Access denied, no MariaDB, a sudo that wants a password)."""
        marker = f"provisioner-state-read-{secrets.token_hex(6)}"
        session.send(f"{state_sql}\nSELECT '{marker}';\n")
        todo = session.answer(marker)
        if todo is not None:
            return todo, ""
        rc, _, err = session.finish()
        return (), _hidden(err or f"mariadb ended with rc {rc}", password)

    def _exec(self, client: SshClient, sql: str) -> tuple[int, tuple[Line, ...], str]:
        session = self._session(client, None)
        session.send(sql)
        return session.finish()
