"""The plan the network team approves: DNS records, vhosts, database, deploy source and,
when an ACME directory is configured, the production name's TLS certificate.

The checksum is stored at approval and recomputed just before the DNS change; a plan
that differs from what was approved is refused (octoDNS `sync(checksum=)`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import UnsafeChange


@dataclass(frozen=True)
class Placement:
    """Where a site goes: addresses and host names of the web and database servers."""

    web_dev_host: str
    web_dev_address: str
    web_prod_host: str
    web_prod_address: str
    db_host: str
    ttl: int
    # Production gets a certificate over ACME HTTP-01 from this directory; "" = no TLS.
    acme_directory_url: str = ""


def build_plan(
    *,
    zone: str,
    fqdn: str,
    dev_fqdn: str,
    hosting: bool,
    target_address: str | None,
    repo_url: str | None,
    branch: str | None,
    db_name: str | None,
    db_user: str | None,
    placement: Placement,
) -> dict[str, Any]:
    changes: tuple[RecordChange, ...]
    if hosting:
        changes = (
            RecordChange("create", fqdn, "A", placement.ttl, placement.web_prod_address),
            RecordChange("create", dev_fqdn, "A", placement.ttl, placement.web_dev_address),
        )
        part: dict[str, Any] = {
            "vhosts": [
                {"host": placement.web_dev_host, "fqdn": dev_fqdn},
                {"host": placement.web_prod_host, "fqdn": fqdn},
            ],
            "database": {"host": placement.db_host, "name": db_name, "user": db_user},
            "deploy": {"repo": repo_url, "branch": branch},
        }
        if placement.acme_directory_url:
            # Only when asked for: a plan without TLS keeps the shape (and checksum) it had.
            part["tls"] = [
                {"host": placement.web_prod_host, "fqdn": fqdn,
                 "acme": placement.acme_directory_url},
            ]
        hosting_part: dict[str, Any] | None = part
    else:
        assert target_address is not None
        changes = (RecordChange("create", fqdn, "A", placement.ttl, target_address),)
        hosting_part = None
    return {"dns": DnsPlan(zone=zone, changes=changes).to_dict(), "hosting": hosting_part}


def tls_targets(plan: dict[str, Any] | None) -> list[dict[str, str]]:
    """The certificates a plan names: [{host, fqdn, acme}], empty when it names none."""
    hosting = (plan or {}).get("hosting") or {}
    return list(hosting.get("tls") or [])


def plan_checksum(plan: dict[str, Any]) -> str:
    canonical = json.dumps(plan, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def ensure_same_plan(approved_checksum: str | None, plan: dict[str, Any]) -> None:
    if approved_checksum is None or plan_checksum(plan) != approved_checksum:
        raise UnsafeChange(
            "Rencana berubah sejak disetujui; minta persetujuan ulang / "
            "The plan changed since it was approved; ask for approval again"
        )


def plan_summary(plan: dict[str, Any]) -> list[str]:
    """One line per item, for the approval page and the API."""
    lines = DnsPlan.from_dict(plan["dns"]).summary()
    hosting = plan.get("hosting")
    if hosting:
        for vhost in hosting["vhosts"]:
            lines.append(f"+ vhost {vhost['fqdn']} @ {vhost['host']}")
        db = hosting["database"]
        lines.append(f"+ database {db['name']} (user {db['user']}) @ {db['host']}")
        dep = hosting["deploy"]
        lines.append(f"~ deploy {dep['repo']} ({dep['branch']}) → dev, then the same commit → prod")
        for tls in tls_targets(plan):
            lines.append(
                f"+ TLS certificate {tls['fqdn']} (ACME HTTP-01, {tls['acme']}) + HTTPS vhost "
                f"@ {tls['host']}"
            )
    return lines
