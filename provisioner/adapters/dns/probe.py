"""Can this TSIG key update this zone? Proved the harmless way: one TXT record at a name
no agency can hold (`_provisioner-doctor.<zone>`, an underscore label) is added — only if
the name is absent — and removed again — only if it still holds exactly what was added.

A probe left behind by an interrupted run is removed first, and only when every text it
holds is a probe's. The outcome is a fact (ProbeOutcome); nothing is raised.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Literal

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

from provisioner.adapters.dns.tsig import TsigKey

PROBE_LABEL = "_provisioner-doctor"
PROBE_PREFIX = "provisioner doctor probe"
ProbeStatus = Literal["ok", "bad_signature", "bad_key", "refused", "unreachable", "error"]
_PEER: dict[type[Exception], ProbeStatus] = {
    dns.tsig.PeerBadSignature: "bad_signature",
    dns.tsig.PeerBadKey: "bad_key",
    dns.tsig.PeerBadTime: "bad_signature",
}


@dataclass(frozen=True)
class ProbeOutcome:
    """`status` ok: added and removed (`leftovers` earlier probes removed first); else what
    stopped it, in the server's terms (`detail`)."""

    name: str
    status: ProbeStatus
    detail: str
    seconds: float
    leftovers: int = 0


class _Stop(Exception):
    def __init__(self, status: ProbeStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class ZoneProbe:
    """The probe for one zone: its primary, its key, how long the primary may take."""

    zone: str
    primary: str
    key: TsigKey
    timeout: float = 3.0
    port: int = 53

    @property
    def name(self) -> str:
        return f"{PROBE_LABEL}.{self.zone}"

    def run(self) -> ProbeOutcome:
        """Add the probe record and remove it again, each guarded by a prerequisite."""
        started = time.monotonic()
        origin = dns.name.from_text(self.zone)
        name = dns.name.from_text(self.name)
        text = f"{PROBE_PREFIX} {secrets.token_hex(8)}"
        rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [text.encode()])
        leftovers = 0
        try:
            add = self._update(origin)
            add.absent(name)
            add.add(name, 60, rdata)
            rcode = self._send(add)
            if rcode == dns.rcode.YXDOMAIN:
                leftovers = self._remove_leftovers(origin, name)
                rcode = self._send(add)
            self._expect(rcode, "add")
            remove = self._update(origin)
            remove.present(name, rdata)
            remove.delete(name, dns.rdatatype.TXT)
            self._expect(self._send(remove), "remove")
        except _Stop as stop:
            return ProbeOutcome(self.name, stop.status, stop.detail,
                                time.monotonic() - started, leftovers)  # fmt: skip
        detail = f"TXT {self.name} added and removed on {self.primary}"
        return ProbeOutcome(self.name, "ok", detail, time.monotonic() - started, leftovers)

    def _remove_leftovers(self, origin: dns.name.Name, name: dns.name.Name) -> int:
        """Remove an earlier probe (only if all its texts are a probe's); how many texts."""
        query = dns.message.make_query(name, dns.rdatatype.TXT)
        try:
            response = dns.query.tcp(query, self.primary, timeout=self.timeout, port=self.port)
        except (dns.exception.DNSException, OSError) as exc:
            raise _Stop("unreachable", f"{type(exc).__name__}: {exc}") from None
        rrsets = [r for r in response.answer if r.name == name]
        texts = [b"".join(rd.strings).decode(errors="replace") for r in rrsets for rd in r]
        if not texts or not all(t.startswith(PROBE_PREFIX) for t in texts):
            raise _Stop("error", f"{self.name} holds records that are not a probe's: {texts}")
        cleanup = self._update(origin)
        for rrset in rrsets:
            cleanup.present(name, rrset)
        cleanup.delete(name)
        self._expect(self._send(cleanup), "remove an earlier probe")
        return len(texts)

    def _update(self, origin: dns.name.Name) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(origin, keyring=self.key.dns_key())

    def _send(self, update: dns.update.UpdateMessage) -> dns.rcode.Rcode:
        try:
            response = dns.query.tcp(update, self.primary, timeout=self.timeout, port=self.port)
        except dns.tsig.PeerError as exc:
            status = _PEER.get(type(exc), "bad_signature")
            raise _Stop(status, f"{type(exc).__name__}: the server rejected the key") from None
        except (dns.exception.Timeout, OSError) as exc:
            raise _Stop("unreachable", f"{type(exc).__name__}: {exc}") from None
        except dns.exception.DNSException as exc:
            raise _Stop("error", f"{type(exc).__name__}: {exc}") from None
        return response.rcode()

    @staticmethod
    def _expect(rcode: dns.rcode.Rcode, what: str) -> None:
        if rcode == dns.rcode.NOERROR:
            return
        status: ProbeStatus = "refused" if rcode in (dns.rcode.REFUSED,
                                                     dns.rcode.NOTAUTH) else "error"
        raise _Stop(status, f"{what}: {dns.rcode.to_text(rcode)}")
