"""Steps `site_dev` and `site_prod`: the vhost and a release of the app on one web host,
what site.yml does, over one SSH connection (adapters.site_release renders the vhost and
deploy roles' own scripts; an Ansible run would cost ~4 s more, most of it start-up and
module round trips). Undo runs the roles' removal (site_remove.yml).

Production only ever gets the commit that dev resolved and passed its checks on.
"""

from __future__ import annotations

from typing import Any, Literal

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.git import GitAdapter
from provisioner.adapters.site_release import SiteOverSsh
from provisioner.domain.errors import StepFailed
from provisioner.domain.plan import tls_targets
from provisioner.steps.app_source import read_app_layout, site_extravars
from provisioner.steps.base import StepContext

Environment = Literal["dev", "prod"]


class SiteStep:
    def __init__(
        self,
        ansible: AnsibleAdapter,
        site: SiteOverSsh,
        git: GitAdapter,
        *,
        environment: Environment,
        host: str,
        db_address: str,
        keep_releases: int,
    ) -> None:
        self.ansible = ansible
        self.site = site
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
        layout = read_app_layout(
            self.git, ctx.site.repo_url, commit, step=self.name, plan=ctx.site.plan
        )
        return commit, layout

    def _settings(self, ctx: StepContext, fqdn: str) -> dict[str, str]:
        """The site's settings an app may read (its .env keys map onto these); no database
        settings when the approved plan names no database."""
        db = ctx.site.wants_database
        https = any(t.get("fqdn") == fqdn for t in tls_targets(ctx.site.plan))
        return {
            "db_host": self.db_address if db else "",
            "db_name": (ctx.site.db_name or "") if db else "",
            "db_user": (ctx.site.db_user or "") if db else "",
            "db_password": (ctx.site.db_password or "") if db else "",
            "site_url": f"{'https' if https else 'http'}://{fqdn}/",
            "site_fqdn": fqdn,
        }

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        commit, manifest = self._source(ctx)
        fqdn = self._fqdn(ctx)
        if "migrate" in (manifest.get("hooks") or ()):
            # The job creates the database beside this step: a migrate hook needs it first.
            ctx.wait_for("database")
        ctx.log(f"{self.name}: {fqdn} @ {self.host}, commit {commit[:12]}")
        for line in manifest.get("detected") or ():
            ctx.log(f"{self.name}: {line}")
        settings = self._settings(ctx, fqdn)
        result = self.site.apply(
            self.host,
            {
                "site_fqdn": fqdn,
                "repo_url": ctx.site.repo_url,
                "commit": commit,
                "db_host": settings["db_host"],
                "db_name": settings["db_name"],
                "db_user": settings["db_user"],
                "db_password": settings["db_password"],
                "keep_releases": self.keep_releases,
                **site_extravars(manifest, settings),
            },
            step=self.name,
            cancel=ctx.cancelled,
        )
        for line in result.log:
            ctx.log(f"{self.name}: {line}")
        return {
            "host": self.host,
            "fqdn": fqdn,
            "commit": commit,
            "manifest": manifest,
            "changed": result.changed,
            "seconds": result.seconds,
            # What was published: lets a failed production check roll back.
            "release": result.release,
            "previous_release": result.previous,
        }

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # idempotent: an existing release of the commit is reused

    def undo(self, ctx: StepContext) -> None:
        self.ansible.run(
            "site_remove.yml",
            extravars={"site_fqdn": self._fqdn(ctx)},
            limit=self.host,
            run_dir=ctx.run_dir / "undo",
            step=f"undo-{self.name}",
        )
