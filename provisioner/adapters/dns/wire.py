"""Between dnspython and the project's terms: record values in their canonical spelling,
the raw wire form of the cheap sweep queries, and dnspython's errors as the project's own.

Every error names its source as "dns" (the server kind, like "mail" or "ssh"); a caller
that wants its own step name in an error passes it where the adapter takes a `step`.
"""

from __future__ import annotations

import struct
from typing import Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT

from provisioner.domain.errors import ServerUnreachable, StepFailed

SOURCE = "dns"
Verdict = Literal["exists", "absent", "unreachable"]
Answer = tuple[Verdict, list[str]]  # a sweep's verdict on one name, and the values seen
_AA = 0x0400
_NXDOMAIN, _NOERROR = 3, 0


# --- record values -------------------------------------------------------------------


def rdata_of(rtype: str, value: str) -> dns.rdata.Rdata:
    """Build rdata from a canonical value without going through zone-file text for TXT, so
    quotes or backslashes in the text cannot change its meaning."""
    if rtype == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(
            dns.rdataclass.IN, dns.rdatatype.TXT, [value.encode("ascii")]
        )
    if rtype == "CNAME":
        value = value.removesuffix(".") + "."
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value)


def canonical_text(rdata: dns.rdata.Rdata) -> str:
    """Canonical text of an rdata, matching domain.dns_plan.canonical_value."""
    if rdata.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(rdata.address)  # type: ignore[attr-defined]
    if rdata.rdtype == dns.rdatatype.CNAME:
        return str(rdata.target.to_text(omit_final_dot=True)).lower()  # type: ignore[attr-defined]
    if rdata.rdtype == dns.rdatatype.TXT:
        strings = rdata.strings  # type: ignore[attr-defined]
        return b"".join(strings).decode("ascii", "backslashreplace")
    return str(rdata.to_text())


def collect_records(
    response: dns.message.Message, name: dns.name.Name, records: dict[str, list[str]]
) -> None:
    """Add the answer's record sets at `name` to `records` (rtype -> canonical values)."""
    for rrset in response.answer:
        if rrset.name == name:
            values = records.setdefault(dns.rdatatype.to_text(rrset.rdtype), [])
            values.extend(sorted(canonical_text(rdata) for rdata in rrset))


# --- errors ----------------------------------------------------------------------------


def rcode_reason(rcode: dns.rcode.Rcode) -> str:
    text = dns.rcode.to_text(rcode)
    return f"{text}: server menolak atau gagal memproses / the server refused or failed"


def unreachable(server: str, timeout: float, exc: OSError | None = None) -> ServerUnreachable:
    """No answer within `timeout` (exc None) or a transport error (refused, no route)."""
    if exc is None:
        return ServerUnreachable(
            SOURCE,
            server,
            f"tidak menjawab dalam {timeout:g} detik / no answer within {timeout:g} s",
        )
    detail = exc.strerror or type(exc).__name__
    return ServerUnreachable(
        SOURCE, server, f"tidak dapat dihubungi / cannot be reached ({detail})"
    )


def invalid_response(server: str, exc: BaseException) -> StepFailed:
    return StepFailed(
        SOURCE, server, f"jawaban tidak sah / invalid response ({type(exc).__name__})"
    )


def translate(server: str, exc: BaseException, timeout: float) -> StepFailed:
    """A query's failure as the project's error: unreachable, or an invalid response."""
    if isinstance(exc, dns.exception.Timeout):
        return unreachable(server, timeout)
    if isinstance(exc, OSError):
        return unreachable(server, timeout, exc)
    return invalid_response(server, exc)


# --- the sweep's raw wire form -----------------------------------------------------------


def qname_wire(name: str) -> bytes:
    """The wire form of a host name (lower-case), built directly: dnspython's message
    objects cost ~10x more CPU, which is what limits a sweep of 10,000 names."""
    labels = name.lower().rstrip(".").split(".")
    return b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\0"


def query_wire(qid: int, qname: bytes) -> bytes:
    """An A query: id, flags 0 (no recursion wanted: we ask the authority), 1 question."""
    return struct.pack("!6H", qid, 0, 1, 0, 0, 0) + qname + b"\0\1\0\1"


def answers_question(data: bytes, qname: bytes) -> bool:
    """Does the packet carry `qname` (lower-case wire form) as its question?"""
    return len(data) >= 12 + len(qname) and data[12 : 12 + len(qname)].lower() == qname


def header_verdict(data: bytes) -> Answer | None:
    """Verdict from the header alone when no record data needs decoding; None when the
    answer section must be read."""
    flags, _qd, ancount = struct.unpack("!3H", data[2:8])
    rcode = flags & 0x000F
    if not flags & _AA:
        return "unreachable", []
    if rcode == _NXDOMAIN:
        return "absent", []
    if rcode != _NOERROR:
        return "unreachable", []
    if ancount == 0:
        return "exists", []  # the name exists (NODATA for A)
    return None


def message_verdict(response: dns.message.Message) -> Answer:
    if not response.flags & dns.flags.AA:
        return "unreachable", []
    if response.rcode() == dns.rcode.NXDOMAIN:
        return "absent", []
    if response.rcode() != dns.rcode.NOERROR:
        return "unreachable", []
    return "exists", sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)


def sweep_verdict(outcome: bytes | Exception) -> Answer:
    """One server's verdict on one swept name: absent only on an authoritative NXDOMAIN."""
    if isinstance(outcome, Exception):
        return "unreachable", []
    verdict = header_verdict(outcome)
    if verdict is not None:
        return verdict
    try:
        return message_verdict(dns.message.from_wire(outcome))
    except dns.exception.DNSException:
        return "unreachable", []
