"""Step `database`: the site's database and its least-privilege user on the DB server (none
for a static site whose plan names no database)."""

from __future__ import annotations

from typing import Any

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.steps.base import StepContext


class DatabaseStep:
    name = "database"

    def __init__(self, ansible: AnsibleAdapter, *, db_host: str, client_hosts: list[str]) -> None:
        self.ansible = ansible
        self.db_host = db_host
        self.client_hosts = client_hosts

    def _vars(self, ctx: StepContext, state: str) -> dict[str, Any]:
        return {
            "db_name": ctx.site.db_name,
            "db_user": ctx.site.db_user,
            "db_password": ctx.site.db_password,
            "db_client_hosts": self.client_hosts,
            "db_state": state,
        }

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        if not ctx.site.wants_database:
            # A static site's plan names no database: nothing is created on the DB server.
            ctx.log("database: the approved plan names no database (static site)")
            return {"host": self.db_host, "database": None, "skipped": True}
        result = self.ansible.run(
            "database.yml",
            extravars=self._vars(ctx, "present"),
            limit=self.db_host,
            run_dir=ctx.run_dir,
            step=self.name,
            cancel=ctx.cancelled,
        )
        ctx.log(result.stdout)
        return {
            "host": self.db_host,
            "database": ctx.site.db_name,
            "user": ctx.site.db_user,
            "changed": result.changed,
            "seconds": round(result.duration_s, 2),
        }

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # the playbook is idempotent: re-running it is the verification

    def undo(self, ctx: StepContext) -> None:
        if not ctx.site.wants_database:
            return
        self.ansible.run(
            "database.yml",
            extravars=self._vars(ctx, "absent"),
            limit=self.db_host,
            run_dir=ctx.run_dir / "undo",
            step=f"undo-{self.name}",
        )
