"""The whole zone by AXFR, signed with the zone's TSIG key: what the drift check compares
with the ownership registry."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.xfr
import dns.zone

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.wire import canonical_text, unreachable
from provisioner.domain.errors import StepFailed

ZoneRecords = dict[tuple[str, str], list[str]]  # (name, rtype) -> sorted canonical values
# (name, rtype) -> (TTL, sorted canonical values): what adopting a record keeps.
ZoneSets = dict[tuple[str, str], tuple[int, list[str]]]


def transfer_zone(
    origin: dns.name.Name,
    server: str,
    key: TsigKey | None,
    *,
    timeout: float,
    port: int,
    step: str,
) -> ZoneRecords:
    """{(name, rtype): sorted canonical values} as `server` serves the zone, names as
    lower-case FQDNs without the trailing dot. A refused or broken transfer is
    StepFailed(step, server); no answer is ServerUnreachable."""
    sets = transfer_zone_sets(origin, server, key, timeout=timeout, port=port, step=step)
    return {rkey: values for rkey, (_ttl, values) in sets.items()}


def transfer_zone_sets(
    origin: dns.name.Name,
    server: str,
    key: TsigKey | None,
    *,
    timeout: float,
    port: int,
    step: str,
) -> ZoneSets:
    """As transfer_zone, with each record set's TTL."""
    query = dns.message.make_query(origin, dns.rdatatype.AXFR)
    if key is not None:
        query.use_tsig(key.dns_key())
    zone = dns.zone.Zone(origin, relativize=False)
    try:
        dns.query.inbound_xfr(
            server, zone, query, port=port, timeout=timeout, lifetime=max(30.0, timeout * 10)
        )
    except dns.xfr.TransferError as exc:
        raise StepFailed(
            step, server, f"transfer zona ditolak / zone transfer refused ({exc})"
        ) from None
    except dns.exception.Timeout:
        raise unreachable(server, timeout) from None
    except OSError as exc:
        raise unreachable(server, timeout, exc) from None
    except dns.exception.DNSException as exc:
        raise StepFailed(
            step, server, f"transfer zona gagal / zone transfer failed ({type(exc).__name__})"
        ) from None
    sets: ZoneSets = {}
    for name, rdataset in zone.iterate_rdatasets():
        rkey = (
            name.to_text(omit_final_dot=True).lower(),
            dns.rdatatype.to_text(rdataset.rdtype),
        )
        sets[rkey] = (int(rdataset.ttl), sorted(canonical_text(rdata) for rdata in rdataset))
    return sets
