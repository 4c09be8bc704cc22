"""Renewal of the sites' TLS certificates before they expire (run by the scheduler).

Which sites have HTTPS is read from the web servers themselves (the tls role's
sites-enabled/<fqdn>.ssl.conf), each certificate's expiry over a TLS handshake, and only the
ones expiring within settings.tls_renew_days get a tls.yml run (tls_force). A CA that is
away is not an error here either: tls.yml reports tls_status=unavailable and the next run
tries again.

Sites that never got a certificate are found in the store instead: a live site whose
provisioning job's TLS step ended `unavailable` (the CA was away) and that still has no HTTPS
vhost gets a tls.yml run too — this is how "the renewal retries later" is kept.
"""

from __future__ import annotations

import logging
import subprocess
import time
from typing import Any

from sqlalchemy import select

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.ssh_options import ssh_command
from provisioner.adapters.tls import TlsUnavailable, certificate_info, tls_extravars
from provisioner.config import Settings, get_settings
from provisioner.domain.errors import ProvisionerError
from provisioner.domain.jobs import StepStatus
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.models.jobs import Job, JobStep
from provisioner.store.models.requests import Request

log = logging.getLogger(__name__)
SSL_SUFFIX = ".ssl.conf"


def https_sites(settings: Settings, address: str) -> list[str]:
    """Names with an HTTPS vhost from the tls role on the web server at `address`."""
    out = subprocess.run(
        [*ssh_command(settings), f"root@{address}", "ls /etc/apache2/sites-enabled/"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return sorted(
        name[: -len(SSL_SUFFIX)] for name in out.stdout.split() if name.endswith(SSL_SUFFIX)
    )


def pending_tls_sites(store: Store) -> list[tuple[str, str]]:
    """(host, fqdn) of live sites whose latest TLS step found the CA away; whether they have
    HTTPS by now is the caller's check. They are asked of the ACME directory configured now
    (the one an operator fixes), not necessarily the one in the plan."""
    live = (RequestState.LIVE, RequestState.LETTER_ISSUED)
    with store.read() as s:
        rows = s.execute(
            select(JobStep.outputs, Request.id)
            .join(Job, JobStep.job_id == Job.id)
            .join(Request, Job.request_id == Request.id)
            .where(JobStep.name.like("tls_%"), JobStep.status == StepStatus.DONE)
            .where(Request.state.in_([str(state) for state in live]))
            .order_by(JobStep.id.desc())
        ).all()
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[str, str]] = []
    for outputs, _ in rows:
        out = outputs or {}
        key = (str(out.get("host", "")), str(out.get("fqdn", "")))
        if not all(key) or key in seen:
            continue
        seen.add(key)
        if out.get("status") == "unavailable" and not out.get("https"):
            pending.append(key)
    return pending


def _run_tls(
    settings: Settings,
    ansible: AnsibleAdapter,
    host: str,
    fqdn: str,
    *,
    force: bool,
) -> dict[str, Any]:
    run_dir = settings.runs_dir / "tls-renewal" / f"{time.strftime('%Y%m%dT%H%M%S')}-{fqdn}"
    try:
        result = ansible.run(
            "tls.yml",
            extravars=tls_extravars(settings, fqdn, force=force),
            limit=host,
            run_dir=run_dir,
            step="tls_renewal",
        )
    except ProvisionerError as exc:
        return {"tls_status": "failed", "tls_reason": str(exc)}
    return {
        "tls_status": result.outputs.get("tls_status"),
        "tls_reason": result.outputs.get("tls_reason"),
        "tls_not_after": result.outputs.get("tls_not_after"),
    }


def renew_expiring_certificates(
    settings: Settings | None = None,
    *,
    days: int | None = None,
    ansible: AnsibleAdapter | None = None,
    store: Store | None = None,
) -> list[dict[str, Any]]:
    """Renew every site certificate on the web servers that expires within `days`
    (default settings.tls_renew_days), and ask again for the certificates a provisioning job
    could not get (`pending_tls_sites`). One entry per site: host, fqdn, days_left (-1: no
    certificate), and the tls.yml outcome (tls_status, tls_reason) when it ran."""
    settings = settings or get_settings()
    days = settings.tls_renew_days if days is None else days
    ansible = ansible or AnsibleAdapter(settings)
    own_store = store is None
    store = store or Store(settings.store_url)
    try:
        pending = pending_tls_sites(store)
    except Exception as exc:  # noqa: BLE001 - renewal of the existing ones goes on
        log.warning("tls renewal: cannot read pending sites from the store: %s", exc)
        pending = []
    finally:
        if own_store:
            store.dispose()
    report: list[dict[str, Any]] = []
    hosts = {
        settings.web_dev_host: settings.web_dev_address,
        settings.web_prod_host: settings.web_prod_address,
    }
    for host, address in hosts.items():
        try:
            names = https_sites(settings, address)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("tls renewal: cannot list sites on %s: %s", host, exc)
            report.append({"host": host, "error": str(exc)})
            continue
        for fqdn in names:
            try:
                days_left = certificate_info(address, fqdn).days_left
            except TlsUnavailable:
                days_left = -1  # no handshake: get a certificate again
            entry: dict[str, Any] = {"host": host, "fqdn": fqdn, "days_left": days_left}
            if days_left < days:
                entry.update(_run_tls(settings, ansible, host, fqdn, force=True))
                log.info("tls renewal %s on %s: %s", fqdn, host, entry.get("tls_status"))
            report.append(entry)
        for pending_host, fqdn in pending:
            if pending_host != host or fqdn in names:
                continue
            entry = {"host": host, "fqdn": fqdn, "days_left": -1, "pending": True}
            entry.update(_run_tls(settings, ansible, host, fqdn, force=False))
            log.info("tls first certificate %s on %s: %s", fqdn, host, entry.get("tls_status"))
            report.append(entry)
    return report
