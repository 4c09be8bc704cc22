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
from pathlib import Path
from typing import Any

from provisioner.domain.errors import ServerUnreachable, StepFailed

_SHA = re.compile(r"^[0-9a-f]{40}$")
MANIFEST = "provisioner.json"
_UNREACHABLE = ("Connection refused", "timed out", "No route to host", "Connection closed")


class GitAdapter:
    def __init__(
        self, *, ssh_key: Path, known_hosts: Path, cache_dir: Path, timeout: float = 60.0
    ) -> None:
        self.env = {
            **os.environ,
            "GIT_SSH_COMMAND": (
                f"ssh -i {ssh_key} -o IdentitiesOnly=yes -o BatchMode=yes "
                f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes "
                "-o ConnectTimeout=5"
            ),
            "GIT_TERMINAL_PROMPT": "0",
        }
        self.cache_dir = cache_dir
        self.timeout = timeout

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
            reason = (out.stderr.strip().splitlines() or [f"git {args[0]} failed"])[-1]
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

    def read_manifest(self, repo_url: str, commit: str, *, step: str = "git") -> dict[str, Any]:
        """The app's `provisioner.json` at `commit` ({} when the app declares none)."""
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
        if not isinstance(data, dict):
            raise StepFailed(step, repo_url, f"{MANIFEST} must hold a JSON object")
        return {k: data[k] for k in ("health_url", "marker") if isinstance(data.get(k), str)}
