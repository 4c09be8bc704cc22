"""The database step as one `mariadb` client over SSH: the role's own templates rendered as
Ansible renders them, the role's preflight, its all-or-nothing apply and undo, the password
only on stdin, become through the inventory, cancel and the reasons a job records.

The SSH client is a fake that plays the MariaDB client's side of the conversation."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from provisioner.adapters import db_exec
from provisioner.adapters.db_exec import CLIENT, DatabaseSpec, MariadbOverSsh, RoleSql
from provisioner.config import PROJECT_ROOT
from provisioner.domain.errors import ServerUnreachable, StepFailed
from provisioner.steps.base import SiteSpec, StepContext
from provisioner.steps.database import DatabaseStep

ROLE = PROJECT_ROOT / "playbooks" / "roles" / "database"
PASSWORD = "Pw-'s\\ecret-123"
MARKER = re.compile(rb"SELECT '(provisioner-state-read-[0-9a-f]+)';\n")


@dataclass
class Client:
    """What one `mariadb` client does: the state read's lines (None: it refuses first,
    with `rc` and `stderr`), then what the apply prints and how it ends."""

    state: list[str] | None = None
    apply_out: list[str] = field(default_factory=list)
    rc: int = 0
    stderr: str = ""
    hang: bool = False  # the state read never answers (for cancel)


class FakeChannel:
    def __init__(self, command: str, client: Client) -> None:
        self.command, self.client = command, client
        self.sent = b""
        self._out = b""
        self._eof = False
        self._answered = False
        self._rc = 0
        self._err = b""
        self.status_event = threading.Event()
        self.closed = False

    def settimeout(self, _timeout: float) -> None:
        pass

    def _end(self, rc: int, stderr: str) -> None:
        self._rc, self._err, self._eof = rc, stderr.encode(), True
        self.status_event.set()

    def sendall(self, data: bytes) -> None:
        self.sent += data
        found = MARKER.search(self.sent)
        if found and not self._answered and not self.client.hang:
            self._answered = True
            if self.client.state is None:
                self._end(self.client.rc or 1, self.client.stderr)
            else:
                lines = [*self.client.state, found.group(1).decode()]
                self._out += "".join(f"{line}\n" for line in lines).encode()

    def recv(self, _size: int) -> bytes:
        if self._out:
            out, self._out = self._out, b""
            return out
        if self._eof:
            return b""
        raise TimeoutError

    def shutdown_write(self) -> None:
        if not self._eof:
            self._out += "".join(f"{line}\n" for line in self.client.apply_out).encode()
            self._end(self.client.rc, self.client.stderr)

    def recv_stderr_ready(self) -> bool:
        return bool(self._err)

    def recv_stderr(self, _size: int) -> bytes:
        err, self._err = self._err, b""
        return err

    def recv_exit_status(self) -> int:
        return self._rc

    def close(self) -> None:
        self.closed = True


class FakeSsh:
    """Stands in for SshClient: one FakeChannel per open_channel, playing `clients` in turn."""

    made: list[FakeSsh] = []
    clients: list[Client] = []

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.address, self.kwargs = address, kwargs
        self.channels: list[FakeChannel] = []
        FakeSsh.made.append(self)

    def open_channel(self, command: str, *, timeout: float = 60.0) -> FakeChannel:
        channel = FakeChannel(command, FakeSsh.clients.pop(0))
        self.channels.append(channel)
        return channel

    def close(self) -> None:
        pass

    @property
    def sql(self) -> list[str]:
        return [c.sent.decode() for c in self.channels]


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(
        "all:\n  children:\n    dbservers:\n      hosts:\n"
        "        db: {ansible_host: 10.9.9.30, ansible_user: ops, ansible_become: true}\n"
    )
    return path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeSsh]:
    FakeSsh.made, FakeSsh.clients = [], []
    monkeypatch.setattr(db_exec, "SshClient", FakeSsh)
    return FakeSsh


def step_for(inventory: Path) -> DatabaseStep:
    ssh = db_exec.SshConfig(key=Path("/k"), known_hosts=Path("/kh"), state_dir=Path("/s"))
    sql = MariadbOverSsh(ssh, role_dir=ROLE, inventory=inventory)
    return DatabaseStep(sql, db_host="db", client_hosts=["127.0.2.%"])


def context(*, name: str = "site_a", user: str = "site_a", password: str = PASSWORD,
            cancelled: bool = False) -> tuple[StepContext, list[str]]:  # fmt: skip
    site = SiteSpec(
        request_id=1, ticket="T-1", label="a", zone="demokab.go.id", fqdn="a.demokab.go.id",
        dev_fqdn="a.dev.demokab.go.id", agency="Dinas", contact_name="Andi",
        letter_number="1", letter_date=date(2026, 1, 1), hosting=True, repo_url=None,
        branch=None, target_address=None, db_name=name, db_user=user, db_password=password,
        plan={}, plan_checksum=None,
    )  # fmt: skip
    log: list[str] = []
    ctx = StepContext(job_id=1, step="database", site=site, outputs={}, run_dir=Path("/tmp"),
                      log=log.append, cancelled=lambda: cancelled)  # fmt: skip
    return ctx, log


FRESH = ["database\tsite_a", "user\t127.0.2.%", "grant\t127.0.2.%"]
MADE = ["created\tdatabase\tsite_a", "created\tuser\t127.0.2.%", "granted\tgrant\t127.0.2.%"]


# --- the same SQL as the role -----------------------------------------------------------


def test_templates_render_exactly_as_ansibles_template_lookup() -> None:
    """The text each template gives here is the text the role's tasks send (ansible-core's
    own templating, lookup('ansible.builtin.template'))."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader
    from ansible.template import Templar, trust_as_template

    init_plugin_loader()
    sql = RoleSql(ROLE)
    variables = {
        **sql.variables(DatabaseSpec("site_x", "site_x", PASSWORD, ("127.0.2.%", "10.0.0.5"))),
        "database_todo": [["database", "site_x"], ["user", "127.0.2.%"], ["grant", "10.0.0.5"],
                          ["password", "10.0.0.5"], ["stale", "old"]],
        "database_created": [["created", "database", "site_x"], ["created", "user", "10.0.0.5"],
                             ["granted", "grant", "10.0.0.5"], ["granted", "grant", "127.0.2.%"]],
        "database_stale_hosts": ["old", "older"],
    }  # fmt: skip
    loader = DataLoader()
    loader.set_basedir(str(ROLE))
    templar = Templar(loader=loader, variables={**variables, "ansible_search_path": [str(ROLE)]})
    for name in ("present_state", "present_apply", "present_undo", "absent_state",
                 "absent_apply"):  # fmt: skip
        lookup = "{{ lookup('ansible.builtin.template', '" + name + ".sql.j2') }}"
        assert sql.render(name, variables) == templar.template(trust_as_template(lookup)), name


# --- apply ------------------------------------------------------------------------------


def test_fresh_site_is_one_client_with_the_password_only_on_stdin(
    fake: type[FakeSsh], inventory: Path
) -> None:
    fake.clients = [Client(state=FRESH, apply_out=MADE)]
    ctx, log = context()
    out = step_for(inventory).apply(ctx)
    assert set(out) == {"host", "database", "user", "changed", "seconds"}
    assert (out["host"], out["database"], out["user"], out["changed"]) == (
        "db", "site_a", "site_a", True)
    (client,) = fake.made
    (channel,) = client.channels
    assert channel.command == CLIENT and "Pw-" not in channel.command
    state, _, apply = channel.sent.decode().partition("provisioner-state-read-")
    assert "PASSWORD('Pw-\\'s\\\\ecret-123')" in state  # the role's q(): quote and \ escaped
    assert "CREATE DATABASE `site_a`" in apply and "GRANT ALL PRIVILEGES ON `site\\_a`.*" in apply
    assert "CREATE" not in state
    assert PASSWORD not in " ".join(log) and "Pw-" not in " ".join(log)
    # The job's output says it in words, each host with the user it is for.
    assert log[-1].endswith(
        "needed database site_a, user site_a@127.0.2.%, grant site_a@127.0.2.%; "
        "done: created database site_a, created user site_a@127.0.2.%, granted site_a@127.0.2.%"
    ), log


def test_inventory_says_how_to_log_in_user_and_become(
    fake: type[FakeSsh], inventory: Path
) -> None:
    """The host as Ansible reaches it: its inventory address, user and become (the client
    runs through `sudo -n` there, SshClient's part)."""
    fake.clients = [Client(state=[])]
    step_for(inventory).apply(context()[0])
    (client,) = fake.made
    assert client.address == "10.9.9.30"
    assert (client.kwargs["user"], client.kwargs["become"]) == ("ops", True)


def test_second_run_creates_nothing(fake: type[FakeSsh], inventory: Path) -> None:
    fake.clients = [Client(state=[])]
    out = step_for(inventory).apply(context()[0])
    assert out["changed"] is False
    (channel,) = fake.made[0].channels
    assert "CREATE" not in channel.sent.decode() and "GRANT" not in channel.sent.decode()


def test_refused_grant_takes_back_what_it_made_and_says_so(
    fake: type[FakeSsh], inventory: Path
) -> None:
    error = ("--------------\nGRANT ... IDENTIFIED BY 'Pw-\\'s\\\\ecret-123'\n--------------\n\n"
             "ERROR 1102 (42000) at line 27: Incorrect database name 'x'\n")  # fmt: skip
    fake.clients = [Client(state=FRESH, apply_out=MADE[:2], rc=1, stderr=error), Client()]
    with pytest.raises(StepFailed) as failed:
        step_for(inventory).apply(context()[0])
    assert failed.value.server == "db" and failed.value.step == "database"
    assert "1102" in failed.value.reason and "taken back" in failed.value.reason
    assert "ecret" not in failed.value.reason
    apply_channel, undo_channel = fake.made[0].channels
    undo = undo_channel.sent.decode()
    # Exactly what the apply printed it made: the new user, then the database; no REVOKE
    # for the grant it never got to.
    assert "DROP USER IF EXISTS 'site_a'@'127.0.2.%'" in undo and "DROP DATABASE" in undo
    assert "REVOKE" not in undo and undo_channel.command == CLIENT


def test_undo_that_fails_too_is_said_loudly(fake: type[FakeSsh], inventory: Path) -> None:
    fake.clients = [Client(state=FRESH, apply_out=MADE[:1], rc=1, stderr="ERROR 1044: no\n"),
                    Client(rc=1, stderr="ERROR 2013: Lost connection\n")]  # fmt: skip
    with pytest.raises(StepFailed) as failed:
        step_for(inventory).apply(context()[0])
    assert "TAKING BACK WHAT IT CREATED FAILED" in failed.value.reason
    assert "2013" in failed.value.reason


def test_access_denied_on_the_state_read_names_host_and_reason(
    fake: type[FakeSsh], inventory: Path
) -> None:
    fake.clients = [Client(state=None, rc=1, stderr=(
        "ERROR 1045 (28000): Access denied for user 'ops'@'localhost' (using password: NO)\n"))]
    with pytest.raises(StepFailed) as failed:
        step_for(inventory).apply(context()[0])
    assert failed.value.server == "db"
    assert "Access denied" in failed.value.reason and "nothing was changed" in failed.value.reason
    assert "ops@10.9.9.30" in failed.value.reason
    (channel,) = fake.made[0].channels
    assert "CREATE" not in channel.sent.decode()


def test_sudo_that_wants_a_password_is_the_reason(fake: type[FakeSsh], inventory: Path) -> None:
    fake.clients = [Client(state=None, rc=1, stderr="sudo: a password is required\n")]
    with pytest.raises(StepFailed) as failed:
        step_for(inventory).apply(context()[0])
    assert "sudo: a password is required" in failed.value.reason


def test_cancel_while_reading_changes_nothing(fake: type[FakeSsh], inventory: Path) -> None:
    fake.clients = [Client(state=FRESH, apply_out=MADE, hang=True)]
    ctx, _ = context(cancelled=True)
    with pytest.raises(StepFailed) as failed:
        step_for(inventory).apply(ctx)
    assert "cancel" in failed.value.reason
    (channel,) = fake.made[0].channels
    assert channel.closed and "CREATE" not in channel.sent.decode()


def test_unreachable_host_is_retried_by_the_runner_naming_the_host(
    monkeypatch: pytest.MonkeyPatch, inventory: Path
) -> None:
    def refuse(address: str, **_kwargs: Any) -> None:
        raise ServerUnreachable("ssh", address, "SSHException: No existing session")

    monkeypatch.setattr(db_exec, "SshClient", refuse)
    with pytest.raises(ServerUnreachable) as failed:
        step_for(inventory).apply(context()[0])
    assert failed.value.server == "db" and "unreachable" in failed.value.reason


@pytest.mark.parametrize(
    ("site", "words"),
    [
        ({"name": "Site-A"}, "invalid database or user name"),
        ({"name": "mysql"}, "invalid database or user name"),
        ({"user": "root"}, "invalid database or user name"),
        ({"user": "u" * 33}, "invalid database or user name"),
        ({"password": "short"}, "at least 12 characters"),
        ({"password": "twelve-chars\n!"}, "no control characters"),
    ],
    ids=["uppercase", "reserved-db", "reserved-user", "user-too-long", "short-password",
         "control-character"],
)
def test_preflight_refuses_as_the_role_does_before_any_connection(
    fake: type[FakeSsh], inventory: Path, site: dict[str, str], words: str
) -> None:
    with pytest.raises(StepFailed) as failed:
        step_for(inventory).apply(context(**site)[0])
    assert words in failed.value.reason and failed.value.server == "db"
    assert fake.made == []


def test_bad_client_host_pattern_is_refused(fake: type[FakeSsh], inventory: Path) -> None:
    step = step_for(inventory)
    step.client_hosts = ["127.0.2.%'; DROP DATABASE mysql; --"]
    with pytest.raises(StepFailed) as failed:
        step.apply(context()[0])
    assert "invalid client host pattern" in failed.value.reason and fake.made == []


def test_host_missing_from_the_inventory_is_a_step_failure(
    fake: type[FakeSsh], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("all:\n  hosts: {}\n")
    with pytest.raises(StepFailed) as failed:
        step_for(empty).apply(context()[0])
    assert "not in the inventory" in failed.value.reason


# --- undo (state absent) ----------------------------------------------------------------


def test_undo_drops_the_database_and_every_host_of_the_user(
    fake: type[FakeSsh], inventory: Path
) -> None:
    fake.clients = [Client(state=["database\tsite_a", "stale\t127.0.2.%", "stale\told"])]
    step_for(inventory).undo(context(password="")[0])
    sent = fake.made[0].channels[0].sent.decode()
    assert "DROP DATABASE IF EXISTS `site_a`" in sent
    assert "DROP USER IF EXISTS 'site_a'@'127.0.2.%'" in sent
    assert "DROP USER IF EXISTS 'site_a'@'old'" in sent


def test_undo_of_what_is_not_there_sends_no_drop(fake: type[FakeSsh], inventory: Path) -> None:
    fake.clients = [Client(state=[])]
    step_for(inventory).undo(context()[0])
    assert "DROP" not in fake.made[0].channels[0].sent.decode()


def test_static_site_touches_no_database_server(fake: type[FakeSsh], inventory: Path) -> None:
    ctx, _ = context(name="")
    assert step_for(inventory).apply(ctx)["skipped"] is True
    step_for(inventory).undo(ctx)
    assert fake.made == []
