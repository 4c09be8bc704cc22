"""Renewal of the sites' TLS certificates before they expire (run by the scheduler).

Which sites have HTTPS is read from the web servers themselves (the tls role's
sites-enabled/<fqdn>.ssl.conf), each certificate's expiry over a TLS handshake, and only the
ones due for renewal get a tls.yml run (forced) — the TLS step's own playbook call
(provisioner.steps.tls.TlsPlaybook). A CA that is away is not an error here either: tls.yml
reports tls_status=unavailable and the next run tries again.

Sites that never got a certificate are found in the store instead: a live site whose
provisioning job's TLS step ended `unavailable` (the CA was away) and that still has no HTTPS
vhost gets a tls.yml run too — this is how "the renewal retries later" is kept.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from provisioner.domain.acceptance import renewal_due
from provisioner.domain.errors import ProvisionerError
from provisioner.domain.states import RequestState
from provisioner.steps.tls import TlsPlaybook
from provisioner.store.db import Store
from provisioner.store.repositories import jobs as jobs_repo

log = logging.getLogger(__name__)
LIVE_STATES = (RequestState.LIVE, RequestState.LETTER_ISSUED)


class Certificate(Protocol):
    @property
    def days_left(self) -> int: ...


class CertificateProbe(Protocol):
    """What the renewal asks of a web host (provisioner.adapters.web_probe.WebProbe)."""

    def https_sites(self, address: str) -> list[str]: ...

    def certificate(self, address: str, fqdn: str) -> Certificate | None: ...


def pending_tls_sites(store: Store) -> list[tuple[str, str]]:
    """(host, fqdn) of live sites whose latest TLS step found the CA away; whether they have
    HTTPS by now is the caller's check. They are asked of the ACME directory configured now
    (the one an operator fixes), not necessarily the one in the plan."""
    with store.read() as s:
        outputs = jobs_repo.tls_step_outputs(s, [str(state) for state in LIVE_STATES])
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[str, str]] = []
    for out in outputs:
        key = (str(out.get("host", "")), str(out.get("fqdn", "")))
        if not all(key) or key in seen:
            continue
        seen.add(key)
        if out.get("status") == "unavailable" and not out.get("https"):
            pending.append(key)
    return pending


class TlsRenewal:
    """Renews what is due on every web host and asks again for what a job could not get."""

    def __init__(
        self,
        store: Store,
        playbook: TlsPlaybook,
        web: CertificateProbe,
        *,
        hosts: Mapping[str, str],
        renew_days: int,
        runs_dir: Path,
    ) -> None:
        self.store = store
        self.playbook = playbook
        self.web = web
        self.hosts = dict(hosts)  # inventory name -> address
        self.renew_days = renew_days
        self.runs_dir = runs_dir

    def renew(self, *, days: int | None = None) -> list[dict[str, Any]]:
        """Renew every site certificate on the web servers that expires within `days`
        (default: the renewal window), and ask again for the certificates a provisioning
        job could not get (`pending_tls_sites`). One entry per site: host, fqdn, days_left
        (-1: no certificate), and the tls.yml outcome (tls_status, tls_reason) when it ran."""
        days = self.renew_days if days is None else days
        try:
            pending = pending_tls_sites(self.store)
        except Exception as exc:  # noqa: BLE001 - renewal of the existing ones goes on
            log.warning("tls renewal: cannot read pending sites from the store: %s", exc)
            pending = []
        report: list[dict[str, Any]] = []
        for host, address in self.hosts.items():
            report += self._renew_host(host, address, days, pending)
        return report

    def _renew_host(
        self, host: str, address: str, days: int, pending: list[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        try:
            names = self.web.https_sites(address)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("tls renewal: cannot list sites on %s: %s", host, exc)
            return [{"host": host, "error": str(exc)}]
        report: list[dict[str, Any]] = []
        for fqdn in names:
            certificate = self.web.certificate(address, fqdn)
            days_left = certificate.days_left if certificate else -1  # none: get one again
            entry: dict[str, Any] = {"host": host, "fqdn": fqdn, "days_left": days_left}
            if renewal_due(days_left, days):
                entry.update(self._run(host, fqdn, force=True))
                log.info("tls renewal %s on %s: %s", fqdn, host, entry.get("tls_status"))
            report.append(entry)
        for pending_host, fqdn in pending:
            if pending_host != host or fqdn in names:
                continue
            entry = {"host": host, "fqdn": fqdn, "days_left": -1, "pending": True}
            entry.update(self._run(host, fqdn, force=False))
            log.info("tls first certificate %s on %s: %s", fqdn, host, entry.get("tls_status"))
            report.append(entry)
        return report

    def _run(self, host: str, fqdn: str, *, force: bool) -> dict[str, Any]:
        run_dir = self.runs_dir / "tls-renewal" / f"{time.strftime('%Y%m%dT%H%M%S')}-{fqdn}"
        try:
            result = self.playbook.run(
                host=host, fqdn=fqdn, run_dir=run_dir, step="tls_renewal", force=force
            )
        except ProvisionerError as exc:
            return {"tls_status": "failed", "tls_reason": str(exc)}
        return {
            "tls_status": result.outputs.get("tls_status"),
            "tls_reason": result.outputs.get("tls_reason"),
            "tls_not_after": result.outputs.get("tls_not_after"),
        }
