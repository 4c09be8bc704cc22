"""The lab's zone as a Diskominfo's is found: agency records someone made by hand before
provisioner ran — two A records, a CNAME, and a CNAME to a name that does not exist (a
dangling one). The zone template writes them into a new zone file; a lab whose zone was
written before they were there gets them here, as a person would add them: an RFC 2136
update signed with the lab's TSIG key, each only while its name is still absent (so a
record a test changed or removed is never put back over what stands there).

This is the lab playing the world provisioner is installed into, not the product: nothing
in provisioner/ calls it but `lab up` (and tests that need the seed on a running lab).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update

from provisioner.config import Settings
from provisioner.lab.hosts import LAB_ZONE, Role, host_by_name, hosts_with_role

Progress = Callable[[str], None]
TIMEOUT = 3.0


@dataclass(frozen=True)
class HandMadeRecord:
    """One record as zone.j2 spells it: a label of the lab zone, its TTL, type and value."""

    label: str
    ttl: int
    rtype: str
    value: str

    @property
    def fqdn(self) -> str:
        return f"{self.label}.{LAB_ZONE}"


_WEB_PROD = host_by_name("web-prod").address
BROWNFIELD_RECORDS: tuple[HandMadeRecord, ...] = (
    HandMadeRecord("disdukcapil", 300, "A", _WEB_PROD),
    HandMadeRecord("kepegawaian", 3600, "A", _WEB_PROD),
    HandMadeRecord("perpustakaan", 300, "CNAME", f"portal.{LAB_ZONE}."),
    HandMadeRecord("pariwisata", 300, "CNAME", f"pariwisata-lama.{LAB_ZONE}."),  # dangling
)
DANGLING = BROWNFIELD_RECORDS[3]


def seed_brownfield_dns(settings: Settings, progress: Progress = lambda _m: None) -> list[str]:
    """Add each hand-made record whose name is absent from the running lab's zone; the
    names added. A primary that does not answer or refuses is reported, not raised: `lab
    up` reports the name server's own state."""
    primary = hosts_with_role(Role.DNS_PRIMARY)[0].address
    try:
        keyring, key_name = _lab_key(settings.tsig_key_path)
    except (OSError, ValueError, KeyError) as exc:
        progress(f"brownfield DNS: kunci TSIG tidak terbaca / TSIG key unreadable: {exc}")
        return []
    added: list[str] = []
    for record in BROWNFIELD_RECORDS:
        update = dns.update.UpdateMessage(LAB_ZONE, keyring=keyring, keyname=key_name)
        name = dns.name.from_text(record.fqdn)
        update.absent(name)
        update.add(name, record.ttl, record.rtype, record.value)
        try:
            rcode = dns.query.tcp(update, primary, timeout=TIMEOUT).rcode()
        except (dns.exception.DNSException, OSError) as exc:
            progress(f"brownfield DNS: {primary} tidak menjawab / no answer: {exc}")
            return added
        if rcode == dns.rcode.NOERROR:
            added.append(record.fqdn)
        elif rcode != dns.rcode.YXDOMAIN:  # YXDOMAIN: the name stands already, leave it
            progress(f"brownfield DNS: {record.fqdn}: {dns.rcode.to_text(rcode)}")
    if added:
        progress(f"brownfield DNS: rekaman buatan tangan ditambahkan / hand-made records "
                 f"added: {', '.join(added)}")  # fmt: skip
    return added


def _lab_key(path: Path) -> tuple[dict[dns.name.Name, dns.tsig.Key], dns.name.Name]:
    data = json.loads(path.read_text(encoding="utf-8"))
    name = dns.name.from_text(data["name"])
    key = dns.tsig.Key(name, data["secret"], data["algorithm"])
    return {name: key}, name
