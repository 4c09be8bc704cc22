"""The repository and branch an OPD names are checked on Diskominfo's repository server
when the request is submitted (`git ls-remote`), not discovered missing at deploy time."""

from __future__ import annotations

from typing import Protocol

from provisioner.domain.errors import InvalidInput, NotFound, ServerUnreachable, StepFailed


class BranchLookup(Protocol):
    """What the git adapter answers: the commit a branch points at, None without it."""

    def branch_head(self, repo_url: str, branch: str, *, step: str = ...) -> str | None: ...


def ensure_branch_exists(lookup: BranchLookup, repo_url: str, branch: str) -> str:
    """Return the branch's commit; InvalidInput on `repo` or `branch` when the server has
    no such repository or branch; ServerUnreachable (HTTP 503) when it cannot be asked."""
    try:
        head = lookup.branch_head(repo_url, branch, step="submit")
    except NotFound:
        raise InvalidInput(
            "repo",
            f"Repositori {repo_url} tidak ada di server kode Diskominfo / "
            f"No repository {repo_url} on Diskominfo's code server",
        ) from None
    except StepFailed as exc:  # unreachable, refused the key, or any other git failure
        raise ServerUnreachable(
            "submit",
            exc.server,
            "Server kode tidak dapat ditanya apakah repositori dan cabangnya ada; coba lagi "
            "nanti / The code server could not be asked whether the repository and branch "
            f"exist; try again later ({exc.reason})",
        ) from None
    if head is None:
        raise InvalidInput(
            "branch",
            f"Cabang '{branch}' tidak ada di repositori {repo_url} / "
            f"Branch '{branch}' not found in {repo_url}",
        )
    return head
