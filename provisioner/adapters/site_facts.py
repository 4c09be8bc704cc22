"""What host_checks (adapters/checks.py) reads: the JSON object the remote script
(site_facts_script.py, run on the web host) printed, turned into each check's verdict and
detail — the same names and words the testinfra checks had, so the pages read the same."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from provisioner.adapters import site_facts_script

# The remote script: every fact of host_checks gathered on the host in one pass.
SCRIPT = Path(site_facts_script.__file__).read_text(encoding="utf-8")
# The vhost role holds this lock (exclusively) for every config change and reload, including
# PHP-FPM's worker hand-over; reading processes under it (shared) never sees another site's
# reload half-done, which made the pool check fail spuriously while other sites deployed.
WEB_LOCK = "/run/lock/provisioner-web.lock"
SITES_ENABLED = "/etc/apache2/sites-enabled"
# flock may wait up to 120 s for a reload elsewhere on the host; the probe's own bound.
TIMEOUT_S = 180.0


class FactMissing(Exception):
    """The remote script did not run, or could not gather this fact: the check fails."""


class Facts:
    """The remote script's JSON object; `of(name)` is one fact, or FactMissing."""

    def __init__(self, data: dict[str, Any] | None, problem: str = "") -> None:
        self._data = data or {}
        self._problem = problem

    def of(self, name: str) -> dict[str, Any]:
        if self._problem:
            raise FactMissing(self._problem)
        fact = self._data.get(name)
        if not isinstance(fact, dict):
            raise FactMissing(f"{name}: not gathered")
        if "error" in fact:
            raise FactMissing(f"{name}: {fact['error']}")
        return fact


def read_facts(rc: int, stdout: str, stderr: str) -> Facts:
    """The script's last line as Facts; when it did not run (no python3, sudo refused, a
    crash), every check fails with what the host said."""
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        data = None
    if rc != 0 or not isinstance(data, dict):
        said = " ".join((stderr.strip() or stdout.strip() or f"rc {rc}").splitlines()[-3:])
        return Facts(None, f"probe di host tidak berjalan / the host probe did not run: {said}")
    return Facts(data)


def site_enabled(facts: Facts, fqdn: str) -> tuple[bool, str]:
    link = facts.of("site_link")
    if not link["is_symlink"]:
        return False, f"sites-enabled/{fqdn}.conf tidak ada / missing"
    target = link["target"]
    expected = f"/etc/apache2/sites-available/{fqdn}.conf"
    return str(target) == expected, f"-> {target}"


def configtest(facts: Facts, fqdn: str) -> tuple[bool, str]:
    """Passed or not, with what Apache said. When it passed, warnings about other sites of
    the host are counted, not quoted: this text goes into the agency's letter, and another
    agency's site names do not belong there."""
    out = facts.of("configtest")
    said = str(out["stderr"] or out["stdout"]).strip()
    if out["rc"] != 0:
        return False, said
    lines = [line for line in said.splitlines() if line.strip()]
    kept = [line for line in lines if fqdn in line or line.strip() == "Syntax OK"]
    others = len(lines) - len(kept)
    if others:
        kept.append(f"({others} peringatan tentang situs lain / warnings about other sites)")
    return True, " ".join(kept)


def current_release(facts: Facts, root: str, commit: str) -> tuple[bool, str]:
    current = facts.of("current")
    if not current["is_symlink"]:
        return False, f"{root}/current bukan symlink / is not a symlink"
    target = str(current["target"])
    name = PurePosixPath(target).name
    head = current["head"]
    head_sha = (
        str(head["stdout"]).strip() if head["rc"] == 0 else f"(git: {str(head['stderr']).strip()})"
    )
    passed = name.endswith("-" + commit[:12]) and head_sha == commit
    return passed, f"current -> {target}, HEAD {head_sha}"


def env_permissions(facts: Facts, root: str, user: str) -> tuple[bool, str]:
    env = facts.of("env")
    if not env["exists"]:
        return False, f"{root}/shared/.env tidak ada / missing"
    mode = env["mode"]
    passed = mode == 0o640 and env["user"] == user and env["group"] == user
    return passed, f"mode {mode:04o} {env['user']}:{env['group']} (want 0640 {user}:{user})"


def tree_private(facts: Facts, root: str, user: str) -> tuple[bool, str]:
    # Other sites' users must not even enter the tree; Apache gets in through its group.
    tree = facts.of("tree")
    if not tree["is_dir"]:
        return False, f"{root} tidak ada / missing"
    passed = tree["mode"] == 0o750 and tree["user"] == user and tree["group"] == "www-data"
    return passed, f"{root} mode {tree['mode']:04o} {tree['user']}:{tree['group']}"


def _processes(facts: Facts) -> dict[str, Any]:
    listed = facts.of("processes")
    if listed["rc"] != 0:
        raise FactMissing(f"ps under {WEB_LOCK}: rc {listed['rc']} {listed['stderr']}".strip())
    return listed


def fpm_pool(facts: Facts, fqdn: str, user: str) -> tuple[bool, str]:
    listed = _processes(facts)
    owners = sorted(
        {
            line.split(None, 1)[0]
            for line in str(listed["user_args"]).splitlines()
            if line.split(None, 1)[1:] == [f"php-fpm: pool {fqdn}"]
        }
    )
    return owners == [user], f"pool {fqdn} workers run as {', '.join(owners) or '(none)'}"


def database_reachable(facts: Facts, root: str, user: str, where: str) -> tuple[bool, str]:
    out = facts.of("database")
    try:
        seen = json.loads(str(out["stdout"]).strip().splitlines()[-1])
    except (ValueError, IndexError):
        reason = str(out["stderr"] or out["stdout"]).strip() or f"rc {out['rc']}"
        return False, f"dari / from {where}: probe as {user} did not run: {reason}"
    target = f"{seen.get('user', '?')}@{seen.get('host', '?')}/{seen.get('db', '?')}"
    if not seen.get("ok"):
        return False, (
            f"basis data tidak terjangkau dari / database not reachable from {where} "
            f"as {target} (site user {user}): {seen.get('reason')}"
        )
    return True, f"{where} -> {target} as {seen.get('as')}, MariaDB {seen.get('version')}"


def running(facts: Facts, prefix: str) -> tuple[bool, str]:
    # comm, not the command line: "apache2" / "php-fpm8.2" (the pool workers say "php-fpm8.2").
    names_seen = str(_processes(facts)["comm"]).split()
    names = sorted({n for n in names_seen if n.startswith(prefix)})
    count = sum(1 for n in names_seen if n.startswith(prefix))
    return count > 0, f"{count} process(es) {', '.join(names) or prefix}"
