"""DNS adapter: queries the zone's authoritative servers and changes records on the primary.

dnspython only. Updates are RFC 2136 over TCP, signed with TSIG and guarded by
prerequisites, so a record someone else changed in the meantime is never overwritten.
Queries go over UDP (TCP when truncated) straight to each authoritative server — never
through a resolver, whose cache would answer for the past.

Every dnspython error is translated here into provisioner.domain.errors; the TSIG secret
never appears in a repr, an exception or a log line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update
import dns.xfr
import dns.zone

from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServerUnreachable,
    StepFailed,
)

log = logging.getLogger(__name__)

# Update RCODEs that mean "a prerequisite did not hold" (RFC 2136 §3.2.5): the zone is not
# in the state the plan was made for.
_PREREQUISITE_FAILED = frozenset(
    {dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN, dns.rcode.YXRRSET, dns.rcode.NXRRSET}
)
_TSIG_PEER_ERRORS: dict[type[Exception], str] = {
    dns.tsig.PeerBadSignature: "BADSIG",
    dns.tsig.PeerBadKey: "BADKEY",
    dns.tsig.PeerBadTime: "BADTIME",
    dns.tsig.PeerBadTruncation: "BADTRUNC",
}
_SERIAL_HALF = 2**31


class _RedactedKey(dns.tsig.Key):
    """dnspython's Key prints its secret in repr(); this one does not."""

    def __repr__(self) -> str:
        return f"<TSIG key {self.name} {self.algorithm} (secret hidden)>"

    __str__ = __repr__


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key: name, algorithm (e.g. hmac-sha256) and base64 secret (never shown)."""

    name: str
    algorithm: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        try:
            base64.b64decode(self.secret, validate=True)
            self.dns_key()
        except (binascii.Error, ValueError, dns.exception.DNSException):
            # The message must not echo the secret, so it says only what is wrong.
            raise InvalidInput(
                "tsig_key",
                f"Kunci TSIG {self.name} tidak sah (algoritme atau rahasia base64) / "
                f"The TSIG key {self.name} is invalid (algorithm or base64 secret)",
            ) from None

    @classmethod
    def load(cls, path: Path | str) -> TsigKey:
        """Read {"name", "algorithm", "secret"} from a JSON file (`tsig-keygen` output
        converted by the lab, or written by the agency's DNS administrator)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(name=data["name"], algorithm=data["algorithm"], secret=data["secret"])
        except FileNotFoundError:
            raise NotFound(
                f"Berkas kunci TSIG {path} tidak ditemukan / TSIG key file {path} not found"
            ) from None
        except (OSError, ValueError, KeyError, TypeError):
            raise InvalidInput(
                "tsig_key_file",
                f"Berkas kunci TSIG {path} tidak dapat dibaca sebagai JSON "
                '{"name", "algorithm", "secret"} / The TSIG key file '
                f'{path} is not readable as JSON {{"name", "algorithm", "secret"}}',
            ) from None

    def dns_key(self) -> dns.tsig.Key:
        """The dnspython key object (with a redacted repr)."""
        return _RedactedKey(self.name, self.secret, self.algorithm)


@dataclass(frozen=True)
class NameAnswer:
    """What one server answered for one name: the RCODE and the records at that name
    (rtype -> canonical values; a CNAME appears as "CNAME"; wildcard-synthesised answers
    are included, because for the requester the name is then just as taken)."""

    server: str
    rcode: str
    records: dict[str, list[str]] = field(default_factory=dict)
    authoritative: bool = True


class DnsAdapter:
    """Talks to the authoritative servers of one zone; changes go to the primary only."""

    def __init__(
        self,
        *,
        zone: str,
        primary: str,
        key: TsigKey | None,
        timeout: float = 2.0,
        port: int = 53,
    ) -> None:
        """`key=None` sends unsigned updates; it exists only to prove a server refuses them."""
        self.zone = zone.strip().lower().removesuffix(".")
        self.primary = primary
        self.timeout = timeout
        self.port = port
        self._key = key
        self._origin = dns.name.from_text(self.zone)

    def __repr__(self) -> str:
        key = self._key.name if self._key else "unsigned"
        return f"DnsAdapter(zone={self.zone!r}, primary={self.primary!r}, key={key!r})"

    # --- queries ---------------------------------------------------------------------

    def nameservers(self) -> dict[str, str]:
        """The zone's NS set as the primary serves it, each name resolved to its address
        by the primary (glue or in-zone A record): {"ns1.demokab.go.id": "127.0.2.53"}."""
        response = self._query(self._origin, dns.rdatatype.NS, self.primary)
        self._require_authoritative(response, self.primary)
        targets = sorted(
            rdata.target
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.NS and rrset.name == self._origin
            for rdata in rrset
        )
        if not targets:
            raise StepFailed("dns", self.primary, f"zona {self.zone} tanpa NS / no NS records")
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
        """Ask `server` (an address) about `fqdn` directly. Raises ServerUnreachable when it
        does not answer within the timeout."""
        name = dns.name.from_text(fqdn)
        first = self._query(name, dns.rdatatype.A, server)
        answer = NameAnswer(
            server=server,
            rcode=dns.rcode.to_text(first.rcode()),
            authoritative=bool(first.flags & dns.flags.AA),
        )
        if first.rcode() != dns.rcode.NOERROR:
            return answer
        _collect(first, name, answer.records)
        if "CNAME" not in answer.records:  # a CNAME owns the name: nothing else lives there
            for rdtype in (dns.rdatatype.AAAA, dns.rdatatype.TXT):
                _collect(self._query(name, rdtype, server), name, answer.records)
        return answer

    def availability(self, fqdn: str, servers: Mapping[str, str] | None = None) -> dict[str, str]:
        """Per authoritative server: "absent" (NXDOMAIN only), "exists" (any data, a CNAME,
        a wildcard, or NOERROR without data), or "unreachable: <reason>".

        `servers` (name -> address) defaults to `nameservers()`. All servers are asked at
        once, so the whole call is bounded by one timeout however many do not answer.
        """
        targets = dict(servers) if servers is not None else self.nameservers()
        answers = self._query_many(dns.name.from_text(fqdn), dns.rdatatype.A, targets.values())
        return {ns: _presence(answers[address]) for ns, address in targets.items()}

    def soa_serial(self, server: str) -> int:
        """The zone's SOA serial as `server` serves it authoritatively."""
        response = self._query(self._origin, dns.rdatatype.SOA, server)
        self._require_authoritative(response, server)
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA and rrset.name == self._origin:
                return int(rrset[0].serial)
        raise StepFailed("dns", server, f"tidak ada SOA untuk {self.zone} / no SOA answered")

    # --- changes ---------------------------------------------------------------------

    def transfer(self, server: str | None = None) -> dict[tuple[str, str], list[str]]:
        """The whole zone by AXFR signed with the zone's TSIG key (from the primary unless
        `server` is given): {(name, rtype): sorted canonical values}, names as lower-case
        FQDNs without the trailing dot."""
        server = server or self.primary
        query = dns.message.make_query(self._origin, dns.rdatatype.AXFR)
        if self._key is not None:
            query.use_tsig(self._key.dns_key())
        zone = dns.zone.Zone(self._origin, relativize=False)
        try:
            dns.query.inbound_xfr(
                server, zone, query, port=self.port, timeout=self.timeout,
                lifetime=max(30.0, self.timeout * 10),
            )  # fmt: skip
        except dns.xfr.TransferError as exc:
            raise StepFailed(
                "dns-drift", server, f"transfer zona ditolak / zone transfer refused ({exc})"
            ) from None
        except dns.exception.Timeout:
            raise self._unreachable(server, None) from None
        except OSError as exc:
            raise self._unreachable(server, exc) from None
        except dns.exception.DNSException as exc:
            raise StepFailed(
                "dns-drift",
                server,
                f"transfer zona gagal / zone transfer failed ({type(exc).__name__})",
            ) from None
        records: dict[tuple[str, str], list[str]] = {}
        for name, rdataset in zone.iterate_rdatasets():
            key = (
                name.to_text(omit_final_dot=True).lower(),
                dns.rdatatype.to_text(rdataset.rdtype),
            )
            records[key] = sorted(_text(rdata) for rdata in rdataset)
        return records

    def apply(self, change: RecordChange, *, exclusive: bool = False) -> None:
        """Apply one change on the primary with RFC 2136 prerequisites.

        create: only if the name holds no record of that type and no CNAME (for a CNAME,
        or with `exclusive`: the name must not exist at all). update/delete: only if the
        record set is still exactly `previous` (resp. `value`). Retrying an applied change
        succeeds without touching the zone. Raises Conflict when someone else changed it.
        """
        self.apply_all([change], exclusive={change.name} if exclusive else set())

    def apply_all(self, changes: Iterable[RecordChange], *, exclusive: Iterable[str] = ()) -> None:
        """Apply several changes in ONE update message: RFC 2136 checks every prerequisite
        before it changes anything, so the zone gets all of them or none — a plan is never
        half-written. Creates at a name in `exclusive` need the whole name to be absent.
        If the prerequisites fail because the plan is already in place (a retry), nothing
        is sent again; if anything else stands in the way, Conflict names it.
        """
        changes = list(changes)
        exclusive = set(exclusive)
        update = self._new_update()
        parts = []
        for change in changes:
            name = self._name_in_zone(change.name)
            rdata = _rdata(change.rtype, change.value)
            parts.append((change, name, rdata))
            if change.action == "create":
                if change.rtype == "CNAME" or change.name in exclusive:
                    update.absent(name)
                else:
                    update.absent(name, "CNAME")
                    update.absent(name, change.rtype)
                update.add(name, change.ttl, rdata)
            elif change.action == "update":
                assert change.previous is not None  # RecordChange guarantees it
                update.present(name, _rdata(change.rtype, change.previous))
                update.replace(name, change.ttl, rdata)
            else:
                update.present(name, rdata)
                update.delete(name, change.rtype)
        if not parts:
            return
        rcode = self._send(update)
        if rcode == dns.rcode.NOERROR:
            for change in changes:
                log.info("dns %s: applied", change.summary())
            return
        if rcode in _PREREQUISITE_FAILED:
            pending = [c for c, name, rdata in parts if not self._already_applied(c, name, rdata)]
            if not pending:
                log.info("dns: %d change(s) already in place, nothing sent", len(parts))
                return
            if len(pending) < len(parts):
                # Part in place, part not: the zone moved under us; never guess, report.
                log.warning("dns: only part of the plan is in place; refusing to continue")
            change = pending[0]
            log.warning("dns %s: prerequisite failed (%s)", change.summary(), rcode.name)
            raise Conflict(_conflict_message(change, dns.rcode.to_text(rcode)))
        raise StepFailed("dns", self.primary, _rcode_reason(rcode))

    def wait_until_visible(
        self, change: RecordChange, *, timeout: float, interval: float = 0.05
    ) -> dict[str, str]:
        """Poll every authoritative server until its SOA serial has reached the primary's
        (read now, after the change) and it answers the record as planned (absent after a
        delete). Returns {ns name: "serial N, T ms"}. Raises StepFailed(step="dns-verify",
        server=<first lagging ns>) with what it still answers once `timeout` has passed.
        """
        started = time.monotonic()
        deadline = started + timeout
        target = self.soa_serial(self.primary)
        servers = self.nameservers()
        name = dns.name.from_text(change.name)
        expected = [] if change.action == "delete" else [change.value]
        visible: dict[str, str] = {}
        lagging: dict[str, str] = {}
        while True:
            for ns, address in servers.items():
                if ns in visible:
                    continue
                serial, reason = self._lag(name, change.rtype, expected, address, target)
                if reason is None:
                    elapsed = (time.monotonic() - started) * 1000
                    visible[ns] = f"serial {serial}, {elapsed:.0f} ms"
                    lagging.pop(ns, None)
                else:
                    lagging[ns] = reason
            if not lagging:
                return {ns: visible[ns] for ns in servers}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                ns, reason = next(iter(lagging.items()))
                raise StepFailed("dns-verify", ns, reason)
            time.sleep(min(interval, remaining))

    # --- internals -------------------------------------------------------------------

    def _lag(
        self, name: dns.name.Name, rtype: str, expected: list[str], address: str, target: int
    ) -> tuple[int | None, str | None]:
        """(serial seen, why `address` does not yet show the change — None when it does)."""
        try:
            serial = self.soa_serial(address)
            if _serial_lt(serial, target):
                return serial, f"serial {serial} < {target}"
            response = self._query(name, dns.rdatatype.from_text(rtype), address)
        except StepFailed as exc:
            return None, f"unreachable: {exc.reason}"
        found = sorted(
            _text(rdata)
            for rrset in response.answer
            if rrset.name == name and dns.rdatatype.to_text(rrset.rdtype) == rtype
            for rdata in rrset
        )
        if found != expected:
            shown = f"answers {rtype} {found or 'nothing'}, expected {expected or 'nothing'}"
            return serial, shown
        return serial, None

    def _already_applied(
        self, change: RecordChange, name: dns.name.Name, rdata: dns.rdata.Rdata
    ) -> bool:
        """Ask the primary, atomically, whether the zone already holds the planned result:
        an update message with prerequisites only changes nothing and answers NOERROR
        exactly when they hold."""
        probe = self._new_update()
        if change.action == "delete":
            probe.absent(name, change.rtype)
        else:
            probe.present(name, rdata)  # the whole RRset is exactly {value}
        rcode = self._send(probe)
        if rcode == dns.rcode.NOERROR:
            return True
        if rcode in _PREREQUISITE_FAILED:
            return False
        raise StepFailed("dns", self.primary, _rcode_reason(rcode))

    def _new_update(self) -> dns.update.UpdateMessage:
        keyring = self._key.dns_key() if self._key else None
        return dns.update.UpdateMessage(self._origin, keyring=keyring)

    def _send(self, update: dns.update.UpdateMessage) -> dns.rcode.Rcode:
        """Send an update over TCP to the primary; return the RCODE of the (verified)
        response. TSIG and transport failures become StepFailed/ServerUnreachable."""
        server = self.primary
        try:
            response = dns.query.tcp(update, server, timeout=self.timeout, port=self.port)
        except dns.tsig.PeerError as exc:
            name = _TSIG_PEER_ERRORS.get(type(exc), "TSIG error")
            raise StepFailed(
                "dns",
                server,
                f"{name}: server menolak tanda tangan TSIG / the server "
                "rejected the TSIG signature",
            ) from None
        except (dns.tsig.BadSignature, dns.tsig.BadKey, dns.tsig.BadAlgorithm,
                dns.tsig.BadTime, dns.message.UnknownTSIGKey):  # fmt: skip
            raise StepFailed(
                "dns",
                server,
                "tanda tangan TSIG jawaban tidak sah / the response's TSIG signature is invalid",
            ) from None
        except dns.exception.Timeout:
            raise self._unreachable(server, None) from None
        except OSError as exc:
            raise self._unreachable(server, exc) from None
        except dns.exception.DNSException as exc:
            raise StepFailed(
                "dns", server, f"jawaban tidak sah / invalid response ({type(exc).__name__})"
            ) from None
        return response.rcode()

    def _query(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, server: str
    ) -> dns.message.Message:
        """One query to one server; raises StepFailed/ServerUnreachable."""
        answer = self._query_many(name, rdtype, [server])[server]
        if isinstance(answer, StepFailed):
            raise answer
        return answer

    def _query_many(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, servers: Iterable[str]
    ) -> dict[str, dns.message.Message | StepFailed]:
        """Send the same query to every server at once, then collect the
        answers before one shared deadline: a round costs one timeout at worst, without
        threads. UDP on connected sockets, so an ICMP "port unreachable" fails at once
        instead of waiting for the timeout; TCP when an answer is truncated."""
        expiration = time.time() + self.timeout  # dnspython's clock
        results: dict[str, dns.message.Message | StepFailed] = {}
        with contextlib.ExitStack() as stack:
            in_flight: list[tuple[str, socket.socket, dns.message.Message]] = []
            for server in dict.fromkeys(servers):
                # RD stays set: BIND's default minimal-responses then leaves out the
                # authority and glue sections, which halves dnspython's parse time. Safe,
                # because only answers with the AA flag are trusted.
                query = dns.message.make_query(name, rdtype)
                try:
                    family = dns.inet.af_for_address(server)
                    sock = stack.enter_context(socket.socket(family, socket.SOCK_DGRAM))
                    sock.setblocking(False)
                    sock.connect((server, self.port))
                    dns.query.send_udp(sock, query, (server, self.port), expiration)
                    in_flight.append((server, sock, query))
                except (dns.exception.DNSException, OSError, ValueError) as exc:
                    results[server] = self._query_error(server, exc)
            for server, sock, sent in in_flight:
                try:
                    results[server] = self._receive(server, sock, sent, expiration)
                except (dns.exception.DNSException, OSError) as exc:
                    results[server] = self._query_error(server, exc)
        return results

    def _receive(
        self, server: str, sock: socket.socket, query: dns.message.Message, expiration: float
    ) -> dns.message.Message:
        response: dns.message.Message
        response, _ = dns.query.receive_udp(sock, (server, self.port), expiration, query=query)
        if not query.is_response(response):
            raise dns.query.BadResponse
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, server, timeout=self.timeout, port=self.port)
        return response

    def _query_error(self, server: str, exc: Exception) -> StepFailed:
        if isinstance(exc, dns.exception.Timeout):
            return self._unreachable(server, None)
        if isinstance(exc, OSError):
            return self._unreachable(server, exc)
        return StepFailed(
            "dns", server, f"jawaban tidak sah / invalid response ({type(exc).__name__})"
        )

    def _unreachable(self, server: str, exc: OSError | None) -> ServerUnreachable:
        if exc is None:
            return ServerUnreachable(
                "dns",
                server,
                f"tidak menjawab dalam {self.timeout:g} detik / no answer within "
                f"{self.timeout:g} s",
            )
        detail = exc.strerror or type(exc).__name__
        return ServerUnreachable(
            "dns", server, f"tidak dapat dihubungi / cannot be reached ({detail})"
        )

    def _require_authoritative(self, response: dns.message.Message, server: str) -> None:
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise StepFailed("dns", server, _rcode_reason(rcode))
        if not response.flags & dns.flags.AA:
            raise StepFailed(
                "dns",
                server,
                f"bukan server otoritatif untuk {self.zone} / not authoritative for {self.zone}",
            )

    def _address_of(self, target: dns.name.Name) -> str:
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = self._query(target, rdtype, self.primary)
            for rrset in response.answer:
                if rrset.rdtype == rdtype and rrset.name == target:
                    return str(rrset[0].address)
        raise StepFailed(
            "dns", self.primary, f"alamat {target} tidak diketahui / no address for {target}"
        )

    def _name_in_zone(self, fqdn: str) -> dns.name.Name:
        name = dns.name.from_text(fqdn)
        if not name.is_subdomain(self._origin) or name == self._origin:
            raise InvalidInput(
                "name",
                f"{fqdn} tidak berada di bawah zona {self.zone} / {fqdn} is not "
                f"below the zone {self.zone}",
            )
        return name


def _presence(answer: dns.message.Message | StepFailed) -> str:
    """One server's verdict on a name: absent only on an authoritative NXDOMAIN."""
    if isinstance(answer, StepFailed):
        return f"unreachable: {answer.reason}"
    if not answer.flags & dns.flags.AA:
        return "unreachable: bukan server otoritatif / not authoritative"
    rcode = answer.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return "absent"
    if rcode == dns.rcode.NOERROR:
        return "exists"
    return f"unreachable: {_rcode_reason(rcode)}"


def _rdata(rtype: str, value: str) -> dns.rdata.Rdata:
    """Build rdata from a canonical value without going through zone-file text for TXT, so
    quotes or backslashes in the text cannot change its meaning."""
    if rtype == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(
            dns.rdataclass.IN, dns.rdatatype.TXT, [value.encode("ascii")]
        )
    if rtype == "CNAME":
        value = value.removesuffix(".") + "."
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value)


def _text(rdata: dns.rdata.Rdata) -> str:
    """Canonical text of an rdata, matching domain.dns_plan.canonical_value."""
    if rdata.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(rdata.address)  # type: ignore[attr-defined]
    if rdata.rdtype == dns.rdatatype.CNAME:
        return str(rdata.target.to_text(omit_final_dot=True)).lower()  # type: ignore[attr-defined]
    if rdata.rdtype == dns.rdatatype.TXT:
        strings = rdata.strings  # type: ignore[attr-defined]
        return b"".join(strings).decode("ascii", "backslashreplace")
    return str(rdata.to_text())


def _collect(
    response: dns.message.Message, name: dns.name.Name, records: dict[str, list[str]]
) -> None:
    for rrset in response.answer:
        if rrset.name == name:
            values = records.setdefault(dns.rdatatype.to_text(rrset.rdtype), [])
            values.extend(sorted(_text(rdata) for rdata in rrset))


def _serial_lt(a: int, b: int) -> bool:
    """RFC 1982 serial number arithmetic: is `a` before `b`?"""
    return a != b and (b - a) % 2**32 < _SERIAL_HALF


def _rcode_reason(rcode: dns.rcode.Rcode) -> str:
    text = dns.rcode.to_text(rcode)
    return f"{text}: server menolak atau gagal memproses / the server refused or failed"


def _conflict_message(change: RecordChange, rcode: str) -> str:
    if change.action == "create":
        state_id = "sudah memiliki rekaman lain"
        state_en = "already holds other records"
    else:
        expected = change.previous if change.action == "update" else change.value
        state_id = f"tidak lagi berisi {expected}"
        state_en = f"no longer holds {expected}"
    return (
        f"{change.name} ({change.rtype}) {state_id}; seseorang telah mengubahnya sejak rencana "
        f"dibuat ({rcode}). Buat rencana baru / {change.name} ({change.rtype}) {state_en}; "
        f"someone else changed it since the plan was made ({rcode}). Make a new plan"
    )
