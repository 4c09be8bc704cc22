"""A site's vhost and a release of its app on one web host without an Ansible run: what
site.yml does (the vhost role, then the deploy role), with the roles' own scripts
(playbooks/roles/{vhost,deploy}/templates) rendered here as Ansible's template lookup renders
them and run over one SSH connection, as the inventory says to log in there (user, sudo).

The tasks' order and conditions are kept: one read of the host (both roles' probes), the
vhost's apply script only when something differs (configtest before the reload, the previous
files back when Apache or PHP-FPM refuses), shared/.env only when its bytes or owner differ,
then the release — an earlier release of the commit reused, else a clone checked to be the
commit, shared/ linked, the app's hooks run as the site user (a failing hook deletes the
unfinished release and leaves `current` where it was), published by rename and switched by
rename — then the cron file and the old releases. A second run changes nothing, and the
role run by Ansible afterwards finds nothing to change (tests/integration/test_site_step).

The deploy role's health check is not here: site.yml runs it only when given health_url,
which the job never gives (its checks step asks the site). Removal stays with the roles
(site_remove.yml).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paramiko

from provisioner.adapters.inventory import host_variables, read_inventory
from provisioner.adapters.role_templates import RoleTemplates, ansible_hash, ansible_quote
from provisioner.adapters.site_preflight import preflight
from provisioner.adapters.ssh import Cancelled, SshClient
from provisioner.adapters.ssh_options import SshConfig
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import ServerUnreachable, StepFailed
from provisioner.domain.site_names import site_user

# apply.sh.j2's exit codes besides 0 and 1: the reload failed (the configuration stays), the
# web lock was not got.
_RELOAD_FAILED, _LOCK_BUSY = 3, 75
# clone.sh.j2's: git could not clone or check out the commit; the clone is another.
_CLONE_FAILED, _WRONG_COMMIT = 90, 91


@dataclass(frozen=True)
class SiteRelease:
    """What one run did: the release `current` points at, where it pointed before."""

    release: str
    previous: str  # basename of current's target before ("" for a new site)
    reused: bool
    changed: bool
    log: tuple[str, ...]
    seconds: float


class _Host:
    """Scripts on one web host over one connection, each on stdin of `sh -s`."""

    def __init__(
        self, client: SshClient, host: InventoryHost, *, step: str,
        cancel: Callable[[], bool] | None, timeout_s: float,
    ) -> None:  # fmt: skip
        self.client, self.host, self.step = client, host, step
        self.cancel, self.timeout_s = cancel, timeout_s

    def run(self, script: str) -> tuple[int, str, str]:
        try:
            result = self.client.run("sh -s", stdin=script, cancel=self.cancel,
                                     timeout=self.timeout_s)  # fmt: skip
        except Cancelled:
            raise StepFailed(self.step, self.host.name, "dibatalkan / cancelled") from None
        except ServerUnreachable as exc:
            raise ServerUnreachable(self.step, self.host.name, f"{self.host.login} berhenti "
                                    f"menjawab / stopped answering: {exc.reason}") from None
        return result.rc, result.stdout, result.stderr

    def fail(self, reason: str) -> StepFailed:
        return StepFailed(self.step, self.host.name, reason)


def _said(out: str, err: str, limit: int) -> str:
    text = (err or out).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SiteOverSsh:
    """site.yml for one site on one web host, over SSH."""

    def __init__(
        self, ssh: SshConfig, *, roles_dir: Path, inventory: Path, timeout_s: float = 330.0
    ) -> None:
        self.ssh = ssh
        self.vhost = RoleTemplates(roles_dir / "vhost")
        self.deploy = RoleTemplates(roles_dir / "deploy")
        self.inventory = inventory
        self.timeout_s = timeout_s  # the scripts wait up to 300 s for the web lock

    # --- the variables, as Ansible would hold them -------------------------------------

    def variables(
        self, params: Mapping[str, Any], inventory: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the vhost role's, the deploy role's) variables as Ansible would hold them: each
        role's defaults, under the host's inventory variables (an agency may set e.g.
        vhost_php_version or deploy_git_key_file there), under the extra vars site.yml is
        given. `site_user` is the role default's derivation (domain.site_names)."""
        fqdn = str(params["site_fqdn"])
        layered = {"site_user": site_user(fqdn), **(inventory or {})}
        return self.vhost.variables(params, layered), self.deploy.variables(params, layered)

    # --- the run -----------------------------------------------------------------------

    def apply(
        self, host_name: str, params: Mapping[str, Any], *, step: str,
        cancel: Callable[[], bool] | None = None,
    ) -> SiteRelease:  # fmt: skip
        """The vhost and the release of `params["commit"]` on `host_name` as site.yml would
        leave them. StepFailed (the host as it was, but for a tested configuration whose
        reload failed) when the input or the host is refused; ServerUnreachable when the
        host cannot be reached."""
        started = time.monotonic()
        vh, dp = self.variables(params, host_variables(self.inventory, host_name))
        preflight(vh, dp, step=step, host=host_name)
        log: list[str] = []
        with self._connect(host_name, step, cancel) as host:
            vprobe, dprobe = self._probe(host, vh, dp)
            changed = self._vhost(host, vh, vprobe, log)
            changed |= self._env_file(host, vh, vprobe, log)
            release, reused, did = self._release(host, dp, dprobe, log)
            changed |= did
            changed |= self._finish(host, dp, dprobe, release, log)
        previous = str(dprobe.get("current") or "")
        return SiteRelease(
            release=release, previous=previous.rsplit("/", 1)[-1], reused=reused,
            changed=changed, log=tuple(log), seconds=round(time.monotonic() - started, 2),
        )  # fmt: skip

    def _probe(
        self, host: _Host, vh: Mapping[str, Any], dp: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Both roles' read-only probes in one round trip: two JSON lines."""
        script = self.vhost.render("probe.sh.j2", vh) + "\n" + self.deploy.render("probe.sh.j2", dp)
        rc, out, err = host.run(script)
        lines = out.strip().splitlines()
        try:
            if rc != 0 or len(lines) < 2:
                raise ValueError
            vprobe, dprobe = json.loads(lines[-2]), json.loads(lines[-1])
        except ValueError:
            raise host.fail(f"probe situs / site probe: {_said(out, err, 300)}") from None
        if not vprobe.get("apache"):
            raise host.fail("Apache tidak terpasang di host ini / Apache is not installed on "
                            "this host")  # fmt: skip
        version = str(vh["vhost_php_version"])
        offered = str(vprobe.get("php_versions", "")).split()
        if vh["php"] and version not in offered:
            raise host.fail(
                f"PHP {version} tidak tersedia di host ini / PHP {version} is not offered by "
                f"this host (it has: {' '.join(offered) or 'none'})"
            )
        return vprobe, dprobe

    # --- the vhost role (configure.yml) ------------------------------------------------

    def _vhost(self, host: _Host, vh: dict[str, Any], probe: Mapping[str, Any],
               log: list[str]) -> bool:  # fmt: skip
        conf = self.vhost.render("vhost.conf.j2", vh).strip()
        pool = self.vhost.render("fpm-pool.conf.j2", vh).strip() if vh["php"] else ""
        reload = self.vhost.render("web-reload.sh.j2", vh).strip()
        user, group, fqdn = vh["site_user"], vh["site_group"], vh["site_fqdn"]
        want_dirs = (
            f"750:{user}:{vh['vhost_web_group']} 755:root:root "
            f"{vh['vhost_shared_mode']}:root:{group} 750:{user}:{group} 750:{user}:{group}"
        )
        differs = (
            probe.get("user") != f"{user}:{group}"
            or str(probe.get("dirs", "")).strip() != want_dirs
            or str(probe.get("missing_modules", "")).strip() != ""
            or probe.get("conf_sha1") != ansible_hash(conf + "\n")
            or probe.get("link") != f"../sites-available/{fqdn}.conf"
            or probe.get("reload_sha1") != ansible_hash(reload + "\n")
            or probe.get("fpm_global_sha1") != ansible_hash(vh["vhost_fpm_global_text"] + "\n")
            or (vh["php"] and probe.get("pool_sha1") != ansible_hash(pool + "\n"))
            or (not vh["php"] and bool(probe.get("pool")))
        )
        if not differs:
            log.append(f"vhost {fqdn}: tidak berubah / unchanged")
            return False
        script = self.vhost.render("apply.sh.j2", {
            **vh, "vhost_probe": probe, "vhost_rendered_conf": conf,
            "vhost_rendered_pool": pool, "vhost_rendered_reload": reload,
        })  # fmt: skip
        rc, out, err = host.run(script)
        if rc == _RELOAD_FAILED:
            raise host.fail(
                "Reload Apache/PHP-FPM gagal; konfigurasi baru lolos uji dan tetap terpasang / "
                f"Apache/PHP-FPM reload failed; the new configuration passed its test and "
                f"stays: {_said(out, err, 600)}"
            )
        if rc == _LOCK_BUSY:
            raise host.fail(f"kunci web tidak didapat / web lock not acquired: "
                            f"{_said(out, err, 600)}")  # fmt: skip
        if rc != 0:
            raise host.fail(
                "Konfigurasi Apache ditolak, konfigurasi sebelumnya dipulihkan / "
                f"Apache configuration refused, previous configuration restored: "
                f"{_said(out, err, 600)}"
            )
        done = next((ln for ln in out.splitlines() if ln.startswith("changed:")), "changed:")
        reloaded = done.removeprefix("changed:").strip() or "-"
        log.append(f"vhost {fqdn}: dipasang / installed (reload: {reloaded})")
        return True

    def _env_file(self, host: _Host, vh: Mapping[str, Any], probe: Mapping[str, Any],
                  log: list[str]) -> bool:  # fmt: skip
        """shared/.env as the role writes it (env.sh.j2: 0640, the site user's), its text in
        the script on stdin: the password is never in a command line."""
        text = self.vhost.render("env.ini.j2", vh)
        owner = f"{vh['site_user']}:{vh['site_group']}"
        if ansible_hash(text) == probe.get("env_sha1") and probe.get("env_stat") == f"640:{owner}":
            return False
        script = self.vhost.render("env.sh.j2", {**vh, "vhost_env_text": text})
        rc, out, err = host.run(script)
        if rc != 0:
            raise host.fail(f"shared/.env tidak dapat ditulis / could not be written: "
                            f"{_said(out, err, 300)}")  # fmt: skip
        log.append("shared/.env ditulis / written")
        return True

    # --- the deploy role (release.yml, switch.yml) -------------------------------------

    def _release(self, host: _Host, dp: dict[str, Any], probe: Mapping[str, Any],
                 log: list[str]) -> tuple[str, bool, bool]:  # fmt: skip
        """(release name, reused, changed): an earlier release of the commit, or a new one
        cloned, linked, its hooks run and published."""
        commit, root = str(dp["commit"]), str(dp["deploy_root"])
        ours = re.compile(rf"^[0-9]{{14}}-{commit[:12]}$")
        same = [r for r in probe.get("releases", ()) if ours.match(r)]
        if same:
            name = same[-1]
            log.append(f"rilis / release {root}/releases/{name} (dipakai ulang / reused)")
            return name, True, self._relink(host, dp, probe, name)
        name = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + commit[:12]
        release, tmp = f"{root}/releases/{name}", f"{root}/releases/.tmp-{commit[:12]}"
        manifest = self._clone(host, dp, tmp)
        raw_hooks = manifest.get("hooks")
        hooks: dict[str, Any] = raw_hooks if isinstance(raw_hooks, dict) else {}
        for hook in [h for h in dp["deploy_hook_names"] if h in hooks]:
            self._hook(host, dp, hook, str(hooks[hook]), tmp, release, probe)
            log.append(f"hook {hook}: ok")
        rc, out, err = host.run(f"mv -T {ansible_quote(tmp)} {ansible_quote(release)}\n")
        if rc != 0:
            raise host.fail(f"rilis tidak dapat diterbitkan / release not published: "
                            f"{_said(out, err, 300)}")  # fmt: skip
        log.append(f"rilis / release {release}")
        return name, False, True

    def _clone(self, host: _Host, dp: Mapping[str, Any], tmp: str) -> dict[str, Any]:
        """The commit cloned into `tmp` (what a crashed run left there removed first),
        checked to be the commit, shared/ linked into it and handed to the site user;
        returns the app's provisioner.json ({} without one)."""
        commit = str(dp["commit"])
        script = self.deploy.render("clone.sh.j2", {**dp, "deploy_link_release": tmp,
                                                    "deploy_link_fresh": True})  # fmt: skip
        rc, out, err = host.run(script)
        if rc == _CLONE_FAILED:
            raise host.fail(f"git clone {dp['repo_url']} @ {commit[:12]} gagal / failed: "
                            f"{_said('', err, 400)}")  # fmt: skip
        if rc == _WRONG_COMMIT:
            raise host.fail(f"Clone berada di {err.strip()}, bukan {commit} / clone is at "
                            f"{err.strip()}, not {commit}")  # fmt: skip
        if rc != 0:
            raise host.fail(f"tautan shared/ / shared/ links: {_said('', err, 400)}")
        try:
            manifest = json.loads(out.strip() or "{}")
        except ValueError:
            manifest = {}  # the manifest was read and checked when the job resolved the commit
        return manifest if isinstance(manifest, dict) else {}

    def _hook(
        self, host: _Host, dp: Mapping[str, Any], hook: str, command: str, tmp: str,
        release: str, probe: Mapping[str, Any],
    ) -> None:  # fmt: skip
        """One of the app's hooks inside the unfinished release, as the site user (the
        role's command line); a failure deletes the release and fails the run."""
        q = ansible_quote
        script = (
            f"cd {q(tmp)} && timeout {int(dp['deploy_hook_timeout'])} "
            f"runuser -u {q(dp['site_user'])} -- env -i PATH=/usr/local/bin:/usr/bin:/bin "
            f"HOME={q(dp['deploy_root'])} APP_ENV=production RELEASE_PATH={q(release)} "
            f"sh -c {q(command)} 2>&1\n"
        )
        rc, out, _ = host.run(script)
        if rc == 0:
            return
        host.run(f"rm -rf {q(tmp)}\n")
        previous = str(probe.get("current") or "")
        said = _said(out, "", 400)
        raise host.fail(
            f"Hook {hook} gagal (rc={rc}), current tetap {previous or '(kosong)'} / "
            f"hook {hook} failed (rc={rc}), current left at {previous or '(none)'}: {said}"
        )

    def _relink(self, host: _Host, dp: dict[str, Any], probe: Mapping[str, Any],
                name: str) -> bool:  # fmt: skip
        """A reused release may lack links to shared/ (made before the app kept shared
        directories, or before .env was linked)."""
        root = str(dp["deploy_root"])
        links = probe.get("env_links") or {}
        if links.get(name, "") == f"{root}/shared/.env" and not dp["shared_dirs"]:
            return False
        script = self.deploy.render("link.sh.j2", {
            **dp, "deploy_link_release": f"{root}/releases/{name}", "deploy_link_fresh": False,
        })  # fmt: skip
        rc, out, err = host.run(script)
        if rc != 0:
            raise host.fail(f"tautan shared/ / shared/ links: {_said(out, err, 400)}")
        return "changed" in out

    def _finish(self, host: _Host, dp: dict[str, Any], probe: Mapping[str, Any], name: str,
                log: list[str]) -> bool:  # fmt: skip
        """Switch `current` (a new link renamed over it), reload PHP-FPM so it forgets the
        old release's paths, the app's cron file, old releases deleted: one round trip."""
        q = ansible_quote
        root, target = str(dp["deploy_root"]), f"releases/{name}"
        parts: list[str] = []
        if probe.get("current") != target:
            parts.append(f"cd {q(root)} && ln -sfn {q(target)} .current.tmp "
                         f"&& mv -Tf .current.tmp current || exit 1")  # fmt: skip
            if dp["php"]:
                parts.append(self.deploy.render("reload_fpm.sh.j2", dp).strip() + " || exit 3")
            log.append(f"current -> {target}")
        cron_text = self.deploy.render("cron.j2", dp).strip()
        entries = dp["cron_entries"]
        cron_sha1 = str(probe.get("cron_sha1") or "")
        if (entries and cron_sha1 != ansible_hash(cron_text + "\n")) or (not entries and cron_sha1):
            parts.append("{ " + self.deploy.render("cron.sh.j2", {
                **dp, "deploy_cron_text": cron_text}) + "\n} || exit 4")  # fmt: skip
            log.append("cron: dipasang / installed" if entries else "cron: dihapus / removed")
        keep = int(dp["keep_releases"])
        releases = sorted(set([*probe.get("releases", ()), name]))
        obsolete = [r for r in releases[:-keep] if r != name]
        if obsolete:
            parts.append(f"cd {q(root + '/releases')} && rm -rf "
                         f"{' '.join(q(r) for r in obsolete)} || exit 5")  # fmt: skip
            log.append(f"rilis lama dihapus / old releases deleted: {', '.join(obsolete)}")
        if not parts:
            return False
        rc, out, err = host.run("\n".join(parts) + "\n")
        if rc != 0:
            what = {3: "reload PHP-FPM", 4: "cron", 5: "cleanup"}.get(rc, "current")
            raise host.fail(f"{what} gagal / failed: {_said(out, err, 400)}")
        return True

    # --- the connection ----------------------------------------------------------------

    @contextmanager
    def _connect(
        self, host_name: str, step: str, cancel: Callable[[], bool] | None
    ) -> Iterator[_Host]:
        host = next((h for h in read_inventory(self.inventory) if h.name == host_name), None)
        if host is None:
            raise StepFailed(step, host_name, f"host {host_name} tidak ada di inventaris / is "
                             f"not in the inventory {self.inventory}")  # fmt: skip
        try:
            client = SshClient(host.address, key=self.ssh.key, known_hosts=self.ssh.known_hosts,
                               user=host.user, become=host.become)  # fmt: skip
        except ServerUnreachable as exc:
            reason = f"SSH ke / to {host.login} tidak terjangkau / unreachable: {exc.reason}"
            raise ServerUnreachable(step, host.name, reason) from None
        try:
            yield _Host(client, host, step=step, cancel=cancel, timeout_s=self.timeout_s)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            reason = f"{host.login} berhenti menjawab / stopped answering: {type(exc).__name__}"
            raise ServerUnreachable(step, host.name, f"{reason}: {exc}") from None
        finally:
            client.close()
