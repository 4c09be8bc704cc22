"""Renewal of the sites' TLS certificates before they expire (run by the scheduler).

Which sites have HTTPS is read from the web servers themselves (the tls role's
sites-enabled/<fqdn>.ssl.conf), each certificate's expiry over a TLS handshake, and only the
ones expiring within settings.tls_renew_days get a tls.yml run (tls_force). A CA that is
away is not an error here either: tls.yml reports tls_status=unavailable and the next run
tries again.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path
from typing import Any

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.ssh_options import ssh_command
from provisioner.adapters.tls import TlsUnavailable, certificate_info
from provisioner.config import Settings, get_settings
from provisioner.domain.errors import ProvisionerError

log = logging.getLogger(__name__)
SSL_SUFFIX = ".ssl.conf"


def tls_extravars(settings: Settings, fqdn: str, *, force: bool = False) -> dict[str, Any]:
    """Extra vars of tls.yml for `fqdn` from the settings (the workflow uses the same)."""
    ca_file = settings.acme_ca_file or settings.secrets_dir / "acme" / "ca.pem"
    return {
        "site_fqdn": fqdn,
        "tls_acme_directory_url": settings.acme_directory_url,
        "tls_acme_ca_file": str(ca_file) if Path(ca_file).exists() else "",
        "tls_acme_email": settings.acme_email,
        "tls_renew_days": settings.tls_renew_days,
        "tls_force": force,
    }


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


def renew_expiring_certificates(
    settings: Settings | None = None,
    *,
    days: int | None = None,
    ansible: AnsibleAdapter | None = None,
) -> list[dict[str, Any]]:
    """Renew every site certificate on the web servers that expires within `days`
    (default settings.tls_renew_days). One entry per HTTPS site: host, fqdn, days_left,
    and the tls.yml outcome (tls_status, tls_reason) when it was renewed."""
    settings = settings or get_settings()
    days = settings.tls_renew_days if days is None else days
    ansible = ansible or AnsibleAdapter(settings)
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
                run_dir = (
                    settings.runs_dir / "tls-renewal" / f"{time.strftime('%Y%m%dT%H%M%S')}-{fqdn}"
                )
                try:
                    result = ansible.run(
                        "tls.yml",
                        extravars=tls_extravars(settings, fqdn, force=True),
                        limit=host,
                        run_dir=run_dir,
                        step="tls_renewal",
                    )
                    entry.update(
                        tls_status=result.outputs.get("tls_status"),
                        tls_reason=result.outputs.get("tls_reason"),
                        tls_not_after=result.outputs.get("tls_not_after"),
                    )
                except ProvisionerError as exc:
                    entry.update(tls_status="failed", tls_reason=str(exc))
                log.info("tls renewal %s on %s: %s", fqdn, host, entry.get("tls_status"))
            report.append(entry)
    return report
