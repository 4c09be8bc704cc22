"""Carries out an approved migration plan on its web host, and the way back: each one
shell script (scripts/vhost_migrate.sh, scripts/vhost_migrate_back.sh, after the plan's
values as shell assignments) sent over SSH (RemoteShell) and run under the host's web
lock, the one the vhost and tls roles take, so no role run sees a half-made change.

The way back is kept before anything changes (certbot's reverter): the hand-made file is
copied into the migration's state directory, its link is noted; every step after is undone
in reverse when a later one fails — `php-fpm -t`, `apache2ctl configtest`, the graceful
reload — and Apache keeps serving the hand-made vhost. Once the scripts hold the lock they
ignore SIGHUP/SIGPIPE: a controller that goes away does not leave half a change behind.

Exit codes: 0 done, 2 refused before any change (the host is not what the plan says),
75 web lock not acquired, anything else failed and taken back.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from dataclasses import dataclass
from pathlib import Path

from provisioner.adapters.remote_shell import RemoteShell
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import ServerUnreachable, StepFailed
from provisioner.domain.vhost_migration import RELEASE_SUFFIX, MigrationPlan

STEP = "vhost-migration"
STEP_BACK = "vhost-migration-back"
WEB_LOCK = "/run/lock/provisioner-web.lock"
# Next to the web configuration it keeps (as the vhost role's .conf.previous files).
STATE_DIR = "/etc/provisioner/migrations"
REFUSED = 2

SCRIPTS = Path(__file__).parent / "scripts"


def _script(name: str) -> str:
    return (SCRIPTS / name).read_text()


@dataclass(frozen=True)
class MigrationDone:
    """What the apply left on the host: the release the copied document root became."""

    release: str


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _assignments(values: dict[str, str]) -> str:
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items())


def _common(plan: MigrationPlan) -> dict[str, str]:
    return {
        "WEB_LOCK": WEB_LOCK,
        "FQDN": plan.fqdn,
        "STATE": f"{STATE_DIR}/{plan.fqdn}",
        "OLD": plan.old_file,
        "OLD_LINK": plan.old_link,
        "OLD_TARGET": plan.old_link_target or "",
        "OLD_SHA": plan.old_sha256,
        "CONF": plan.vhost_file,
        "LINK": plan.vhost_link,
        "POOL": plan.pool_file or "",
        "FPM_PID": f"/run/php/php{plan.php_version}-fpm.pid",
    }


def apply_script(plan: MigrationPlan, modules: tuple[str, ...]) -> str:
    """The script that carries out `plan` (exactly the plan: every value comes from it)."""
    values = {
        **_common(plan),
        "TREE": plan.tree,
        "SITE_USER": plan.site_user,
        "DOCROOT": plan.document_root,
        "RELEASE_SUFFIX": RELEASE_SUFFIX,
        "MODULES": " ".join(modules),
        "PHP_VERSION": plan.php_version,
        "SOCKET": plan.socket or "",
        "CONF_B64": _b64(plan.vhost_text),
        "POOL_B64": _b64(plan.pool_text or ""),
    }
    return _assignments(values) + _script("vhost_web_lock.sh") + _script("vhost_migrate.sh")


def back_script(plan: MigrationPlan, original: bytes) -> str:
    """The script that restores the hand-made vhost `plan` replaced (`original`: its bytes
    as the store kept them; the host's own copy is used when it is intact)."""
    if hashlib.sha256(original).hexdigest() != plan.old_sha256:
        raise StepFailed(
            STEP_BACK,
            plan.host,
            "salinan asli di penyimpanan tidak cocok / "
            "the stored original does not match its sha256",
        )
    values = {**_common(plan), "ORIGINAL_B64": base64.b64encode(original).decode()}
    return _assignments(values) + _script("vhost_web_lock.sh") + _script("vhost_migrate_back.sh")


class VhostMigrator:
    """Runs the migration scripts on a web host (as root: `sudo -n` where the inventory
    says become)."""

    def __init__(self, shell: RemoteShell, timeout: float = 300.0) -> None:
        self.shell = shell
        self.timeout = timeout

    def _run(self, step: str, host: InventoryHost, script: str) -> str:
        outcome = self.shell.run(host, "sh -s", stdin=script, timeout=self.timeout)
        if outcome.failure is not None:
            raise ServerUnreachable(step, host.name, outcome.reason())
        if outcome.rc != 0:
            raise StepFailed(step, host.name, outcome.reason(600))
        return outcome.stdout

    def migrate(
        self, host: InventoryHost, plan: MigrationPlan, modules: tuple[str, ...]
    ) -> MigrationDone:
        """Carry out `plan`; StepFailed (everything taken back) when a test or reload fails."""
        out = self._run(STEP, host, apply_script(plan, modules))
        release = next((line.split(":", 1)[1] for line in out.splitlines()
                        if line.startswith("release:")), "")  # fmt: skip
        return MigrationDone(release)

    def migrate_back(self, host: InventoryHost, plan: MigrationPlan, original: bytes) -> None:
        """Restore the hand-made vhost; StepFailed (the managed vhost stays) on failure."""
        self._run(STEP_BACK, host, back_script(plan, original))
