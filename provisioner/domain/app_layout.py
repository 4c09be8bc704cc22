"""How a site serves an application that no one here wrote: its manifest (provisioner.json,
already checked against the schema) and, where it says nothing, what the repository shows.

Detection without a manifest: `public/` when the repository has it, else the root; index.php
there means PHP (the site's own FPM pool), index.html alone a static site (no pool). Pure:
the caller lists the directories, this decides. The result (`AppLayout.to_dict()`) is what the
deploy records as the release's manifest, so production is configured exactly as dev was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.domain.errors import StepFailed

SITE_SETTINGS = ("db_host", "db_name", "db_user", "db_password", "site_url", "site_fqdn")
PHP_INI_KEYS = (
    "upload_max_filesize", "post_max_size", "memory_limit", "max_execution_time", "max_input_vars",
)  # fmt: skip
DEFAULT_ROOT = "public"


@dataclass(frozen=True)
class CronEntry:
    schedule: str
    command: str


@dataclass(frozen=True)
class AppLayout:
    """What the vhost and deploy roles are told about one release of an app."""

    document_root: str  # relative to the release, "" = the release itself
    php: bool
    front_controller: str = ""
    htaccess: tuple[str, ...] = ()
    php_version: str = ""  # "" = the web host's
    php_settings: tuple[tuple[str, str], ...] = ()
    shared: tuple[str, ...] = ()
    # KEY -> a site setting's name, or "=" + a fixed value.
    env: tuple[tuple[str, str], ...] = ()
    hooks: tuple[tuple[str, str], ...] = ()
    cron: tuple[CronEntry, ...] = ()
    health_url: str | None = None
    health_status: int = 200
    marker: str | None = None
    detected: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "document_root": self.document_root,
            "stack": "php" if self.php else "static",
            "front_controller": self.front_controller,
            "htaccess": list(self.htaccess),
            "php_version": self.php_version,
            "php_settings": dict(self.php_settings),
            "shared": list(self.shared),
            "env": dict(self.env),
            "hooks": dict(self.hooks),
            "cron": [{"schedule": c.schedule, "command": c.command} for c in self.cron],
            "health_status": self.health_status,
            "detected": list(self.detected),
        }
        if self.health_url is not None:
            data["health_url"] = self.health_url
        if self.marker is not None:
            data["marker"] = self.marker
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppLayout:
        """Also reads what releases recorded before layouts existed ({health_url, marker}):
        those were PHP apps served from public/."""
        hooks = data.get("hooks") or {}
        return cls(
            document_root=str(data.get("document_root", DEFAULT_ROOT)),
            php=data.get("stack", "php") != "static",
            front_controller=str(data.get("front_controller") or ""),
            htaccess=tuple(data.get("htaccess") or ()),
            php_version=str(data.get("php_version") or ""),
            php_settings=tuple(sorted((data.get("php_settings") or {}).items())),
            shared=tuple(data.get("shared") or ()),
            env=tuple((data.get("env") or {}).items()),
            hooks=tuple(hooks.items()) if isinstance(hooks, Mapping) else (),
            cron=tuple(CronEntry(c["schedule"], c["command"]) for c in data.get("cron") or ()),
            health_url=data.get("health_url"),
            health_status=int(data.get("health_status") or 200),
            marker=data.get("marker"),
            detected=tuple(data.get("detected") or ()),
        )

    def env_values(self, settings: Mapping[str, str]) -> dict[str, str]:
        """The app's .env keys with their values: a site setting's value, or the fixed one."""
        return {
            key: source[1:] if source.startswith("=") else settings.get(source, "")
            for key, source in self.env
        }


def choose_document_root(manifest: Mapping[str, Any], root_entries: set[str]) -> str:
    """The directory Apache serves, relative to the release ("" = the release itself)."""
    declared = manifest.get("document_root")
    if declared is not None:
        return "" if declared == "." else str(declared).rstrip("/")
    return DEFAULT_ROOT if f"{DEFAULT_ROOT}/" in root_entries else ""


Refuse = Callable[[str, str], StepFailed]


def resolve_layout(
    manifest: Mapping[str, Any],
    document_root: str,
    docroot_entries: set[str] | None,
    *,
    planned_static: bool,
    refuse: Refuse,
) -> AppLayout:
    """The app's layout from its (schema-valid) manifest and the names in its document
    root; `refuse(field, reason)` builds the error for what cannot be served."""
    shown = document_root or "."
    if docroot_entries is None:
        raise refuse("document_root", f"'{shown}' is not a directory of the repository")
    php, why = _stack(manifest, docroot_entries, shown, refuse)
    if planned_static and php:
        raise refuse(
            "stack",
            f"the approved plan is a static site, but the app is PHP ({why}); "
            "submit a request for PHP hosting",
        )
    front = str(manifest.get("front_controller") or "")
    if front and front not in docroot_entries:
        raise refuse("front_controller", f"{front} is not in the document root '{shown}'")
    if front and not php:
        raise refuse("front_controller", "a static site has no PHP front controller")
    php_block = manifest.get("php") or {}
    if php_block and not php:
        raise refuse("php", "a static site has no PHP settings")
    how = "" if "document_root" in manifest else " (detected)"
    detected = [f"document root: {shown}{how}", f"stack: {why}"]
    return AppLayout(
        document_root=document_root,
        php=php,
        front_controller=front,
        htaccess=tuple(manifest.get("htaccess") or ()),
        php_version=str(php_block.get("version") or ""),
        php_settings=tuple(
            sorted((k, str(v)) for k, v in php_block.items() if k in PHP_INI_KEYS)
        ),
        shared=tuple(str(p).rstrip("/") for p in manifest.get("shared") or ()),
        env=tuple(_env_sources(manifest.get("env") or {})),
        hooks=tuple((k, str(v)) for k, v in (manifest.get("hooks") or {}).items()),
        cron=tuple(CronEntry(c["schedule"], c["command"]) for c in manifest.get("cron") or ()),
        health_url=manifest.get("health_url"),
        health_status=int(manifest.get("health_status") or 200),
        marker=manifest.get("marker"),
        detected=tuple(detected),
    )


def _stack(
    manifest: Mapping[str, Any], entries: set[str], shown: str, refuse: Refuse
) -> tuple[bool, str]:
    declared = manifest.get("stack")
    if declared is not None:
        return declared == "php", f"{declared} (declared)"
    if "index.php" in entries:
        return True, "php (index.php)"
    if "index.html" in entries:
        return False, "static (index.html, no index.php)"
    raise refuse(
        "document_root",
        f"no index.php or index.html in '{shown}'; declare document_root in provisioner.json",
    )


def _env_sources(env: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, source in env.items():
        if isinstance(source, Mapping):
            out.append((key, "=" + str(source.get("value", ""))))
        elif source in SITE_SETTINGS:
            out.append((key, str(source)))
    return out


def plans_database(plan: Mapping[str, Any] | None) -> bool:
    """Whether an approved plan names a database (a static site's plan may not)."""
    hosting = (plan or {}).get("hosting")
    return bool(hosting) and (hosting or {}).get("database") is not None


def planned_static(plan: Mapping[str, Any] | None) -> bool:
    """Whether an approved plan is for a static site (no PHP pool)."""
    return ((plan or {}).get("hosting") or {}).get("stack") == "static"
