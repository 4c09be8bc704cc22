"""Helpers for the deploy, promote and retire tests on the real lab: branches pushed to the
lab's git server (real commits, removed afterwards), requests provisioned through the real
runner."""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import httpx

from provisioner.bootstrap.container import Container
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.requests import RequestDraft
from provisioner.store.repositories import jobs as jobs_repo

OPD = Actor("hw-opd", Role.OPD, "Dinas Kesehatan")
NET = Actor("hw-net", Role.NETWORK)
TECH = Actor("hw-tech", Role.TECHNICAL)

# A health page that fails only on production (the name has no ".dev."): an app whose
# production configuration differs from dev's — the case only production checks catch.
PROD_ONLY_BROKEN_HEALTH = """<?php
declare(strict_types=1);
header('Content-Type: application/json');
if (!str_contains($_SERVER['HTTP_HOST'] ?? '', '.dev.')) {
    http_response_code(500);
    echo json_encode(['status' => 'broken', 'reason' => 'production-only failure']);
    exit;
}
echo json_encode(['status' => 'ok']);
"""


def _git_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_SSH_COMMAND": (
            f"ssh -i {settings.ssh_key_path} -o IdentitiesOnly=yes -o BatchMode=yes "
            f"-o UserKnownHostsFile={settings.known_hosts_path} -o StrictHostKeyChecking=yes"
        ),
        "GIT_AUTHOR_NAME": "hw test", "GIT_AUTHOR_EMAIL": "hw@demokab.go.id",
        "GIT_COMMITTER_NAME": "hw test", "GIT_COMMITTER_EMAIL": "hw@demokab.go.id",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }


def push_branch(
    settings: Settings, branch: str, files: Mapping[str, str], *, repo: str = "sample-app"
) -> str:
    """Push `branch` = main + `files` to the lab's `repo` repository; return its commit."""
    url = f"{settings.git_base_url}/{repo}.git"
    env = _git_env(settings)
    with tempfile.TemporaryDirectory(prefix="hw-branch-") as tmp:
        work = Path(tmp) / "w"
        subprocess.run(["git", "clone", "-q", "--branch", "main", url, str(work)],
                       env=env, check=True, capture_output=True)
        subprocess.run(["git", "-C", str(work), "checkout", "-q", "-b", branch],
                       env=env, check=True)
        for rel, text in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text)
        subprocess.run(["git", "-C", str(work), "add", "-A"], env=env, check=True)
        subprocess.run(["git", "-C", str(work), "commit", "-q", "-m", f"test {branch}"],
                       env=env, check=True)
        subprocess.run(["git", "-C", str(work), "push", "-q", "origin", branch],
                       env=env, check=True, capture_output=True)
        return subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD"], env=env,
                              check=True, capture_output=True, text=True).stdout.strip()


def delete_branch(settings: Settings, branch: str, *, repo: str = "sample-app") -> None:
    url = f"{settings.git_base_url}/{repo}.git"
    subprocess.run(["git", "push", "-q", url, "--delete", branch], env=_git_env(settings),
                   check=False, capture_output=True)


def submit(
    services: Container,
    label: str,
    branch: str = "main",
    *,
    repo: str = "sample-app",
    stack: str | None = None,
) -> int:
    req = services.intake.submit(
        RequestDraft(
            label=label, agency="Dinas Kesehatan", purpose="Uji alur hosting",
            contact_name="Siti", contact_email="siti@dinkes.demokab.go.id",
            letter_number="400.7/9/DINKES/2026", letter_date=date.today(), hosting=True,
            repo=repo, branch=branch, stack=stack,
        ),
        OPD,
    )
    return req.id


def run_job(services: Container, job_id: int) -> str:
    """Claim and run one job in this thread (what a worker thread does); its final state."""
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, services.runner.worker_id)
    return str(services.runner.run(job_id))


def provision(
    services: Container,
    label: str,
    branch: str = "main",
    *,
    repo: str = "sample-app",
    stack: str | None = None,
) -> tuple[int, int, str]:
    """Submit, approve and run the provisioning job: (request id, job id, final state)."""
    request_id = submit(services, label, branch, repo=repo, stack=stack)
    job = services.decisions.approve(request_id, NET).job
    assert job is not None, "approving a hosting request starts its job"
    return request_id, job.id, run_job(services, job.id)


def get_site(address: str, fqdn: str, path: str = "/") -> httpx.Response:
    return httpx.get(f"http://{address}{path}", headers={"Host": fqdn}, timeout=5,
                     trust_env=False)


def new_label(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"
