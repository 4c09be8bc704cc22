"""A provisioning plan as the network team reads it: sections (DNS records, virtual hosts,
database, TLS, deploy) of lines marked add / change / delete, like a diff."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.domain.dns_plan import DnsPlan
from provisioner.domain.plan import HostingPlan, ProvisionPlan, RequestPlan

_KIND = {"create": "add", "update": "upd", "delete": "del"}
_SIGN = {"add": "+", "upd": "~", "del": "-"}


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | upd | del
    text: str

    @property
    def sign(self) -> str:
        return _SIGN[self.kind]


def plan_sections(plan: RequestPlan | None) -> list[tuple[str, list[DiffLine]]]:
    """Sections (catalogue key, lines) of the plan a request's approval covers."""
    if plan is None:
        return []
    sections: list[tuple[str, list[DiffLine]]] = []
    dns = _dns_lines(plan.dns) if plan.dns is not None else []
    if dns:
        sections.append(("review.dns", dns))
    if isinstance(plan, ProvisionPlan) and plan.hosting is not None:
        sections += _hosting_sections(plan.hosting)
    return sections


def _dns_lines(dns: DnsPlan) -> list[DiffLine]:
    return [
        DiffLine(
            _KIND.get(c.action, "upd"),
            f"{c.name}. {c.ttl} IN {c.rtype} {c.value}"
            + (f"   (was {c.previous})" if c.previous else ""),
        )
        for c in dns.changes
    ]


def _hosting_sections(hosting: HostingPlan) -> list[tuple[str, list[DiffLine]]]:
    vhosts: list[DiffLine] = []
    for v in hosting.vhosts:
        vhosts += [
            DiffLine("add", f"{v.host}: <VirtualHost *:80>"),
            DiffLine("add", f"    ServerName {v.fqdn}"),
            DiffLine("add", f"    DocumentRoot /var/www/{v.fqdn}/current/public"),
            DiffLine("add", "</VirtualHost>"),
        ]
    sections = [("review.vhost", vhosts)]
    db = hosting.database
    if db is not None and db.name:
        sections.append((
            "review.database",
            [
                DiffLine("add", f"{db.host}: CREATE DATABASE {db.name}"),
                DiffLine("add", f"{db.host}: CREATE USER {db.user} (GRANT ALL ON {db.name}.*)"),
            ],
        ))  # fmt: skip
    tls = [
        line
        for t in hosting.tls or ()
        for line in (
            DiffLine("add", f"{t.host}: certificate {t.fqdn} (ACME HTTP-01, {t.acme})"),
            DiffLine("add", f"{t.host}: <VirtualHost *:443> ServerName {t.fqdn}"),
        )
    ]
    if tls:
        sections.append(("review.tls", tls))
    dep = hosting.deploy
    if dep.repo:
        line = DiffLine("upd", f"{dep.repo} @ {dep.branch or 'main'} → dev → prod")
        sections.append(("review.deploy", [line]))
    return sections
