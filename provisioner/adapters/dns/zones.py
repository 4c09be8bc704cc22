"""Several zones, each with its own primary, name servers and TSIG key.

The zones come from `settings.zones_path` (`zones_file`, a YAML or JSON list of
`{zone, primary, tsig_key_file}`, key paths relative to the file; by default the lab's
`secrets/zones.json`) or, without one, the single zone of the DNS settings. A change is
sent to the adapter of the zone that holds its name (the longest matching zone, so a
delegated sub-zone wins over its parent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from provisioner.adapters.dns.adapter import DnsAdapter, TsigKey
from provisioner.config import Settings
from provisioner.domain.dns_plan import normalise_name
from provisioner.domain.errors import InvalidInput


@dataclass(frozen=True)
class ZoneConfig:
    """Where one zone's updates go and the key that signs them (a path, never the secret)."""

    zone: str
    primary: str
    tsig_key_file: Path
    primary_name: str | None = None  # e.g. "ns1.demokab.go.id", for messages


def load_zones(settings: Settings) -> list[ZoneConfig]:
    """The configured zones; the settings' single zone when no zones file is set."""
    if settings.zones_path is None:
        return [ZoneConfig(settings.zone, settings.dns_primary, settings.tsig_key_path)]
    path = Path(settings.zones_path)
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


class DnsZones:
    """One DnsAdapter per zone, chosen by the name a change is about."""

    def __init__(
        self, adapters: dict[str, DnsAdapter], primary_names: dict[str, str] | None = None
    ) -> None:
        self.adapters = adapters
        self.primary_names = primary_names or {}

    @classmethod
    def from_settings(cls, settings: Settings) -> DnsZones:
        """Build every zone's adapter (each loads its own TSIG key)."""
        zones = load_zones(settings)
        adapters = {
            z.zone: DnsAdapter(
                zone=z.zone,
                primary=z.primary,
                key=TsigKey.load(z.tsig_key_file),
                timeout=settings.dns_timeout,
            )
            for z in zones
        }
        return cls(adapters, {z.zone: z.primary_name for z in zones if z.primary_name})

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
