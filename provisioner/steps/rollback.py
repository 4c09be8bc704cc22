"""Production's way back.

`ProductionGate` is the `checks_prod` step of a job that put a release on production: when
the checks fail it moves `current` back to the release that was there before (the
deploy role's rollback, then verified), or removes the fresh vhost if the site had no
earlier release, and fails saying so. `RollbackStep` (`rollback_prod`) is the technical
team's own rollback job.
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath
from typing import Any

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.ssh import SshClient
from provisioner.adapters.ssh_options import SshConfig
from provisioner.domain.errors import StepFailed
from provisioner.steps.base import StepContext
from provisioner.steps.checks import ChecksFailed, ChecksStep
from provisioner.store.db import Store
from provisioner.store.repositories import jobs as jobs_repo


class RolledBack(ChecksFailed):
    """Production checks failed and production was put back; `undone_steps` tells the runner
    that `site_prod` must run again on a retry."""

    undone_steps: tuple[str, ...] = ("site_prod",)

    def __init__(self, failed: ChecksFailed, action: str, restored_commit: str) -> None:
        super().__init__(failed.step, failed.server, failed.results)
        # What production serves now ("" = nothing): the request's commit again.
        self.restored_commit = restored_commit
        if not restored_commit:  # the fresh vhost was removed, its certificate with it
            self.undone_steps = ("site_prod", "tls_prod")
        self.reason = (
            f"{failed.reason} — produksi dikembalikan otomatis / production rolled back "
            f"automatically: {action}"
        )
        self.message = f"{self.step} @ {self.server}: {self.reason}"
        self.args = (self.message,)


class ProductionReverter:
    """Moves a site on the production host back, through the playbooks."""

    def __init__(
        self, ansible: AnsibleAdapter, ssh: SshConfig, *, host: str, address: str,
        keep_releases: int,
    ) -> None:  # fmt: skip
        self.ansible = ansible
        self.ssh = ssh
        self.host = host
        self.address = address
        # Releases kept on a host bound how far back a rollback can ever need to go.
        self.max_steps_back = keep_releases + 1

    def current_target(self, fqdn: str, step: str) -> tuple[str, str]:
        """(release directory name `current` points at, its git HEAD) on production."""
        root = shlex.quote(f"/var/www/{fqdn}/current")
        ssh = self.ssh
        try:
            with SshClient.to(ssh, self.address) as c:
                # The release belongs to the site's user: tell git (as root) that is fine.
                out = c.run(
                    f"readlink {root} && git -c safe.directory='*' -C {root}/ rev-parse HEAD"
                )
        except StepFailed as exc:
            raise StepFailed(step, self.host, exc.reason) from None
        lines = out.stdout.split()
        if out.rc != 0 or len(lines) < 2:
            return "", ""
        return PurePosixPath(lines[0]).name, lines[1]

    def rollback(self, ctx: StepContext, fqdn: str, *, to: str = "") -> dict[str, Any]:
        """rollback.yml on production; with `to`, until `current` is exactly that release.

        The playbook moves to the release *named* before current; after an earlier rollback
        that is not always the one that was live (`rollback_to` is passed for a playbook that
        honours it), so each run goes one release further back, never past `to`.
        """
        for attempt in range(self.max_steps_back):
            self.ansible.run(
                "rollback.yml",
                extravars={"site_fqdn": fqdn, "rollback_to": to},
                limit=self.host,
                run_dir=ctx.run_dir / f"rollback-{attempt}",
                step=ctx.step,
            )
            release, commit = self.current_target(fqdn, ctx.step)
            if not to or release == to:
                return {"host": self.host, "fqdn": fqdn, "release": release, "commit": commit}
            ctx.log(f"{ctx.step}: current -> {release}, going on back to {to}")
            if release < to:
                break
        raise StepFailed(
            ctx.step,
            self.host,
            f"current menunjuk {release}, bukan {to} / current points at {release}, not {to}",
        )

    def remove_site(self, ctx: StepContext, fqdn: str) -> None:
        self.ansible.run(
            "site_remove.yml",
            extravars={"site_fqdn": fqdn},
            limit=self.host,
            run_dir=ctx.run_dir / "remove",
            step=ctx.step,
        )


class ProductionGate:
    """`checks_prod`, with an automatic rollback when this job's release fails them."""

    name = "checks_prod"

    def __init__(self, checks: ChecksStep, reverter: ProductionReverter) -> None:
        self.checks = checks
        self.reverter = reverter

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        try:
            return self.checks.apply(ctx)
        except ChecksFailed as failed:
            deployed = ctx.outputs.get("site_prod")
            if not deployed:
                raise  # this job put nothing on production: nothing of ours to take back
            raise RolledBack(failed, *self._revert(ctx, deployed)) from None

    def _revert(self, ctx: StepContext, deployed: dict[str, Any]) -> tuple[str, str]:
        """(what was done, the commit production serves afterwards)."""
        fqdn = deployed["fqdn"]
        previous = PurePosixPath(deployed.get("previous_release") or "").name
        release = deployed.get("release") or ""
        if previous and previous == release:
            return (
                "rilis tidak berubah, tidak ada yang dikembalikan / "
                "release unchanged, nothing to undo",
                deployed.get("commit", ""),
            )
        if previous:
            ctx.log(f"checks_prod: failed, moving current back to {previous}")
            restored = self.reverter.rollback(ctx, fqdn, to=previous)
            return f"current -> releases/{previous}", restored["commit"]
        ctx.log("checks_prod: failed on a first release, removing the fresh vhost")
        self.reverter.remove_site(ctx, fqdn)
        return (
            "vhost baru dihapus (tidak ada rilis sebelumnya) / "
            "fresh vhost removed (no earlier release)",
            "",
        )

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None

    def undo(self, ctx: StepContext) -> None:
        return None


class RollbackStep:
    """`rollback_prod`: the technical team moves production back one release."""

    name = "rollback_prod"

    def __init__(self, store: Store, reverter: ProductionReverter) -> None:
        self.store = store
        self.reverter = reverter

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        before, _ = self.reverter.current_target(ctx.site.fqdn, self.name)
        out = self.reverter.rollback(ctx, ctx.site.fqdn)
        with self.store.read() as s:
            manifests = dict(jobs_repo.passed_dev_commits(s, ctx.site.request_id))
        ctx.log(f"rollback_prod: {before or '(none)'} -> {out['release']} ({out['commit']})")
        return {**out, "previous_release": before, "manifest": manifests.get(out["commit"], {})}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None

    def undo(self, ctx: StepContext) -> None:
        return None
