"""Steps `source_dev` and `source_prod`: which commit a deploy / promote job works on.

`source_dev` resolves the branch or commit the technical team asked for (a commit must be
reachable from a branch of Diskominfo's repository). `source_prod` takes a commit whose dev
checks passed — production never gets anything else — and refuses one that did not.
"""

from __future__ import annotations

from typing import Any

from provisioner.adapters.git import GitAdapter
from provisioner.domain.errors import StepFailed
from provisioner.steps.app_source import read_app_layout
from provisioner.steps.base import StepContext
from provisioner.store.db import Store
from provisioner.store.repositories import hosting as hosting_repo, jobs as jobs_repo


class DevSourceStep:
    name = "source_dev"

    def __init__(self, store: Store, git: GitAdapter) -> None:
        self.store = store
        self.git = git

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        with self.store.read() as s:
            row = hosting_repo.deployment_for_job(s, ctx.job_id)
            ref = (row.ref if row else None) or ctx.site.branch
        if not ctx.site.repo_url or not ref:
            raise StepFailed(self.name, "git", "tidak ada repositori / no repository to deploy")
        commit = self.git.resolve(ctx.site.repo_url, ref, step=self.name)
        manifest = read_app_layout(
            self.git, ctx.site.repo_url, commit, step=self.name, plan=ctx.site.plan
        )
        with self.store.session() as s:
            row = hosting_repo.deployment_for_job(s, ctx.job_id)
            if row is not None:
                row.commit = commit
        ctx.log(f"source_dev: {ref} -> {commit}")
        return {"ref": ref, "commit": commit, "manifest": manifest}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # a read: resolve again

    def undo(self, ctx: StepContext) -> None:
        return None


class ProdSourceStep:
    name = "source_prod"

    def __init__(self, store: Store) -> None:
        self.store = store

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        with self.store.read() as s:
            row = hosting_repo.deployment_for_job(s, ctx.job_id)
            wanted = row.commit if row else None
            passed = jobs_repo.passed_dev_commits(s, ctx.site.request_id)
        if not passed:
            raise StepFailed(
                self.name, "dev",
                "belum ada commit yang lulus uji dev / no commit has passed the dev checks yet",
            )
        manifests = dict(passed)
        commit = wanted or passed[0][0]
        if commit not in manifests:
            raise StepFailed(
                self.name, "dev",
                f"commit {commit[:12]} belum lulus uji dev / has not passed the dev checks",
            )
        ctx.log(f"source_prod: {commit} passed the dev checks")
        return {"commit": commit, "manifest": manifests[commit]}

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None

    def undo(self, ctx: StepContext) -> None:
        return None
