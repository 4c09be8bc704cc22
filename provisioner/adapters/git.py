"""The source-code repository server: resolve a branch to the exact commit we deploy, and
read the app's manifest at that commit.

A local bare cache per repository is fetched once per resolve, so the commit and the
manifest come from one consistent snapshot of the branch — and any git server works
(`git archive --remote` only serves refs, and servers rarely allow fetching bare SHAs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.adapters.app_manifest import manifest_problems
from provisioner.adapters.ssh_options import SshConfig, git_ssh_command
from provisioner.domain.errors import NotFound, ServerUnreachable, StepFailed

_SHA = re.compile(r"^[0-9a-f]{40}$")
MANIFEST = "provisioner.json"
_UNREACHABLE = ("Connection refused", "timed out", "No route to host", "Connection closed")
# What servers say about a repository that is not there (sshd + git-shell, smart HTTP).
_NO_REPOSITORY = ("does not appear to be a git repository", "Repository not found", "not found")


@dataclass(frozen=True)
class GitConfig:
    """How git speaks SSH (the shared settings: key, verified host keys, one ControlMaster
    connection reused by every fetch), where the bare caches live, and how long one git
    command may take (short where a person waits on the answer)."""

    ssh: SshConfig
    cache_dir: Path
    timeout: float = 60.0


class GitAdapter:
    """Resolves branches to commits and reads manifests through local bare caches."""

    def __init__(self, config: GitConfig) -> None:
        self.env = {
            **os.environ,
            "GIT_SSH_COMMAND": git_ssh_command(config.ssh),
            "GIT_TERMINAL_PROMPT": "0",
        }
        self.cache_dir = config.cache_dir
        self.timeout = config.timeout

    def _git(self, args: list[str], *, repo_url: str, step: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ServerUnreachable(step, repo_url, f"git {args[0]} timed out") from None
        if out.returncode != 0:
            reason = _reason(out.stderr) or f"git {args[0]} failed"
            if any(marker in out.stderr for marker in _UNREACHABLE):
                raise ServerUnreachable(step, repo_url, reason)
            raise StepFailed(step, repo_url, reason)
        return out.stdout

    def _cache(self, repo_url: str, step: str) -> Path:
        path = self.cache_dir / (hashlib.sha256(repo_url.encode()).hexdigest()[:16] + ".git")
        if not (path / "HEAD").exists():
            path.mkdir(parents=True, exist_ok=True)
            self._git(["init", "--quiet", "--bare", str(path)], repo_url=repo_url, step=step)
        return path

    def resolve(self, repo_url: str, ref: str, *, step: str = "git") -> str:
        """The commit `ref` (a branch, or a full sha reachable from a branch) points at now."""
        cache = self._cache(repo_url, step)
        refspec = (
            "+refs/heads/*:refs/heads/*"
            if _SHA.match(ref)
            else (f"+refs/heads/{ref}:refs/heads/{ref}")
        )
        try:
            self._git(
                ["-C", str(cache), "fetch", "--quiet", "--no-tags", "--", repo_url, refspec],
                repo_url=repo_url,
                step=step,
            )
        except StepFailed as exc:
            if "couldn't find remote ref" in exc.reason:
                raise StepFailed(
                    step,
                    repo_url,
                    f"cabang '{ref}' tidak ada di repositori / branch '{ref}' not found",
                ) from None
            raise
        target = ref if _SHA.match(ref) else f"refs/heads/{ref}"
        return self._git(
            ["-C", str(cache), "rev-parse", "--verify", f"{target}^{{commit}}"],
            repo_url=repo_url,
            step=step,
        ).strip()

    def branch_head(self, repo_url: str, branch: str, *, step: str = "git") -> str | None:
        """The commit `branch` points at on the server now (`git ls-remote`, nothing is
        fetched), or None when the repository has no such branch. NotFound when there is
        no such repository; ServerUnreachable when the server does not answer."""
        try:
            out = self._git(
                ["ls-remote", "--heads", "--", repo_url, f"refs/heads/{branch}"],
                repo_url=repo_url,
                step=step,
            )
        except ServerUnreachable:
            raise
        except StepFailed as exc:
            if any(marker in exc.reason for marker in _NO_REPOSITORY):
                raise NotFound(
                    f"Repositori {repo_url} tidak ada / No repository {repo_url}"
                ) from None
            raise
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}" and _SHA.match(sha):
                return sha
        return None

    def read_manifest(self, repo_url: str, commit: str, *, step: str = "git") -> dict[str, Any]:
        """The app's `provisioner.json` at `commit` ({} when the app declares none), checked
        against its JSON Schema: StepFailed naming the first wrong field."""
        cache = self._cache(repo_url, step)
        try:
            text = self._git(
                ["-C", str(cache), "show", f"{commit}:{MANIFEST}"], repo_url=repo_url, step=step
            )
        except StepFailed as exc:
            if "does not exist" in exc.reason or "exists on disk, but not in" in exc.reason:
                return {}
            raise
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StepFailed(step, repo_url, f"{MANIFEST}: {exc}") from None
        problems = manifest_problems(data)
        if problems:
            field, message = problems[0]
            raise StepFailed(
                step, repo_url,
                f"{MANIFEST} tidak sah pada {field} / {MANIFEST} is invalid at {field}: {message}",
            )  # fmt: skip
        assert isinstance(data, dict)
        # Every key as validated; "hooks" maps each hook to its command (the deploy role
        # runs them from the release's own file).
        return data

    def list_directory(
        self, repo_url: str, commit: str, directory: str = "", *, step: str = "git"
    ) -> set[str] | None:
        """The names in `directory` of the tree at `commit` (directories with a trailing
        "/"), or None when there is no such directory. Read from the bare cache that
        `resolve` fetched."""
        cache = self._cache(repo_url, step)
        spec = f"{commit}:{directory}" if directory not in ("", ".") else f"{commit}^{{tree}}"
        try:
            out = self._git(["-C", str(cache), "ls-tree", spec], repo_url=repo_url, step=step)
        except StepFailed as exc:
            if "Not a valid object name" in exc.reason or "not a tree object" in exc.reason:
                return None
            raise
        names: set[str] = set()
        for line in out.splitlines():
            meta, _, name = line.partition("\t")
            names.add(name + "/" if meta.split()[1:2] == ["tree"] else name)
        return names


def _reason(stderr: str) -> str:
    """git's own complaint (the first `fatal:`/`error:`/`ssh:` line), not the advice that
    follows it ("Please make sure you have the correct access rights …")."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:", "ssh:")):
            return line
    return lines[-1] if lines else ""
