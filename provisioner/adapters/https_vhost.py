"""A site's HTTPS vhost without Ansible: the tls role's own templates
(playbooks/roles/tls/templates: probe.sh, ssl.conf, listen.conf, https.sh) rendered here the
way Ansible's template lookup renders them, each script run in one SSH exec (on stdin) on
the web host, as the inventory says to log in there (user, sudo).

It does what the role's tasks do once the certificate is there: read the state (the HTTP
vhost's macro, the certificate's expiry, the HTTPS files' checksums), then — only when
something differs — install the HTTPS vhost under the host's web lock with configtest
before the reload, the previous files restored when Apache refuses. Asking the CA for the
certificate is the ACME issuer's (provisioner.adapters.acme_issue), which uses the same
host paths and lock; removal stays with the role (tls.yml, tls_state=absent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.adapters.role_templates import RoleTemplates, ansible_hash
from provisioner.adapters.ssh import Cancelled, SshClient
from provisioner.adapters.ssh_options import SshConfig
from provisioner.domain.errors import ServerUnreachable, StepFailed
from provisioner.domain.site_names import site_user

# https.sh.j2's exit codes (besides 0): the web lock not got, the reload failed.
_LOCK_BUSY, _RELOAD_FAILED = 75, 3


class TlsRole(RoleTemplates):
    """The tls role's templates and defaults, rendered as Ansible's template lookup does
    (provisioner.adapters.role_templates)."""

    def site_variables(self, fqdn: str, address: str) -> dict[str, Any]:
        """defaults/main.yml resolved for one site on one host. `site_user` is the same
        derivation as the vhost role's (provisioner.domain.site_names)."""
        return self.variables({"site_fqdn": fqdn, "ansible_host": address,
                               "site_user": site_user(fqdn)})  # fmt: skip


@dataclass(frozen=True)
class HttpsState:
    """What the role's probe read on the host."""

    macro: bool  # the site's HTTP vhost (its macro) is there
    not_after: str  # the certificate's expiry as openssl prints it; "" when there is none
    days_left: int
    changed: bool = False  # the HTTPS vhost was (re)installed now
    seconds: float = 0.0


class HttpsVhost:
    """The tls role's HTTPS vhost for one site, installed over SSH."""

    def __init__(self, ssh: SshConfig, role: TlsRole, *, timeout_s: float = 330.0) -> None:
        self.ssh = ssh
        self.role = role
        self.timeout_s = timeout_s  # https.sh waits up to 300 s for the web lock

    def _run(
        self,
        client: SshClient,
        address: str,
        script: str,
        *,
        step: str,
        cancel: Callable[[], bool] | None,
    ) -> tuple[int, str, str]:
        try:
            result = client.run("sh -s", stdin=script, cancel=cancel, timeout=self.timeout_s)
        except ServerUnreachable as exc:
            raise ServerUnreachable(step, address, exc.reason) from None
        except Cancelled:
            raise StepFailed(step, address, "dibatalkan / cancelled") from None
        return result.rc, result.stdout, result.stderr

    def _probe(
        self,
        client: SshClient,
        address: str,
        variables: Mapping[str, Any],
        *,
        step: str,
        cancel: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        rc, out, err = self._run(
            client, address, self.role.render("probe.sh.j2", variables), step=step, cancel=cancel
        )
        try:
            if rc != 0:
                raise ValueError
            return dict(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            raise StepFailed(step, address, f"probe TLS: {(err or out).strip()[-300:]}") from None

    def ensure(
        self,
        address: str,
        fqdn: str,
        *,
        step: str,
        cancel: Callable[[], bool] | None = None,
    ) -> HttpsState:
        """The HTTPS vhost of `fqdn` as the role would leave it, if the host holds the
        site's certificate (else nothing is changed and `not_after` is ""). StepFailed
        when the site has no HTTP vhost, or Apache refuses the configuration (then the
        previous one is back) or its reload."""
        started = time.monotonic()
        variables = self.role.site_variables(fqdn, address)
        with SshClient.to(self.ssh, address) as client:
            probe = self._probe(client, address, variables, step=step, cancel=cancel)
            if not probe.get("macro"):
                raise StepFailed(step, address, (
                    f"Situs {fqdn} belum punya vhost HTTP dari peran vhost / "
                    f"{fqdn} has no HTTP vhost from the vhost role"
                ))  # fmt: skip
            changed = False
            if probe.get("not_after"):
                changed = self._install(client, address, variables, probe, step=step,
                                        cancel=cancel)  # fmt: skip
        return HttpsState(
            macro=True,
            not_after=str(probe.get("not_after") or ""),
            days_left=int(probe.get("days_left", -1)),
            changed=changed,
            seconds=round(time.monotonic() - started, 2),
        )

    def _install(
        self,
        client: SshClient,
        address: str,
        variables: Mapping[str, Any],
        probe: Mapping[str, Any],
        *,
        step: str,
        cancel: Callable[[], bool] | None,
    ) -> bool:
        """https.sh when anything differs from what the role renders (the role's `when`)."""
        ssl = self.role.render("ssl.conf.j2", variables).strip()
        listen = self.role.render("listen.conf.j2", variables).strip()
        wanted_link = f"../sites-available/{variables['site_fqdn']}.ssl.conf"
        if not (
            str(probe.get("modules", "")).strip()
            or probe.get("ssl_sha1") != ansible_hash(ssl + "\n")
            or probe.get("listen_sha1") != ansible_hash(listen + "\n")
            or probe.get("ssl_link") != wanted_link
        ):
            return False
        script = self.role.render("https.sh.j2", {
            **variables, "tls_probe": probe, "tls_rendered_ssl": ssl,
            "tls_rendered_listen": listen,
        })  # fmt: skip
        rc, out, err = self._run(client, address, script, step=step, cancel=cancel)
        if rc == 0:
            return True
        said = (err or out).strip()[-600:]
        if rc == _RELOAD_FAILED:
            reason = f"Reload Apache gagal / Apache reload failed: {said}"
        elif rc == _LOCK_BUSY:
            reason = f"kunci web tidak didapat / web lock not acquired: {said}"
        else:
            reason = (
                "Konfigurasi HTTPS ditolak, konfigurasi sebelumnya dipulihkan / "
                f"HTTPS configuration refused, previous configuration restored: {said}"
            )
        raise StepFailed(step, address, reason)
