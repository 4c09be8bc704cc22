"""Resolve many names on several authoritative servers at once, with bounded concurrency.

For liveness sweeps over thousands of names: one connected UDP socket per server, queries
pipelined with at most `concurrency` in flight, answers matched by message id and name,
one retransmission after `timeout`. Straight to each authoritative server, never a
resolver. A server that does not answer gives "unreachable" for that name, never "absent".
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import time
from collections import deque
from collections.abc import Iterable, Mapping

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

Answer = tuple[str, list[str]]  # ("exists" | "absent" | "unreachable", values)
_AA = 0x0400
_NXDOMAIN, _NOERROR = 3, 0


def _qname(name: str) -> bytes:
    """The wire form of a host name (lower-case), built directly: dnspython's message
    objects cost ~10x more CPU, which is what limits a sweep of 10,000 names."""
    labels = name.lower().rstrip(".").split(".")
    return b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\0"


def _query_wire(qid: int, qname: bytes) -> bytes:
    # id, flags 0 (no recursion wanted: we ask the authority), 1 question; type A, class IN
    return struct.pack("!6H", qid, 0, 1, 0, 0, 0) + qname + b"\0\1\0\1"


def _fast_verdict(data: bytes, qname: bytes) -> Answer | None:
    """Verdict from the header alone when no record data needs decoding; None when the
    answer section must be read (or the packet is not the answer to `qname`)."""
    if len(data) < 12 + len(qname) or data[12 : 12 + len(qname)].lower() != qname:
        return None
    _id, flags, _qd, ancount = struct.unpack("!4H", data[:8])
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


def _verdict(response: dns.message.Message) -> Answer:
    if not response.flags & dns.flags.AA:
        return "unreachable", []
    if response.rcode() == dns.rcode.NXDOMAIN:
        return "absent", []
    if response.rcode() != dns.rcode.NOERROR:
        return "unreachable", []
    return "exists", sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)


def resolve_many(
    names: Iterable[str],
    servers: Mapping[str, str],
    *,
    concurrency: int = 256,
    timeout: float = 1.0,
    retries: int = 1,
    port: int = 53,
) -> dict[str, dict[str, Answer]]:
    """{name: {ns name: (verdict, values)}} for every name on every server in `servers`
    (ns name -> address), at most `concurrency` queries in flight in total."""
    names = list(names)
    qnames = {name: _qname(name) for name in names}
    result: dict[str, dict[str, Answer]] = {name: {} for name in names}
    work = deque((name, ns) for name in names for ns in servers)
    selector = selectors.DefaultSelector()
    socks: dict[str, socket.socket] = {}
    for ns, address in servers.items():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.connect((address, port))
        socks[ns] = sock
        selector.register(sock, selectors.EVENT_READ, ns)
    # (ns, id) -> (name, wire, deadline, tries left)
    inflight: dict[tuple[str, int], tuple[str, bytes, float, int]] = {}
    next_id = dict.fromkeys(servers, 0)
    try:
        while work or inflight:
            while work and len(inflight) < concurrency:
                name, ns = work.popleft()
                qid = next_id[ns] = (next_id[ns] + 1) % 65536
                while (ns, qid) in inflight:
                    qid = next_id[ns] = (qid + 1) % 65536
                wire = _query_wire(qid, qnames[name])
                inflight[(ns, qid)] = (name, wire, time.monotonic() + timeout, retries)
                # A failed send counts as lost: the deadline retries or gives up.
                with contextlib.suppress(OSError):
                    socks[ns].send(wire)
            for key, _ in selector.select(timeout=0.02):
                ns = key.data
                while True:
                    try:
                        data = socks[ns].recv(65535)
                    except BlockingIOError:
                        break
                    except OSError:  # ICMP "port unreachable": the server is down
                        for k in [k for k in inflight if k[0] == ns]:
                            result[inflight.pop(k)[0]][ns] = ("unreachable", [])
                        break
                    if len(data) < 12:
                        continue
                    qid = struct.unpack("!H", data[:2])[0]
                    entry = inflight.get((ns, qid))
                    if entry is None:
                        continue
                    verdict = _fast_verdict(data, qnames[entry[0]])
                    if verdict is None:
                        try:
                            response = dns.message.from_wire(data)
                        except dns.exception.DNSException:
                            continue
                        if not response.question or response.question[0].name != (
                            dns.name.from_text(entry[0])
                        ):
                            continue
                        verdict = _verdict(response)
                    del inflight[(ns, qid)]
                    result[entry[0]][ns] = verdict
            now = time.monotonic()
            for k, (name, wire, deadline, tries) in list(inflight.items()):
                if deadline > now:
                    continue
                if tries > 0:
                    inflight[k] = (name, wire, now + timeout, tries - 1)
                    with contextlib.suppress(OSError):
                        socks[k[0]].send(wire)
                else:
                    del inflight[k]
                    result[name][k[0]] = ("unreachable", [])
    finally:
        selector.close()
        for sock in socks.values():
            sock.close()
    return result
