"""The plan of a retirement (pure): what will be removed, shown to the network team and
approved by its checksum, like a provisioning plan."""

from __future__ import annotations

from typing import Any

from provisioner.domain.provision_plan import plan_checksum


def build_retire_plan(
    *,
    fqdn: str,
    dev_fqdn: str,
    dns_changes: list[dict[str, Any]],
    hosting: bool,
    db_name: str | None,
    db_user: str | None,
    web_dev_host: str,
    web_prod_host: str,
    db_host: str,
    backup_dir: str,
) -> dict[str, Any]:
    """Every item the retire job will touch, in the order it runs."""
    items: list[dict[str, str]] = [
        {"action": "delete", "kind": "dns", "target": f"{c['name']} {c['rtype']} {c['value']}"}
        for c in dns_changes
    ]
    if hosting:
        if db_name:
            items.append({"action": "backup", "kind": "database",
                          "target": f"{db_name} @ {db_host} -> {backup_dir}/"})
        items += [
            {"action": "delete", "kind": "site", "target": f"{dev_fqdn} @ {web_dev_host}"},
            {"action": "delete", "kind": "site", "target": f"{fqdn} @ {web_prod_host}"},
        ]
        if db_name:
            items.append({"action": "delete", "kind": "database",
                          "target": f"{db_name} + {db_user} @ {db_host}"})
    items.append({"action": "release", "kind": "name", "target": fqdn})
    return {"fqdn": fqdn, "items": items}


def retire_summary(plan: dict[str, Any]) -> list[str]:
    """One line per item, for the approval page and the API."""
    return [f"{i['action']} {i['kind']}: {i['target']}" for i in plan.get("items", [])]


def retire_checksum(plan: dict[str, Any]) -> str:
    return plan_checksum(plan)
