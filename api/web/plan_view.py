"""A provisioning plan as the network team reads it: sections (DNS records, virtual hosts,
database, TLS, deploy) of lines marked add / change / delete, like a diff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_KIND = {"create": "add", "update": "upd", "delete": "del"}
_SIGN = {"add": "+", "upd": "~", "del": "-"}


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | upd | del
    text: str

    @property
    def sign(self) -> str:
        return _SIGN[self.kind]


def plan_sections(plan: dict[str, Any] | None) -> list[tuple[str, list[DiffLine]]]:
    """Sections (catalogue key, lines) of a plan built by `build_plan`."""
    if not plan:
        return []
    sections: list[tuple[str, list[DiffLine]]] = []
    dns = [
        DiffLine(
            _KIND.get(c["action"], "upd"),
            f"{c['name']}. {c['ttl']} IN {c['rtype']} {c['value']}"
            + (f"   (was {c['previous']})" if c.get("previous") else ""),
        )
        for c in (plan.get("dns") or {}).get("changes", [])
    ]
    if dns:
        sections.append(("review.dns", dns))
    hosting = plan.get("hosting")
    if hosting:
        vhosts: list[DiffLine] = []
        for v in hosting.get("vhosts", []):
            vhosts += [
                DiffLine("add", f"{v['host']}: <VirtualHost *:80>"),
                DiffLine("add", f"    ServerName {v['fqdn']}"),
                DiffLine("add", f"    DocumentRoot /var/www/{v['fqdn']}/current/public"),
                DiffLine("add", "</VirtualHost>"),
            ]
        sections.append(("review.vhost", vhosts))
        db = hosting.get("database") or {}
        if db.get("name"):
            sections.append(
                (
                    "review.database",
                    [
                        DiffLine("add", f"{db['host']}: CREATE DATABASE {db['name']}"),
                        DiffLine("add", f"{db['host']}: CREATE USER {db['user']} "
                                        f"(GRANT ALL ON {db['name']}.*)"),
                    ],
                )
            )
        tls = [
            line
            for t in hosting.get("tls") or []
            for line in (
                DiffLine("add", f"{t['host']}: certificate {t['fqdn']} "
                                f"(ACME HTTP-01, {t['acme']})"),
                DiffLine("add", f"{t['host']}: <VirtualHost *:443> ServerName {t['fqdn']}"),
            )
        ]
        if tls:
            sections.append(("review.tls", tls))
        dep = hosting.get("deploy") or {}
        if dep.get("repo"):
            branch = dep.get("branch") or "main"
            line = DiffLine("upd", f"{dep['repo']} @ {branch} → dev → prod")
            sections.append(("review.deploy", [line]))
    return sections
