"""Steps `site_dev` and `site_prod`: the vhost and a release of the app on one web host,
in one playbook run (Ansible's start-up, ~1.3 s a run, is the cost to design around).

Production only ever gets the commit that dev resolved and passed its checks on.
"""

from __future__ import annotations

from typing import Any, Literal

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.git import GitAdapter
from provisioner.domain.errors import StepFailed
from provisioner.steps.base import StepContext

Environment = Literal["dev", "prod"]


class SiteStep:
    def __init__(
        self,
        ansible: AnsibleAdapter,
        git: GitAdapter,
        *,
        environment: Environment,
        host: str,
        db_address: str,
        keep_releases: int,
    ) -> None:
        self.ansible = ansible
        self.git = git
        self.environment = environment
        self.name = f"site_{environment}"
        self.host = host
        self.db_address = db_address
        self.keep_releases = keep_releases

    def _fqdn(self, ctx: StepContext) -> str:
        return ctx.site.dev_fqdn if self.environment == "dev" else ctx.site.fqdn

    def _source(self, ctx: StepContext) -> tuple[str, dict[str, Any]]:
        """The commit to deploy and the app's manifest (provisioner.json)."""
        assert ctx.site.repo_url and ctx.site.branch
        # A deploy / promote job names its commit in a source step.
        source = ctx.outputs.get(f"source_{self.environment}")
        if source and source.get("commit"):
            return source["commit"], source.get("manifest") or {}
        if self.environment == "prod":
            dev = ctx.outputs.get("site_dev")
            if not dev or not dev.get("commit"):
                raise StepFailed(self.name, self.host, "no commit passed dev checks")
            return dev["commit"], dev.get("manifest") or {}
        commit = self.git.resolve(ctx.site.repo_url, ctx.site.branch, step=self.name)
        manifest = self.git.read_manifest(ctx.site.repo_url, commit, step=self.name)
        return commit, manifest

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        commit, manifest = self._source(ctx)
        fqdn = self._fqdn(ctx)
        ctx.log(f"{self.name}: {fqdn} @ {self.host}, commit {commit[:12]}")
        result = self.ansible.run(
            "site.yml",
            extravars={
                "site_fqdn": fqdn,
                "repo_url": ctx.site.repo_url,
                "commit": commit,
                "db_host": self.db_address,
                "db_name": ctx.site.db_name,
                "db_user": ctx.site.db_user,
                "db_password": ctx.site.db_password,
                "keep_releases": self.keep_releases,
                "php": True,
            },
            limit=self.host,
            run_dir=ctx.run_dir,
            step=self.name,
            cancel=ctx.cancelled,
        )
        ctx.log(result.stdout)
        return {
            "host": self.host,
            "fqdn": fqdn,
            "commit": commit,
            "manifest": manifest,
            "changed": result.changed,
            "seconds": round(result.duration_s, 2),
            # What the deploy role published: lets a failed production check roll back.
            "release": result.outputs.get("release_name", ""),
            "previous_release": result.outputs.get("previous_release", ""),
        }

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # idempotent playbook: an existing release of the commit is reused

    def undo(self, ctx: StepContext) -> None:
        self.ansible.run(
            "site_remove.yml",
            extravars={"site_fqdn": self._fqdn(ctx)},
            limit=self.host,
            run_dir=ctx.run_dir / "undo",
            step=f"undo-{self.name}",
        )
