"""The managed zones: one DnsAdapter per zone (its primary, its TSIG key, its servers) and
DnsZones, which picks the adapter of the zone that holds a name (the longest matching zone,
so a delegated sub-zone wins over its parent).

The zones are listed in a zones file (`read_zones_file`: a YAML or JSON list of
`{zone, primary, tsig_key_file}`, key paths relative to the file); the composition root
falls back to the single zone of its settings without one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import yaml

from provisioner.adapters.dns import propagation
from provisioner.adapters.dns.query import NameAnswer, QueryEngine
from provisioner.adapters.dns.transfer import (
    ZoneRecords,
    ZoneSets,
    transfer_zone,
    transfer_zone_sets,
)
from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.update import ZoneUpdater
from provisioner.adapters.dns.wire import SOURCE, Answer, rcode_reason
from provisioner.domain.dns_plan import RecordChange, normalise_name
from provisioner.domain.errors import InvalidInput, StepFailed


@dataclass(frozen=True)
class ZoneConfig:
    """Where one zone's updates go and the key that signs them (a path, never the secret)."""

    zone: str
    primary: str
    tsig_key_file: Path
    primary_name: str | None = None  # e.g. "ns1.demokab.go.id", for messages


@dataclass(frozen=True)
class DnsConfig:
    """Every managed zone and how long a DNS server may take to answer."""

    zones: tuple[ZoneConfig, ...]
    timeout: float = 2.0


def read_zones_file(path: Path) -> list[ZoneConfig]:
    """The zones listed in `path`; InvalidInput(zones_file) for anything else."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        zones = [
            ZoneConfig(
                zone=normalise_name(str(item["zone"])),
                primary=str(item["primary"]),
                tsig_key_file=(path.parent / str(item["tsig_key_file"])).resolve(),
                primary_name=item.get("primary_name"),
            )
            for item in data
        ]
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        raise InvalidInput(
            "zones_file",
            f"Berkas zona {path} harus berupa daftar {{zone, primary, tsig_key_file}} / "
            f"The zones file {path} must be a list of {{zone, primary, tsig_key_file}}",
        ) from None
    if not zones or len({z.zone for z in zones}) != len(zones):
        raise InvalidInput(
            "zones_file",
            f"Berkas zona {path} kosong atau menyebut zona dua kali / The zones file {path} "
            "is empty or names a zone twice",
        )
    return zones


class DnsAdapter:
    """Talks to the authoritative servers of one zone; changes go to the primary only.

    Every dnspython error is translated into provisioner.domain.errors; the TSIG secret
    never appears in a repr, an exception or a log line."""

    def __init__(
        self, *, zone: str, primary: str, key: TsigKey | None, timeout: float = 2.0,
        port: int = 53,
    ) -> None:  # fmt: skip
        """`key=None` sends unsigned updates; it exists only to prove a server refuses them."""
        self.zone = zone.strip().lower().removesuffix(".")
        self.primary = primary
        self.timeout = timeout
        self.port = port
        self._key = key
        self._origin = dns.name.from_text(self.zone)
        self._queries = QueryEngine(timeout=timeout, port=port)
        self._updates = ZoneUpdater(self._origin, primary, key, timeout=timeout, port=port)

    def __repr__(self) -> str:
        key = self._key.name if self._key else "unsigned"
        return f"DnsAdapter(zone={self.zone!r}, primary={self.primary!r}, key={key!r})"

    # --- reads -------------------------------------------------------------------------

    def nameservers(self) -> dict[str, str]:
        """The zone's NS set as the primary serves it, each name resolved to its address
        by the primary (glue or in-zone A record): {"ns1.demokab.go.id": "127.0.2.53"}."""
        response = self._authoritative(self._origin, dns.rdatatype.NS, self.primary)
        targets = sorted(
            rdata.target
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.NS and rrset.name == self._origin
            for rdata in rrset
        )
        if not targets:
            raise StepFailed(SOURCE, self.primary, f"zona {self.zone} tanpa NS / no NS records")
        glue = {
            rrset.name: rrset[0].address
            for rrset in response.additional
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
        }
        return {
            target.to_text(omit_final_dot=True).lower(): glue.get(target)
            or self._address_of(target)
            for target in targets
        }

    def lookup(self, fqdn: str, server: str) -> NameAnswer:
        """Ask `server` (an address) about `fqdn` directly (ServerUnreachable if silent)."""
        return self._queries.lookup(fqdn, server)

    def availability(self, fqdn: str, servers: Mapping[str, str] | None = None) -> dict[str, str]:
        """Per authoritative server: "absent", "exists" or "unreachable: <reason>" (see
        QueryEngine.presence); `servers` (name -> address) defaults to `nameservers()`."""
        return self._queries.presence(fqdn, self.nameservers() if servers is None else servers)

    def sweep(
        self, names: Sequence[str], servers: Mapping[str, str] | None = None, *,
        concurrency: int = 256, timeout: float = 1.0,
    ) -> dict[str, dict[str, Answer]]:  # fmt: skip
        """Many names on every authoritative server at once (QueryEngine.sweep)."""
        servers = self.nameservers() if servers is None else servers
        return self._queries.sweep(names, servers, concurrency=concurrency, timeout=timeout)

    def soa_serial(self, server: str) -> int:
        """The zone's SOA serial as `server` serves it authoritatively."""
        response = self._authoritative(self._origin, dns.rdatatype.SOA, server)
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA and rrset.name == self._origin:
                return int(rrset[0].serial)
        raise StepFailed(SOURCE, server, f"tidak ada SOA untuk {self.zone} / no SOA answered")

    def ask(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, server: str
    ) -> dns.message.Message:
        """One raw query to one server (StepFailed/ServerUnreachable on failure)."""
        return self._queries.ask(name, rdtype, server)

    def transfer(self, server: str | None = None, *, step: str = SOURCE) -> ZoneRecords:
        """The whole zone by AXFR signed with the zone's key (from the primary unless
        `server` is given); a refused transfer is StepFailed(step)."""
        return transfer_zone(
            self._origin, server or self.primary, self._key,
            timeout=self.timeout, port=self.port, step=step,
        )  # fmt: skip

    def transfer_sets(self, server: str | None = None, *, step: str = SOURCE) -> ZoneSets:
        """As `transfer`, with each record set's TTL (what adopting a record keeps)."""
        return transfer_zone_sets(
            self._origin, server or self.primary, self._key,
            timeout=self.timeout, port=self.port, step=step,
        )  # fmt: skip

    # --- changes -----------------------------------------------------------------------

    def apply(self, change: RecordChange, *, exclusive: bool = False) -> None:
        """Apply one change on the primary with RFC 2136 prerequisites (ZoneUpdater): a
        retry of an applied change succeeds without touching the zone; Conflict when
        someone else changed it."""
        self.apply_all([change], exclusive={change.name} if exclusive else set())

    def apply_all(self, changes: Iterable[RecordChange], *, exclusive: Iterable[str] = ()) -> None:
        """Apply several changes in ONE update message: all of them or none."""
        self._updates.apply_all(changes, exclusive=exclusive)

    def wait_until_visible(
        self, change: RecordChange, *, timeout: float, step: str = SOURCE, interval: float = 0.05
    ) -> dict[str, str]:
        """Poll every authoritative server until it serves the change; {ns: "serial N,
        T ms"}, or StepFailed(step, <first lagging ns>) after `timeout`."""
        return propagation.wait_until_visible(
            self, change, timeout=timeout, step=step, interval=interval
        )

    # --- internals ---------------------------------------------------------------------

    def _authoritative(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, server: str
    ) -> dns.message.Message:
        response = self._queries.ask(name, rdtype, server)
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise StepFailed(SOURCE, server, rcode_reason(rcode))
        if not response.flags & dns.flags.AA:
            raise StepFailed(
                SOURCE,
                server,
                f"bukan server otoritatif untuk {self.zone} / not authoritative for {self.zone}",
            )
        return response

    def _address_of(self, target: dns.name.Name) -> str:
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = self._queries.ask(target, rdtype, self.primary)
            for rrset in response.answer:
                if rrset.rdtype == rdtype and rrset.name == target:
                    return str(rrset[0].address)
        raise StepFailed(
            SOURCE, self.primary, f"alamat {target} tidak diketahui / no address for {target}"
        )


class DnsZones:
    """One DnsAdapter per zone, chosen by the name a change is about."""

    def __init__(
        self, adapters: dict[str, DnsAdapter], primary_names: dict[str, str] | None = None
    ) -> None:
        self.adapters = adapters
        self.primary_names = primary_names or {}

    @classmethod
    def from_config(cls, config: DnsConfig) -> DnsZones:
        """Build every zone's adapter (each loads its own TSIG key)."""
        adapters = {
            z.zone: DnsAdapter(
                zone=z.zone,
                primary=z.primary,
                key=TsigKey.load(z.tsig_key_file),
                timeout=config.timeout,
            )
            for z in config.zones
        }
        names = {z.zone: z.primary_name for z in config.zones if z.primary_name}
        return cls(adapters, names)

    def primary_label(self, zone: str) -> str:
        """ "ns1.demokab.go.id (127.0.2.53)" when the primary's name is known, else its address."""
        adapter = self.for_zone(zone)
        name = self.primary_names.get(adapter.zone)
        return f"{name} ({adapter.primary})" if name else adapter.primary

    def __repr__(self) -> str:
        return f"DnsZones({sorted(self.adapters)})"

    @property
    def zones(self) -> list[str]:
        return sorted(self.adapters)

    def zone_of(self, fqdn: str) -> str:
        """The configured zone that holds `fqdn` (InvalidInput if none does)."""
        name = normalise_name(fqdn)
        matches = [z for z in self.adapters if name == z or name.endswith("." + z)]
        if not matches:
            raise InvalidInput(
                "name",
                f"{name} tidak berada di zona yang dikelola ({', '.join(self.zones)}) / "
                f"{name} is in none of the managed zones ({', '.join(self.zones)})",
            )
        return max(matches, key=len)

    def for_name(self, fqdn: str) -> DnsAdapter:
        """The adapter of the zone holding `fqdn`."""
        return self.adapters[self.zone_of(fqdn)]

    def for_zone(self, zone: str) -> DnsAdapter:
        """The adapter of a configured zone."""
        try:
            return self.adapters[normalise_name(zone)]
        except KeyError:
            raise InvalidInput(
                "zone",
                f"Zona {zone} tidak dikelola / The zone {zone} is not managed",
            ) from None
