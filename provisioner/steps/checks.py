"""Steps `checks_dev` and `checks_prod`: the host's own facts, gathered by one remote script
in one SSH exec (including the database as the site user sees it), and HTTP by the site's
name, plus HTTPS where the site has a certificate. The evidence is kept whether the checks
pass or fail."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from provisioner.adapters.checks import CheckResult, host_checks, http_checks, tls_check
from provisioner.adapters.ssh_options import SshConfig
from provisioner.adapters.tls import (
    CertificateInfo,
    TlsConfig,
    TlsUnavailable,
    certificate_info,
    verification_roots,
)
from provisioner.domain.acceptance import certificate_long_enough
from provisioner.domain.app_layout import AppLayout
from provisioner.domain.errors import StepFailed
from provisioner.domain.plan import tls_targets
from provisioner.steps.base import StepContext


class ChecksFailed(StepFailed):
    def __init__(self, step: str, server: str, results: list[CheckResult]) -> None:
        failed = [r for r in results if not r.passed]
        super().__init__(step, server, "; ".join(f"{r.name}: {r.detail}" for r in failed))
        self.results = results


class ChecksStep:
    """Host, HTTP and (where planned) HTTPS checks of one environment's web host."""

    def __init__(
        self,
        ssh: SshConfig,
        tls: TlsConfig,
        *,
        environment: Literal["dev", "prod"],
        host: str,
        address: str,
    ) -> None:
        self.ssh = ssh
        self.tls = tls
        self.environment = environment
        self.name = f"checks_{environment}"
        self.host = host
        self.address = address

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        site = (
            ctx.outputs.get(f"site_{self.environment}")
            or ctx.outputs.get(f"rollback_{self.environment}")  # a rollback job
            or {}
        )
        fqdn = site.get("fqdn") or (
            ctx.site.dev_fqdn if self.environment == "dev" else ctx.site.fqdn
        )
        layout = AppLayout.from_dict(site.get("manifest") or {})
        results = host_checks(
            self.ssh,
            self.address,
            fqdn,
            site.get("commit", ""),
            php=layout.php,
            database=ctx.site.wants_database,
            host_name=self.host,
        )
        results += http_checks(
            self.address,
            fqdn,
            marker=layout.marker,
            health_url=layout.health_url,
            health_status=layout.health_status,
        )
        tls_result, tls_record = self._tls(ctx, fqdn)
        if tls_result is not None:
            results.append(tls_result)
        for r in results:
            ctx.log(f"{'PASS' if r.passed else 'FAIL'} {r.name}: {r.detail}")
        if not all(r.passed for r in results):
            raise ChecksFailed(self.name, self.host, results)
        out: dict[str, Any] = {
            "host": self.host,
            "fqdn": fqdn,
            "checks": [asdict(r) for r in results],
        }
        if tls_record is not None:
            out["tls"] = tls_record
        return out

    def _tls(self, ctx: StepContext, fqdn: str) -> tuple[CheckResult | None, dict[str, Any] | None]:
        """The HTTPS check and what is recorded of the certificate (expiry), or (None, None)
        for a site whose plan names no certificate on this host.

        Required when this job's TLS step enabled HTTPS, or (a promote / rollback job, which
        has no TLS step) when the server presents a certificate for the name. When the CA
        was away there is no certificate yet: recorded as a warning, not a failure — the
        site serves over HTTP and the scheduled renewal asks again."""
        step = ctx.outputs.get(f"tls_{self.environment}")
        planned = any(
            t.get("host") == self.host and t.get("fqdn") == fqdn for t in tls_targets(ctx.site.plan)
        )
        if not planned:
            return None, None
        if step is not None and not step.get("https"):
            why = step.get("warning") or step.get("status")
            return (
                CheckResult(
                    "tls",
                    True,
                    _short(f"belum ada sertifikat / no certificate yet, HTTP only: {why}"),
                ),
                {"https": False, "status": step.get("status"), "warning": why},
            )
        if step is None:
            try:
                presented = fqdn in certificate_info(self.address, fqdn).subject_names
            except TlsUnavailable:
                presented = False
            if not presented:
                why = "no certificate for this name on the server yet; the renewal asks again"
                return (
                    CheckResult("tls", True, f"belum ada sertifikat / {why} (HTTP only)"),
                    {"https": False, "warning": why},
                )
        return self._verify_certificate(ctx, fqdn)

    def _verify_certificate(
        self, ctx: StepContext, fqdn: str
    ) -> tuple[CheckResult, dict[str, Any]]:
        try:
            ca_file = verification_roots(self.tls, ctx.run_dir / "acme-roots.pem")
        except TlsUnavailable as exc:
            # The lab's test CA is away and its roots with it: the name and expiry are still
            # checked, the chain cannot be; said so rather than failing a serving site.
            try:
                info = certificate_info(self.address, fqdn)
            except TlsUnavailable as gone:
                return CheckResult("tls", False, _short(str(gone))), {"https": False}
            ok = fqdn in info.subject_names and certificate_long_enough(info.days_left)
            detail = (
                f"chain not verified (CA roots unavailable: {exc}); valid for "
                f"{', '.join(info.subject_names)}, {info.days_left} days left"
            )
            return CheckResult("tls", ok, _short(detail)), _record(info)
        passed, detail = tls_check(self.address, fqdn, ca_file=ca_file)
        try:
            record = _record(certificate_info(self.address, fqdn))
        except TlsUnavailable:
            record = {"https": False}
        record["verified_with"] = self.tls.acme_roots_url or "system trust store"
        return CheckResult("tls", passed, _short(detail)), record

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        return None  # checks are cheap and read-only: run them again

    def undo(self, ctx: StepContext) -> None:
        return None


def _record(info: CertificateInfo) -> dict[str, Any]:
    return {
        "https": True,
        "not_after": info.not_after.isoformat(),
        "days_left": info.days_left,
        "names": list(info.subject_names),
    }


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
