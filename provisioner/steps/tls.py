"""Steps `cert_prod` and `tls_prod`: a certificate over ACME HTTP-01 for the production name
(cert_prod: certbot on the web host right after the DNS records, beside the dev branch — it
changes nothing that is served), then its HTTPS vhost (tls_prod, right after `site_prod` and
before `checks_prod`: the tls role's templates over SSH; it finds the certificate there and
asks the CA only when cert_prod could not get one, e.g. a host whose catch-all does not
answer HTTP-01).

Only a job whose approved plan names a certificate has this step, and it gets the one the
plan names (host, name, ACME directory). A CA that cannot be reached or refuses does not
fail the site: the step is done with `status: unavailable` and a warning, HTTP keeps being
served, `checks_prod` records that there is no certificate yet, and the scheduler's renewal
(`workflow.monitoring.renewal`) asks again every 12 h. A refused HTTPS configuration (configtest)
is a failure like any other vhost change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from provisioner.adapters.acme_issue import CertbotIssuer, Certificate
from provisioner.adapters.ansible import AnsibleAdapter, PlaybookResult
from provisioner.adapters.https_vhost import HttpsVhost
from provisioner.adapters.tls import TlsConfig, TlsUnavailable, certificate_info, tls_extravars
from provisioner.domain.acceptance import renewal_due
from provisioner.domain.plan import tls_targets
from provisioner.steps.base import StepContext

Environment = Literal["dev", "prod"]


class TlsPlaybook:
    """tls.yml, the one way a certificate is asked for: by this step and by the scheduled
    renewal (workflow.monitoring.renewal)."""

    def __init__(self, ansible: AnsibleAdapter, config: TlsConfig) -> None:
        self.ansible = ansible
        self.config = config

    def run(
        self,
        *,
        host: str,
        fqdn: str,
        run_dir: Path,
        step: str,
        force: bool = False,
        directory_url: str | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> PlaybookResult:
        """A certificate for `fqdn` over ACME HTTP-01 on `host` and its HTTPS vhost
        (`force`: renew a valid one too; `directory_url`: the ACME directory a plan names)."""
        return self.ansible.run(
            "tls.yml",
            extravars=tls_extravars(self.config, fqdn, force=force, directory_url=directory_url),
            limit=host,
            run_dir=run_dir,
            step=step,
            cancel=cancel,
        )

    def remove(self, *, host: str, fqdn: str, run_dir: Path, step: str) -> None:
        """The HTTPS vhost and the certificate of `fqdn` on `host` removed."""
        self.ansible.run(
            "tls.yml",
            extravars={"site_fqdn": fqdn, "tls_state": "absent"},
            limit=host,
            run_dir=run_dir,
            step=step,
        )


def planned_certificate(ctx: StepContext, host: str) -> dict[str, str] | None:
    """The certificate the approved plan names for `host`, if any."""
    for target in tls_targets(ctx.site.plan):
        if target.get("host") == host:
            return target
    return None


class CertStep:
    """`cert_<environment>`: the certificate the approved plan names for this host, asked for
    before the site exists (the host answers HTTP-01 for every name). A CA that is away is
    a warning, not a failure: `tls_<environment>` asks again once the site is there."""

    def __init__(
        self, issuer: CertbotIssuer, *, environment: Environment, host: str, address: str
    ) -> None:
        self.issuer = issuer
        self.environment = environment
        self.name = f"cert_{environment}"
        self.host = host
        self.address = address

    def _outputs(self, target: dict[str, str], cert: Certificate) -> dict[str, Any]:
        out: dict[str, Any] = {
            "host": self.host, "fqdn": target["fqdn"], "acme": target["acme"],
            "status": cert.status, "not_after": cert.not_after or None,
            "days_left": cert.days_left, "seconds": cert.seconds,
        }  # fmt: skip
        if cert.status == "unavailable":
            out["warning"] = (
                f"CA tidak dapat dihubungi atau menolak; tls_{self.environment} mencoba lagi "
                f"setelah situs terpasang / the CA could not be reached or refused; "
                f"tls_{self.environment} tries again once the site is in place: {cert.reason}"
            )
        return out

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        target = planned_certificate(ctx, self.host)
        if target is None:
            ctx.log(f"{self.name}: the plan names no certificate for {self.host}; nothing to do")
            return {"host": self.host, "status": "not_planned"}
        ctx.log(f"{self.name}: certificate for {target['fqdn']} @ {self.host} "
                f"from {target['acme']}")
        cert = self.issuer.issue(self.address, target["fqdn"], directory_url=target["acme"],
                                 step=self.name, cancel=ctx.cancelled)
        out = self._outputs(target, cert)
        ctx.log(f"{self.name}: {cert.status} {cert.not_after} ({cert.seconds} s)")
        if "warning" in out:
            ctx.log(f"WARNING {self.name}: {out['warning']}")
        return out

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        """After a restart: done if the host holds a certificate not due for renewal."""
        target = planned_certificate(ctx, self.host)
        if target is None:
            return {"host": self.host, "status": "not_planned"}
        cert = self.issuer.probe(self.address, target["fqdn"], step=self.name)
        return self._outputs(target, cert) if cert.status == "valid" else None

    def undo(self, ctx: StepContext) -> None:
        """The certificate's files removed — unless an HTTPS vhost still uses them (then
        tls_<environment>'s undo, which runs first, removes both)."""
        target = planned_certificate(ctx, self.host)
        if target is not None:
            what = self.issuer.remove(self.address, target["fqdn"], step=f"undo-{self.name}")
            ctx.log(f"undo {self.name}: {what}")


class TlsStep:
    """`tls_<environment>`: the certificate the approved plan names for this host, and its
    HTTPS vhost — without Ansible on the way (it is on the job's critical path): the ACME
    issuer finds the certificate cert_<environment> got (or asks the CA again), then the tls
    role's own templates install the HTTPS vhost over SSH (adapters.https_vhost). Its undo
    is the role's (tls.yml, tls_state=absent)."""

    def __init__(
        self,
        playbook: TlsPlaybook,
        issuer: CertbotIssuer,
        https: HttpsVhost,
        *,
        environment: Environment,
        host: str,
        address: str,
    ) -> None:
        self.playbook = playbook
        self.issuer = issuer
        self.https = https
        self.environment = environment
        self.name = f"tls_{environment}"
        self.host = host
        self.address = address

    def _target(self, ctx: StepContext) -> dict[str, str] | None:
        return planned_certificate(ctx, self.host)

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        target = self._target(ctx)
        if target is None:
            ctx.log(f"{self.name}: the plan names no certificate for {self.host}; nothing to do")
            return {"host": self.host, "status": "not_planned", "https": False}
        fqdn = target["fqdn"]
        ctx.log(f"{self.name}: certificate for {fqdn} @ {self.host} from {target['acme']}")
        cert = self.issuer.issue(self.address, fqdn, directory_url=target["acme"],
                                 step=self.name, cancel=ctx.cancelled)  # fmt: skip
        state = self.https.ensure(self.address, fqdn, step=self.name, cancel=ctx.cancelled)
        status = cert.status
        issued = (ctx.outputs.get(f"cert_{self.environment}") or {}).get("status")
        if status == "valid" and issued == "issued":
            status = issued  # this job's cert_ step got it; it was found valid here
        seconds = round(cert.seconds + state.seconds, 2)
        vhost = "installed" if state.changed else "unchanged"
        ctx.log(f"{self.name}: {status} {state.not_after}; HTTPS vhost {vhost} ({seconds} s)")
        output: dict[str, Any] = {
            "host": self.host,
            "fqdn": fqdn,
            "acme": target["acme"],
            "status": status,
            "https": bool(state.not_after),
            "not_after": state.not_after or None,
            "days_left": state.days_left if state.not_after else None,
            "seconds": seconds,
        }
        if status == "unavailable":
            output["warning"] = (
                "CA tidak dapat dihubungi atau menolak; situs tetap dilayani lewat HTTP, "
                "perpanjangan terjadwal mencoba lagi / the CA could not be reached or refused; "
                f"the site keeps serving over HTTP and the scheduled renewal tries again: "
                f"{cert.reason}"
            )
            ctx.log(f"WARNING {self.name}: {output['warning']}")
        return output

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        """After a restart: done if the server already presents a certificate for the name
        that is not due for renewal; otherwise the (idempotent) playbook runs again."""
        target = self._target(ctx)
        if target is None:
            return {"host": self.host, "status": "not_planned", "https": False}
        try:
            info = certificate_info(self.address, target["fqdn"])
        except TlsUnavailable:
            return None
        due = renewal_due(info.days_left, self.playbook.config.renew_days)
        if target["fqdn"] not in info.subject_names or due:
            return None
        return {
            "host": self.host,
            "fqdn": target["fqdn"],
            "acme": target["acme"],
            "status": "valid",
            "https": True,
            "not_after": info.not_after.strftime("%b %d %H:%M:%S %Y GMT"),
            "days_left": info.days_left,
        }

    def undo(self, ctx: StepContext) -> None:
        """Remove the HTTPS vhost and the certificate; the HTTP vhost stays (site_prod's
        own undo removes that)."""
        target = self._target(ctx)
        if target is None:
            return
        self.playbook.remove(
            host=self.host, fqdn=target["fqdn"], run_dir=ctx.run_dir / "undo",
            step=f"undo-{self.name}",
        )  # fmt: skip
