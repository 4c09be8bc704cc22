"""The source-code repository server: resolve a branch to the exact commit we deploy."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from provisioner.domain.errors import ServerUnreachable, StepFailed

_SHA = re.compile(r"^[0-9a-f]{40}$")
MANIFEST = "provisioner.json"


class GitAdapter:
    def __init__(self, *, ssh_key: Path, known_hosts: Path, timeout: float = 20.0) -> None:
        self.env = {
            **os.environ,
            "GIT_SSH_COMMAND": (
                f"ssh -i {ssh_key} -o IdentitiesOnly=yes -o BatchMode=yes "
                f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes "
                "-o ConnectTimeout=5"
            ),
            "GIT_TERMINAL_PROMPT": "0",
        }
        self.timeout = timeout

    def resolve(self, repo_url: str, ref: str, *, step: str = "git") -> str:
        """The commit `ref` (a branch, or a full sha) points at on the server."""
        if _SHA.match(ref):
            return ref
        try:
            out = subprocess.run(
                ["git", "ls-remote", "--heads", "--", repo_url, f"refs/heads/{ref}"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ServerUnreachable(step, repo_url, "git ls-remote timed out") from None
        if out.returncode != 0:
            reason = (out.stderr.strip().splitlines() or ["git ls-remote failed"])[-1]
            if "Connection refused" in reason or "timed out" in reason:
                raise ServerUnreachable(step, repo_url, reason)
            raise StepFailed(step, repo_url, reason)
        for line in out.stdout.splitlines():
            sha, _, name = line.partition("\t")
            if name == f"refs/heads/{ref}" and _SHA.match(sha):
                return sha
        raise StepFailed(
            step,
            repo_url,
            f"cabang '{ref}' tidak ada di repositori / branch '{ref}' not found in the repository",
        )

    def read_manifest(self, repo_url: str, commit: str, *, step: str = "git") -> dict[str, Any]:
        """The app's `provisioner.json` at `commit` ({} when the app declares none).
        `git archive --remote` serves any commit reachable from a branch."""
        try:
            out = subprocess.run(
                ["git", "archive", f"--remote={repo_url}", "--format=tar", commit, MANIFEST],
                env=self.env,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ServerUnreachable(step, repo_url, "git archive timed out") from None
        if out.returncode != 0:
            err = out.stderr.decode(errors="replace")
            if "did not match any files" in err or "pathspec" in err:
                return {}
            raise StepFailed(step, repo_url, (err.strip().splitlines() or ["failed"])[-1])
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
            member = tar.extractfile(MANIFEST)
            data = json.loads(member.read()) if member else {}
        if not isinstance(data, dict):
            raise StepFailed(step, repo_url, f"{MANIFEST} must hold a JSON object")
        return {k: data[k] for k in ("health_url", "marker") if isinstance(data.get(k), str)}
