"""Steps of a retire job, run only after the network team approved the retirement plan:
the DNS records go (through the dns step's own undo: only the records this request's
approved plan created), then one run of playbooks/retire.yml dumps the database to a backup
on the database server, removes the sites (vhost, PHP-FPM pool, files, site user) from both
web hosts and drops the database and its user, and finally the name is released."""

from __future__ import annotations

from typing import Any

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.steps.base import Step, StepContext
from provisioner.steps.hosts import Hosts
from provisioner.store.db import Store
from provisioner.store.repositories import requests as requests_repo

# retire.yml's default (the role's retire_backup_dir): the db host's own /srv.
BACKUP_DIR = "/srv/backups/provisioner"


class RetireDnsStep:
    name = "retire_dns"

    def __init__(self, dns_step: Step) -> None:
        self.dns_step = dns_step

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        records = (ctx.site.plan.get("dns") or {}).get("changes", [])
        self.dns_step.undo(ctx)
        return {"removed": [f"{c.get('name')} {c.get('rtype')}" for c in records]}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # deleting an absent record is a no-op (the undo skips it)

    def undo(self, ctx: StepContext) -> None:
        return None


class RetireHostingStep:
    """retire.yml: backup first, no site removed without it, no database dropped while a web
    host still serves the site (the playbook's plays are any_errors_fatal, idempotent)."""

    name = "retire_hosting"

    def __init__(self, ansible: AnsibleAdapter, hosts: Hosts) -> None:
        self.ansible = ansible
        self.hosts = hosts

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        hosts = self.hosts
        sites = {hosts.web_dev: ctx.site.dev_fqdn, hosts.web_prod: ctx.site.fqdn}
        result = self.ansible.run(
            "retire.yml",
            extravars={
                "retire_sites": sites,
                "db_name": ctx.site.db_name,
                "db_user": ctx.site.db_user,
                "retire_backup_dir": BACKUP_DIR,
            },
            limit=",".join([*sites, hosts.db]),
            run_dir=ctx.run_dir,
            step=self.name,
            cancel=ctx.cancelled,
        )
        ctx.log(result.stdout)
        out = result.outputs
        return {
            "host": hosts.db,
            "backup": out.get("backup_path", ""),
            "bytes": int(out.get("backup_bytes") or 0),
            "sha256": out.get("backup_sha256", ""),
            "removed": [f"{fqdn} @ {host}" for host, fqdn in sites.items()],
            "dropped": out.get("database_dropped", ctx.site.db_name),
            "seconds": round(result.duration_s, 2),
        }

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # the playbook is idempotent: run it again

    def undo(self, ctx: StepContext) -> None:
        return None


class ReleaseNameStep:
    name = "release_name"

    def __init__(self, store: Store) -> None:
        self.store = store

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        with self.store.session() as s:
            requests_repo.release_name(s, ctx.site.request_id)
        return {"released": ctx.site.fqdn}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None

    def undo(self, ctx: StepContext) -> None:
        return None
