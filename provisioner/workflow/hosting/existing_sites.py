"""Existing sites: the virtual hosts each web server already serves — made by hand before
provisioner, or beside it — found over SSH, matched to the registry's names, and registered
as an agency's site by the network team. A registered site is in the status read and the
periodic liveness check (DNS on every name server, HTTP, the TLS certificate's expiry) at
once, and in the vhost drift check: its file compared with the bytes it was registered
with. Registering reads the server and writes nothing to it: hand-made vhosts are never
rewritten (bringing one under management is site_migration's explicit plan)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import Conflict, InvalidInput, NotFound, ProvisionerError
from provisioner.domain.fqdn import parse_site_name
from provisioner.domain.naming import DEFAULT_RESERVED
from provisioner.domain.text import check_visible
from provisioner.domain.vhost_discovery import (
    DiscoveredVhost,
    NameHolder,
    NameKind,
    NameMatch,
    discover,
    match_name,
)
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.existing_sites import ExistingSite
from provisioner.store.repositories import (
    audit as audit_repo,
    dns as dns_repo,
    existing_sites as existing_repo,
    requests as requests_repo,
)
from provisioner.workflow.hosting.site_ports import VhostReads, WebHosts

HAND_MADE, MANAGED = "hand-made", "managed"
SCHEDULER = "scheduler"


@dataclass(frozen=True)
class FoundVhost:
    """A vhost as the network team's page shows it: what was found and which name it is."""

    vhost: DiscoveredVhost
    match: NameMatch

    def to_dict(self) -> dict[str, Any]:
        return {**self.vhost.to_dict(), "fqdn": self.match.fqdn, "match": str(self.match.kind),
                "holder": self.match.holder, "registrable": self.match.registrable}  # fmt: skip


@dataclass(frozen=True)
class HostVhosts:
    """One web host's vhosts, or why it could not be read."""

    host: str
    address: str
    vhosts: tuple[FoundVhost, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "address": self.address, "error": self.error,
                "vhosts": [v.to_dict() for v in self.vhosts]}  # fmt: skip


@dataclass(frozen=True)
class ExistingSiteView:
    """A registered existing site (complete once its session closed)."""

    id: int
    fqdn: str
    agency: str
    host: str
    state: str  # hand-made | managed
    vhost_file: str
    config_file: str
    config_sha256: str
    document_root: str | None
    php: bool
    aliases: tuple[str, ...]
    registered_by: str
    registered_at: datetime
    migrated_at: datetime | None = None
    release: str | None = None
    migration_checksum: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()}
        data["aliases"] = list(self.aliases)
        return data


def site_view(row: ExistingSite) -> ExistingSiteView:
    return ExistingSiteView(
        id=row.id, fqdn=row.fqdn, agency=row.agency, host=row.host, state=row.state,
        vhost_file=row.vhost_file, config_file=row.config_file,
        config_sha256=row.config_sha256, document_root=row.document_root, php=row.php,
        aliases=tuple(row.aliases or ()), registered_by=row.registered_by,
        registered_at=row.registered_at, migrated_at=row.migrated_at, release=row.release,
        migration_checksum=row.migration_checksum,
    )  # fmt: skip


@dataclass(frozen=True)
class SiteDrift:
    """One registered site compared with its web server now."""

    fqdn: str
    host: str
    state: str
    verdict: str  # same | changed | moved | gone | unreadable
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class ExistingSites:
    """Discovery, registration and the drift check of existing sites."""

    store: Store
    reader: VhostReads
    web_hosts: WebHosts
    zones: tuple[str, ...]
    reserved: frozenset[str] = DEFAULT_RESERVED

    # --- reading the servers ---------------------------------------------------------

    def host(self, name: str) -> InventoryHost:
        """The inventory's web server called `name` (NotFound otherwise)."""
        for host in self.web_hosts():
            if host.name == name:
                return host
        raise NotFound(f"Server web {name} tidak ada di inventaris / "
                       f"No web server {name} in the inventory")  # fmt: skip

    def vhosts_of(self, host: InventoryHost) -> tuple[DiscoveredVhost, ...]:
        """Every vhost `host` serves now (ServerUnreachable / StepFailed from the read)."""
        return discover(self.reader.read(host))

    def _holders(self, names: set[str]) -> dict[str, NameHolder]:
        holders: dict[str, NameHolder] = {}
        with self.store.read() as s:
            for fqdn in names:
                site = existing_repo.active_site(s, fqdn)
                req = requests_repo.latest_request_for_fqdn(s, fqdn)
                if site is not None:
                    holders[fqdn] = NameHolder(NameKind.REGISTERED, site.agency)
                elif req is not None and requests_repo.name_is_claimed(s, req.zone, req.label):
                    holders[fqdn] = NameHolder(NameKind.PROVISIONER, req.ticket)
        return holders

    def matched(self, vhosts: tuple[DiscoveredVhost, ...]) -> tuple[FoundVhost, ...]:
        holders = self._holders({v.name.lower() for v in vhosts})
        return tuple(
            FoundVhost(v, match_name(v, zones=self.zones, reserved=self.reserved,
                                     holders=holders))
            for v in vhosts
        )  # fmt: skip

    def discover(self, actor: Actor) -> list[HostVhosts]:
        """Per web server, every vhost with its name's standing (network team only). A
        server that cannot be read says why; the others are listed all the same."""
        ensure_allowed(actor, Action.DECIDE)
        found: list[HostVhosts] = []
        for host in self.web_hosts():
            try:
                found.append(HostVhosts(host.name, host.address,
                                        self.matched(self.vhosts_of(host))))  # fmt: skip
            except ProvisionerError as exc:
                found.append(HostVhosts(host.name, host.address, error=exc.message))
        return found

    # --- registering -----------------------------------------------------------------

    def register(self, host_name: str, fqdn: str, agency: str, actor: Actor) -> ExistingSiteView:
        """Register the vhost `host_name` serves for `fqdn` as `agency`'s existing site:
        only a hand-made vhost whose name no one holds. Reads the server again; writes
        nothing to it. From now on the site is in the status read and in monitoring."""
        ensure_allowed(actor, Action.DECIDE)
        agency = agency.strip()
        if not agency or len(agency) > 200:
            raise InvalidInput(
                "agency",
                "Isi nama perangkat daerah (maks. 200 karakter) / "
                "Enter the agency's name (at most 200 characters)",
            )
        check_visible("agency", agency)
        name = parse_site_name(fqdn, self.zones)
        host = self.host(host_name)
        found = self._served(host, name.fqdn)
        if not found.match.registrable:
            raise Conflict(_why_not(found))
        vhost = found.vhost
        with self.store.session() as s:
            if existing_repo.active_site(s, name.fqdn, lock=True) is not None:
                raise Conflict(f"{name.fqdn} sudah terdaftar / is registered already")
            # A record adopted from the zone already says whose the name is.
            for record in dns_repo.owned_at(s, name.fqdn):
                if record.owner and record.owner != agency:
                    raise Conflict(
                        f"rekaman DNS {name.fqdn} diadopsi untuk {record.owner} / the DNS "
                        f"record of {name.fqdn} was adopted for {record.owner}"
                    )
            row = existing_repo.add_existing_site(
                s, fqdn=name.fqdn, zone=name.zone, label=name.relative, agency=agency,
                host=host.name, vhost_file=vhost.file, config_file=vhost.real_file,
                config_sha256=vhost.file_sha256, document_root=vhost.document_root,
                php=vhost.php, aliases=list(vhost.aliases), state=HAND_MADE,
                registered_by=actor.username,
            )  # fmt: skip
            audit_repo.record_event(s, actor=actor.username, action="site:registered",
                                    detail={"fqdn": name.fqdn, "agency": agency,
                                            "host": host.name, "file": vhost.real_file,
                                            "sha256": vhost.file_sha256})  # fmt: skip
            return site_view(row)

    def unregister(self, fqdn: str, actor: Actor) -> ExistingSiteView:
        """Take back a registration (the wrong agency, a site the agency gave up): off the
        status pages and out of monitoring, its name no longer held by the registry (it can
        be registered again; a request still meets the record the zone holds). Nothing on
        the server changes; a migrated site goes back to its hand-made vhost first."""
        ensure_allowed(actor, Action.DECIDE)
        with self.store.session() as s:
            row = existing_repo.active_site(s, fqdn.strip().lower(), lock=True)
            if row is None:
                raise _not_registered(fqdn)
            if row.state != HAND_MADE:
                raise Conflict(
                    f"{row.fqdn} dikelola provisioner; kembalikan dulu ke vhost buatan tangan / "
                    "is managed by provisioner; take it back to its hand-made vhost first"
                )
            existing_repo.end_registration(s, row)
            audit_repo.record_event(s, actor=actor.username, action="site:unregistered",
                                    detail={"fqdn": row.fqdn, "agency": row.agency,
                                            "host": row.host})  # fmt: skip
            return site_view(row)

    def _served(self, host: InventoryHost, fqdn: str) -> FoundVhost:
        """The vhost `host` serves for `fqdn` (its HTTP one first), NotFound if none."""
        matches = [f for f in self.matched(self.vhosts_of(host)) if f.match.fqdn == fqdn]
        if not matches:
            raise NotFound(f"{host.name} tidak melayani {fqdn} / {host.name} does not serve {fqdn}")
        return sorted(matches, key=lambda f: f.vhost.port != 80)[0]

    # --- reading the registry --------------------------------------------------------

    def listing(self, actor: Actor) -> list[ExistingSiteView]:
        """Every registered existing site, by name; an agency's staff see their own."""
        ensure_allowed(actor, Action.VIEW)
        with self.store.read() as s:
            views = [site_view(row) for row in existing_repo.active_sites(s)]
        if actor.role is Role.OPD:
            return [v for v in views if v.agency == actor.agency]
        return views

    def site(self, fqdn: str) -> ExistingSiteView:
        with self.store.read() as s:
            row = existing_repo.active_site(s, fqdn.strip().lower())
            if row is None:
                raise _not_registered(fqdn)
            return site_view(row)

    # --- drift -----------------------------------------------------------------------

    def drift(self, actor: Actor) -> list[SiteDrift]:
        """Each registered site against its server now: the same bytes it was registered
        (or migrated) with, changed, served from another file, or no longer served."""
        ensure_allowed(actor, Action.DECIDE)
        return self._drift()

    def _drift(self) -> list[SiteDrift]:
        with self.store.read() as s:
            sites = [site_view(row) for row in existing_repo.active_sites(s)]
        report: list[SiteDrift] = []
        by_host: dict[str, list[ExistingSiteView]] = {}
        for site in sites:
            by_host.setdefault(site.host, []).append(site)
        for host_name, host_sites in by_host.items():
            try:
                served = self.vhosts_of(self.host(host_name))
            except ProvisionerError as exc:
                report += [SiteDrift(x.fqdn, host_name, x.state, "unreadable", exc.message)
                           for x in host_sites]  # fmt: skip
                continue
            report += [_compare(site, served) for site in host_sites]
        return report

    def scheduled_drift(self) -> dict[str, int]:
        """Hourly: the drift check, its verdicts counted in an audit event."""
        report = self._drift()
        counts: dict[str, int] = {}
        for item in report:
            counts[item.verdict] = counts.get(item.verdict, 0) + 1
        drifted = [d.to_dict() for d in report if d.verdict != "same"]
        with self.store.session() as s:
            audit_repo.record_event(s, actor=SCHEDULER, action="site:drift",
                                    detail={"counts": counts, "drifted": drifted[:50]})  # fmt: skip
        return counts

    def accept_drift(self, fqdn: str, actor: Actor) -> ExistingSiteView:
        """Take a hand-made vhost's file as it is now as the registered one (its owner
        edited it on purpose): the drift check compares with these bytes from now on."""
        ensure_allowed(actor, Action.DECIDE)
        site = self.site(fqdn)
        if site.state != HAND_MADE:
            raise Conflict(f"{fqdn} dikelola provisioner / is managed by provisioner")
        found = self._served(self.host(site.host), site.fqdn)
        with self.store.session() as s:
            row = existing_repo.active_site(s, site.fqdn, lock=True)
            assert row is not None
            before = row.config_sha256
            vhost = found.vhost
            row.vhost_file, row.config_file = vhost.file, vhost.real_file
            row.config_sha256, row.document_root = vhost.file_sha256, vhost.document_root
            row.php, row.aliases, row.updated_at = vhost.php, list(vhost.aliases), utcnow()
            audit_repo.record_event(s, actor=actor.username, action="site:drift-accepted",
                                    detail={"fqdn": site.fqdn, "before": before,
                                            "after": row.config_sha256})  # fmt: skip
            return site_view(row)


def _not_registered(fqdn: str) -> NotFound:
    return NotFound(f"{fqdn} bukan situs yang sudah ada / is no registered existing site")


def _why_not(found: FoundVhost) -> str:
    fqdn, holder = found.match.fqdn, found.match.holder
    reasons = {
        NameKind.REGISTERED: (f"{fqdn} sudah terdaftar untuk {holder}",
                              f"{fqdn} is registered for {holder} already"),
        NameKind.PROVISIONER: (f"{fqdn} dibuat provisioner ({holder or 'vhost terkelola'})",
                               f"{fqdn} was made by provisioner ({holder or 'managed vhost'})"),
        NameKind.INFRASTRUCTURE: (f"{fqdn} nama infrastruktur, bukan situs perangkat daerah",
                                  f"{fqdn} is an infrastructure name, not an agency's site"),
        NameKind.OUTSIDE: (f"{fqdn} di luar zona yang dikelola",
                           f"{fqdn} is outside the managed zones"),
    }  # fmt: skip
    id_, en = reasons.get(found.match.kind, (fqdn, fqdn))
    return f"{id_} / {en}"


def _compare(site: ExistingSiteView, served: tuple[DiscoveredVhost, ...]) -> SiteDrift:
    def verdict(word: str, detail: str = "") -> SiteDrift:
        return SiteDrift(site.fqdn, site.host, site.state, word, detail)

    mine = [v for v in served if v.name.lower() == site.fqdn and v.port == 80] or [
        v for v in served if v.name.lower() == site.fqdn
    ]
    if not mine:
        return verdict("gone", "tidak dilayani lagi / no longer served")
    vhost = mine[0]
    if vhost.real_file != site.config_file:
        return verdict("moved", f"{site.config_file} → {vhost.real_file}")
    if vhost.file_sha256 != site.config_sha256:
        return verdict("changed", f"sha256 {site.config_sha256[:12]} → {vhost.file_sha256[:12]}")
    return verdict("same")
