"""The site roles' preflight asserts, checked on the controller before the direct-SSH path
(site_release) touches a host: what becomes a path, a user name or a line of shared/.env."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provisioner.domain.errors import StepFailed

_FQDN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Values of shared/.env (read by parse_ini_file): no quotes, backslashes or control characters.
_ENV_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


def preflight(vh: Mapping[str, Any], dp: Mapping[str, Any], *, step: str, host: str) -> None:
    """The roles' preflight asserts that guard what becomes a path, a user name or a line of
    .env (the app's layout was checked against its schema when the commit was resolved)."""
    fqdn = str(vh["site_fqdn"])
    problems = []
    if not _FQDN.match(fqdn) or len(fqdn) > 253:
        problems.append(f"site_fqdn={fqdn}")
    if not re.match(r"^/var/www/[a-z0-9.-]+$", str(vh["vhost_root"])):
        problems.append(f"vhost_root={vh['vhost_root']}")
    if not re.match(r"^[a-z][a-z0-9_]{0,31}$", str(vh["site_user"])):
        problems.append(f"site_user={vh['site_user']}")
    if not _COMMIT.match(str(dp["commit"])) or not dp.get("repo_url"):
        problems.append(f"commit={dp['commit']}")
    if int(dp["keep_releases"]) < 1:
        problems.append(f"keep_releases={dp['keep_releases']}")
    if problems:
        raise StepFailed(step, host, "Parameter situs tidak sah / invalid site parameters: "
                         + " ".join(problems))  # fmt: skip
    env_values = [str(vh[k]) for k in ("db_host", "db_name", "db_user", "db_password")]
    if any(_ENV_UNSAFE.search(v) for v in [*env_values, *map(str, vh["app_env"].values())]):
        raise StepFailed(step, host, (
            "Nilai .env tidak boleh berisi tanda kutip, backslash atau karakter kontrol / "
            ".env values must not contain quotes, backslashes or control characters"
        ))  # fmt: skip
