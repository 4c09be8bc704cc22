"""Step `database`: the site's database and its least-privilege user on the DB server (none
for a static site whose plan names no database).

The database role's own SQL (its templates, its state read, its all-or-nothing apply and
undo) run as one `mariadb` client over SSH (adapters/db_exec.py): ~50 ms where an
`ansible-playbook database.yml` run took over a second. The role's preflight is checked
here first, with the role's words; the role itself stays usable on its own."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.adapters.db_exec import DatabaseSpec, MariadbOverSsh, SqlRun
from provisioner.adapters.ssh import Cancelled
from provisioner.domain.errors import StepFailed
from provisioner.steps.base import StepContext

_NAME = re.compile(r"[a-z0-9_]{1,64}")
_USER = re.compile(r"[a-z0-9_]{1,32}")
_CLIENT_HOST = re.compile(r"[A-Za-z0-9._%:-]{1,255}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def preflight(spec: DatabaseSpec, defaults: Mapping[str, Any], *, present: bool) -> str | None:
    """The role's preflight (tasks/preflight.yml): why it would refuse these variables, in
    its words, or None. Names end up inside SQL identifiers and strings: only a closed
    alphabet gets through."""
    if (
        not _NAME.fullmatch(spec.name)
        or not _USER.fullmatch(spec.user)
        or spec.name in defaults.get("db_reserved_names", ())
        or spec.user in defaults.get("db_reserved_users", ())
    ):
        return (
            "Nama database/user tidak sah (hanya [a-z0-9_], maks. 64/32, bukan nama sistem) / "
            "invalid database or user name (only [a-z0-9_], max 64/32, not a system name): "
            f"db_name={spec.name} db_user={spec.user}"
        )
    if not spec.client_hosts or not all(_CLIENT_HOST.fullmatch(h) for h in spec.client_hosts):
        return (
            "Pola host klien tidak sah / invalid client host pattern: "
            f"{list(spec.client_hosts)}"
        )
    if present and (len(spec.password) < 12 or _CONTROL.search(spec.password)):
        return (
            "Kata sandi database minimal 12 karakter tanpa karakter kontrol / "
            "the database password needs at least 12 characters and no control characters"
        )
    return None


def refusal(run: SqlRun) -> str:
    """The reason a job records when MariaDB refused (the role's rescue message)."""
    if run.refused_in == "state":
        return (
            f"MariaDB di {run.host.login} tidak dapat dibaca, tidak ada yang diubah / "
            f"MariaDB on {run.host.login} could not be read, nothing was changed: {run.refused}"
        )
    if run.undo_rc is None:  # the removal (state absent): nothing of this run to take back
        return f"MariaDB menolak perubahan / MariaDB refused the change: {run.refused}"
    if run.undo_rc == 0:
        after = (
            "— yang sempat dibuat sudah dihapus lagi / what it had created was taken back"
        )
    else:
        after = (
            "— MENGHAPUS YANG SEMPAT DIBUAT GAGAL / TAKING BACK WHAT IT CREATED FAILED: "
            f"{run.undo_error}"
        )
    return f"MariaDB menolak perubahan / MariaDB refused the change: {run.refused} {after}"


# The state read's and the apply's lines that end in a client host of the site's user.
_OF_THE_USER = {"user", "password", "grant", "stale"}


def _said(lines: Sequence[Sequence[str]], user: str) -> str:
    """The SQL's report lines as words: ("created", "user", "10.0.0.%") → created user
    u_x@10.0.0.%; "granted grant" reads as "granted"."""

    def one(line: Sequence[str]) -> str:
        *words, last = line
        if words and words[-1] in _OF_THE_USER:
            last = f"{user}@{last}"
        if words[-2:] == ["granted", "grant"]:
            words = words[:-1]
        return " ".join([*words, last])

    return ", ".join(one(line) for line in lines if line) or "-"


class DatabaseStep:
    name = "database"

    def __init__(self, sql: MariadbOverSsh, *, db_host: str, client_hosts: list[str]) -> None:
        self.sql = sql
        self.db_host = db_host
        self.client_hosts = client_hosts

    def _spec(self, ctx: StepContext) -> DatabaseSpec:
        return DatabaseSpec(
            name=ctx.site.db_name or "",
            user=ctx.site.db_user or "",
            password=ctx.site.db_password or "",
            client_hosts=tuple(self.client_hosts),
        )

    def _checked(self, ctx: StepContext, step: str, *, present: bool) -> DatabaseSpec:
        spec = self._spec(ctx)
        problem = preflight(spec, self.sql.sql.defaults(), present=present)
        if problem:
            raise StepFailed(step, self.db_host, problem)
        return spec

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        if not ctx.site.wants_database:
            # A static site's plan names no database: nothing is created on the DB server.
            ctx.log("database: the approved plan names no database (static site)")
            return {"host": self.db_host, "database": None, "skipped": True}
        spec = self._checked(ctx, self.name, present=True)
        started = time.monotonic()
        try:
            run = self.sql.present(self.db_host, spec, step=self.name, cancel=ctx.cancelled)
        except Cancelled:
            # Stopped while it only read: nothing was changed.
            raise StepFailed(self.name, self.db_host, "dibatalkan / cancelled") from None
        ctx.log(
            f"database: {spec.name} / {spec.user} on {self.db_host} ({run.host.login}): "
            f"needed {_said(run.todo, spec.user)}; done: {_said(run.made, spec.user)}"
        )
        if run.refused:
            raise StepFailed(self.name, self.db_host, refusal(run))
        return {
            "host": self.db_host,
            "database": spec.name,
            "user": spec.user,
            "changed": run.changed,
            "seconds": round(time.monotonic() - started, 2),
        }

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # the state read makes the apply idempotent: re-running it is the check

    def undo(self, ctx: StepContext) -> None:
        if not ctx.site.wants_database:
            return
        step = f"undo-{self.name}"
        spec = self._checked(ctx, step, present=False)
        run = self.sql.absent(self.db_host, spec, step=step)
        ctx.log(f"undo database: {spec.name} / {spec.user} on {self.db_host}: "
                f"dropped {_said(run.todo, spec.user)}")  # fmt: skip
        if run.refused:
            raise StepFailed(step, self.db_host, refusal(run))
