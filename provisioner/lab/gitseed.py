"""The git host's sample repository, seeded once from provisioner/lab/sample_app/.

Branch `main` is the app as it is; every directory under sample_app_variants/ becomes a
branch of the same name holding main plus that directory's files (e.g. `broken-health`,
whose health page answers 500 so a failed deploy can be shown).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from provisioner.lab.errors import LabError

SAMPLE_APP = Path(__file__).parent / "sample_app"
VARIANTS = Path(__file__).parent / "sample_app_variants"
AUTHOR_NAME = "provisioner lab"
AUTHOR_EMAIL = "lab@demokab.go.id"
# A fixed date as well as a fixed author: every lab gets the same commit ids.
COMMIT_DATE = "2026-01-05T09:00:00+08:00"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


def git(cwd: Path, *args: str) -> str:
    """git with the lab's fixed author, committer and date, and no user or system config."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
        "GIT_AUTHOR_DATE": COMMIT_DATE,
        "GIT_COMMITTER_NAME": AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
        "GIT_COMMITTER_DATE": COMMIT_DATE,
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise LabError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def seed_repository(repo: Path, app: Path = SAMPLE_APP, variants: Path = VARIANTS) -> bool:
    """Create the bare repository `repo` with main and one branch per variant.

    Does nothing (returns False) when `repo` exists: pushes made since are kept.
    """
    if (repo / "HEAD").exists():
        return False
    with tempfile.TemporaryDirectory(prefix="lab-seed-") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(app, work, ignore=_IGNORE)
        git(work, "init", "-q", "-b", "main")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "Sample app for the provisioner lab")
        branches = ["main"]
        for variant in sorted(p for p in variants.iterdir() if p.is_dir()):
            git(work, "checkout", "-q", "-b", variant.name, "main")
            shutil.copytree(variant, work, dirs_exist_ok=True, ignore=_IGNORE)
            git(work, "add", "-A")
            git(work, "commit", "-q", "-m", f"Variant {variant.name} for lab demonstrations")
            branches.append(variant.name)
        publish_bare(work, repo, branches)
    return True


def publish_bare(work: Path, repo: Path, branches: list[str]) -> None:
    """Push `branches` of the work tree `work` into a new bare repository `repo`, which
    appears whole or not at all (built beside it, then renamed)."""
    partial = repo.with_name(repo.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    git(partial.parent, "init", "-q", "--bare", "-b", "main", str(partial))
    git(work, "push", "-q", str(partial), *branches)
    partial.rename(repo)
