"""What a release of the app needs from its web host, read from the repository at the commit
being deployed: its manifest (checked against the schema) and, where the manifest says
nothing, what the tree shows (provisioner.domain.app_layout). Shared by the steps that pick a
commit for dev (site_dev in a provisioning job, source_dev in a deploy job)."""

from __future__ import annotations

from typing import Any

from provisioner.adapters.git import MANIFEST, GitAdapter
from provisioner.domain.app_layout import (
    AppLayout,
    choose_document_root,
    planned_static,
    resolve_layout,
)
from provisioner.domain.errors import StepFailed


def read_app_layout(
    git: GitAdapter, repo_url: str, commit: str, *, step: str, plan: dict[str, Any] | None
) -> dict[str, Any]:
    """The release's layout as recorded in the step's outputs (`manifest`): StepFailed
    naming the field when the app cannot be served as it is."""
    manifest = git.read_manifest(repo_url, commit, step=step)
    root = git.list_directory(repo_url, commit, "", step=step) or set()
    document_root = choose_document_root(manifest, root)
    entries = git.list_directory(repo_url, commit, document_root, step=step)

    def refuse(field: str, reason: str) -> StepFailed:
        where = f"{MANIFEST} {field}" if field in manifest else field
        return StepFailed(
            step, repo_url, f"aplikasi tidak dapat dilayani / the app cannot be served: "
            f"{where}: {reason} (commit {commit[:12]})",
        )  # fmt: skip

    layout = resolve_layout(
        manifest, document_root, entries, planned_static=planned_static(plan), refuse=refuse
    )
    return layout.to_dict()


def site_extravars(layout_data: dict[str, Any], settings: dict[str, str]) -> dict[str, Any]:
    """What site.yml's vhost and deploy roles are told about the release (beside the site
    name, commit and database settings): document root, front controller, honoured
    .htaccess directives, PHP version and settings, the app's .env keys, shared
    directories, cron entries and the health status."""
    layout = AppLayout.from_dict(layout_data)
    extra: dict[str, Any] = {
        "php": layout.php,
        "document_root": layout.document_root,
        "front_controller": layout.front_controller,
        "htaccess": list(layout.htaccess),
        "php_settings": dict(layout.php_settings),
        "app_env": layout.env_values(settings),
        "shared_dirs": list(layout.shared),
        "cron_entries": [{"schedule": c.schedule, "command": c.command} for c in layout.cron],
        "health_status": layout.health_status,
    }
    if layout.php_version:
        extra["vhost_php_version"] = layout.php_version
    return extra
