"""The plans the network team approves, typed: a new site (DNS records, vhosts, database,
deploy source and, when an ACME directory is configured, production's TLS certificate), a
change to a live site, and a site's retirement.

Pure logic, no I/O. Every plan has a one-line-per-item `summary()`, a data form
(`to_dict()` / `from_dict()`) that is stored with the approval, and a `checksum()` over
that data form. The checksum is stored at approval and recomputed just before the change;
a plan that differs from what was approved is refused (octoDNS `sync(checksum=)`).
`to_dict()` gives exactly the stored form, so plans approved before stay valid.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import UnsafeChange


def plan_checksum(plan: Mapping[str, Any]) -> str:
    """sha256 (hex) over the canonical JSON of a plan's data form."""
    canonical = json.dumps(plan, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def ensure_same_plan(approved_checksum: str | None, plan: Mapping[str, Any]) -> None:
    """Refuse (UnsafeChange) a stored plan whose checksum is not the approved one."""
    if approved_checksum is None or plan_checksum(plan) != approved_checksum:
        raise UnsafeChange(
            "Rencana berubah sejak disetujui; minta persetujuan ulang / "
            "The plan changed since it was approved; ask for approval again"
        )


def tls_targets(plan: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The certificates a stored plan names: [{host, fqdn, acme}], empty when it names none."""
    hosting = (plan or {}).get("hosting") or {}
    return list(hosting.get("tls") or [])


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


# --- a new site ------------------------------------------------------------------------


@dataclass(frozen=True)
class Vhost:
    host: str
    fqdn: str


@dataclass(frozen=True)
class Database:
    host: str
    name: str | None
    user: str | None


@dataclass(frozen=True)
class DeploySource:
    repo: str | None
    branch: str | None


@dataclass(frozen=True)
class TlsTarget:
    host: str
    fqdn: str
    acme: str


@dataclass(frozen=True)
class HostingPlan:
    """The hosting part of a new site's plan. `tls` is None when the plan names no
    certificate: such a plan has no "tls" key, so it keeps the shape (and checksum) it had
    before TLS existed. A static site (`static`) gets no PHP-FPM pool and, unless the
    request asked for one, no database (`database` None); only such a plan has a "stack"
    key, so a PHP site's plan keeps its shape too."""

    vhosts: tuple[Vhost, ...]
    database: Database | None
    deploy: DeploySource
    tls: tuple[TlsTarget, ...] | None = None
    static: bool = False

    def to_dict(self) -> dict[str, Any]:
        db = self.database
        data: dict[str, Any] = {
            "vhosts": [{"host": v.host, "fqdn": v.fqdn} for v in self.vhosts],
            "database": None if db is None else {"host": db.host, "name": db.name,
                                                 "user": db.user},
            "deploy": {"repo": self.deploy.repo, "branch": self.deploy.branch},
        }  # fmt: skip
        if self.static:
            data["stack"] = "static"
        if self.tls is not None:
            data["tls"] = [{"host": t.host, "fqdn": t.fqdn, "acme": t.acme} for t in self.tls]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HostingPlan:
        db, dep = data["database"], data["deploy"]
        tls = data.get("tls")
        certificates = None if tls is None else tuple(
            TlsTarget(t["host"], t["fqdn"], t["acme"]) for t in tls
        )
        return cls(
            vhosts=tuple(Vhost(v["host"], v["fqdn"]) for v in data["vhosts"]),
            database=None if db is None else Database(db["host"], db["name"], db["user"]),
            deploy=DeploySource(dep["repo"], dep["branch"]),
            tls=certificates,
            static=data.get("stack") == "static",
        )

    def summary(self) -> list[str]:
        db, dep = self.database, self.deploy
        kind = " (static: no PHP-FPM pool)" if self.static else ""
        lines = [f"+ vhost {v.fqdn} @ {v.host}{kind}" for v in self.vhosts]
        lines.append(
            f"+ database {db.name} (user {db.user}) @ {db.host}" if db is not None
            else "  no database (static site; none asked for)"
        )  # fmt: skip
        lines.append(f"~ deploy {dep.repo} ({dep.branch}) → dev, then the same commit → prod")
        lines += [
            f"+ TLS certificate {t.fqdn} (ACME HTTP-01, {t.acme}) + HTTPS vhost @ {t.host}"
            for t in self.tls or ()
        ]
        return lines


@dataclass(frozen=True)
class ProvisionPlan:
    """A new name: its DNS records and, for a hosted site, what the hosting part sets up."""

    dns: DnsPlan
    hosting: HostingPlan | None = None

    @classmethod
    def build(
        cls,
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
        static: bool = False,
        database: bool = True,
    ) -> ProvisionPlan:
        p = placement
        if not hosting:
            assert target_address is not None
            record = RecordChange("create", fqdn, "A", p.ttl, target_address)
            return cls(DnsPlan(zone=zone, changes=(record,)))
        records = (
            RecordChange("create", fqdn, "A", p.ttl, p.web_prod_address),
            RecordChange("create", dev_fqdn, "A", p.ttl, p.web_dev_address),
        )
        part = HostingPlan(
            vhosts=(Vhost(p.web_dev_host, dev_fqdn), Vhost(p.web_prod_host, fqdn)),
            database=Database(p.db_host, db_name, db_user) if database else None,
            deploy=DeploySource(repo_url, branch),
            # Only when asked for: a plan without TLS keeps the shape it had.
            tls=(TlsTarget(p.web_prod_host, fqdn, p.acme_directory_url),)
            if p.acme_directory_url else None,
            static=static,
        )  # fmt: skip
        return cls(DnsPlan(zone=zone, changes=records), part)

    def to_dict(self) -> dict[str, Any]:
        hosting = self.hosting.to_dict() if self.hosting is not None else None
        return {"dns": self.dns.to_dict(), "hosting": hosting}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProvisionPlan:
        hosting = data.get("hosting")
        return cls(
            DnsPlan.from_dict(data["dns"]),
            HostingPlan.from_dict(hosting) if hosting else None,
        )

    def summary(self) -> list[str]:
        """One line per item, for the approval page and the API."""
        return self.dns.summary() + (self.hosting.summary() if self.hosting else [])

    def checksum(self) -> str:
        return plan_checksum(self.to_dict())

    def tls_targets(self) -> tuple[TlsTarget, ...]:
        return (self.hosting.tls or ()) if self.hosting is not None else ()


# --- a change to a live site -----------------------------------------------------------


@dataclass(frozen=True)
class ChangePlan:
    """What approving a change request does: a change of target (a DNS plan for the site's
    A record), of the person responsible, or the site's deactivation. The summary lines
    are part of the stored form."""

    kind: str  # change_target | change_contact | deactivate
    fqdn: str
    site_request_id: int | None
    target_address: str | None
    lines: tuple[str, ...]
    dns: DnsPlan | None = None  # a change of target only

    @classmethod
    def contact_change(
        cls, *, fqdn: str, site_request_id: int | None, target_address: str | None,
        contact_name: str, contact_email: str,
    ) -> ChangePlan:  # fmt: skip
        line = (
            f"~ penanggung jawab / person responsible of {fqdn}: {contact_name} <{contact_email}>"
        )
        return cls("change_contact", fqdn, site_request_id, target_address, (line,))

    @classmethod
    def deactivation(
        cls, *, fqdn: str, site_request_id: int | None, target_address: str | None,
        kind: str = "deactivate",
    ) -> ChangePlan:  # fmt: skip
        line = f"- nonaktifkan / retire {fqdn} (DNS, vhost, database)"
        return cls(kind, fqdn, site_request_id, target_address, (line,))

    @classmethod
    def retarget(
        cls, *, zone: str, fqdn: str, site_request_id: int | None, target_address: str,
        owned: tuple[str, int] | None, ttl: int,
    ) -> ChangePlan:  # fmt: skip
        """The site's A record from the value provisioner last wrote (`owned`: value, TTL;
        the update's prerequisite) to the new address — or created, if it owns none."""
        change: RecordChange | None
        if owned is None:
            change = RecordChange("create", fqdn, "A", ttl, target_address)
        elif owned[0] == target_address:
            change = None  # already there: the job only verifies
        else:
            change = RecordChange("update", fqdn, "A", owned[1], target_address,
                                  previous=owned[0])  # fmt: skip
        dns = DnsPlan(zone=zone, changes=(change,) if change else ())
        lines = tuple(dns.summary() or [f"= A {fqdn} {target_address}"])
        return cls("change_target", fqdn, site_request_id, target_address, lines, dns)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "fqdn": self.fqdn,
            "site_request_id": self.site_request_id,
            "target_address": self.target_address,
            "summary": list(self.lines),
        }
        if self.dns is not None:
            data["dns"] = self.dns.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChangePlan:
        dns = data.get("dns")
        return cls(
            kind=data["kind"],
            fqdn=data["fqdn"],
            site_request_id=data.get("site_request_id"),
            target_address=data.get("target_address"),
            lines=tuple(data.get("summary") or ()),
            dns=DnsPlan.from_dict(dns) if dns is not None else None,
        )

    def summary(self) -> list[str]:
        return list(self.lines)

    def checksum(self) -> str:
        return plan_checksum(self.to_dict())


RequestPlan = ProvisionPlan | ChangePlan


def request_plan_from_dict(data: Mapping[str, Any]) -> RequestPlan:
    """A request's stored plan: a change plan names its kind, a new site's plan does not."""
    if "kind" in data:
        return ChangePlan.from_dict(data)
    return ProvisionPlan.from_dict(data)


# --- a site's retirement ---------------------------------------------------------------


@dataclass(frozen=True)
class RetireItem:
    action: str  # delete | backup | release
    kind: str  # dns | database | site | name
    target: str


@dataclass(frozen=True)
class RetirePlan:
    """Every item the retire job will touch, in the order it runs."""

    fqdn: str
    items: tuple[RetireItem, ...]

    @classmethod
    def build(
        cls, *, fqdn: str, dev_fqdn: str, dns_changes: Iterable[Mapping[str, Any]],
        hosting: bool, db_name: str | None, db_user: str | None, web_dev_host: str,
        web_prod_host: str, db_host: str, backup_dir: str,
    ) -> RetirePlan:  # fmt: skip
        items = [
            RetireItem("delete", "dns", f"{c['name']} {c['rtype']} {c['value']}")
            for c in dns_changes
        ]
        if hosting:
            if db_name:
                items.append(RetireItem("backup", "database",
                                        f"{db_name} @ {db_host} -> {backup_dir}/"))  # fmt: skip
            items += [
                RetireItem("delete", "site", f"{dev_fqdn} @ {web_dev_host}"),
                RetireItem("delete", "site", f"{fqdn} @ {web_prod_host}"),
            ]
            if db_name:
                items.append(RetireItem("delete", "database",
                                        f"{db_name} + {db_user} @ {db_host}"))  # fmt: skip
        items.append(RetireItem("release", "name", fqdn))
        return cls(fqdn, tuple(items))

    def to_dict(self) -> dict[str, Any]:
        return {
            "fqdn": self.fqdn,
            "items": [{"action": i.action, "kind": i.kind, "target": i.target}
                      for i in self.items],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetirePlan:
        items = tuple(RetireItem(i["action"], i["kind"], i["target"])
                      for i in data.get("items", ()))  # fmt: skip
        return cls(data["fqdn"], items)

    def summary(self) -> list[str]:
        """One line per item, for the approval page and the API."""
        return [f"{i.action} {i.kind}: {i.target}" for i in self.items]

    def checksum(self) -> str:
        return plan_checksum(self.to_dict())
