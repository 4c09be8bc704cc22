"""The one UDP query engine. Questions go straight to each authoritative server — never
through a resolver, whose cache would answer for the past.

`exchange` pipelines any number of questions over one connected UDP socket per server, at
most `concurrency` in flight, answers matched by message id and question name, with
`retries` retransmissions after `timeout`. Connected sockets make an ICMP "port
unreachable" fail at once instead of waiting for the timeout. On top of it, `QueryEngine`
asks one question of several servers at once (a round costs one timeout at worst, without
threads; TCP when an answer is truncated) and sweeps many names (liveness of thousands of
sites). A server that does not answer is "unreachable", never "absent".
"""

from __future__ import annotations

import secrets
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from provisioner.adapters.dns.wire import (
    Answer,
    answers_question,
    collect_records,
    qname_wire,
    query_wire,
    rcode_reason,
    sweep_verdict,
    translate,
)
from provisioner.domain.errors import StepFailed

Outcome = bytes | Exception  # an answer's wire form, or why there is none
_TICK = 0.02  # seconds between deadline checks while waiting


@dataclass(frozen=True)
class NameAnswer:
    """What one server answered for one name: the RCODE and the records at that name
    (rtype -> canonical values; a CNAME appears as "CNAME"; wildcard-synthesised answers
    are included, because for the requester the name is then just as taken)."""

    server: str
    rcode: str
    records: dict[str, list[str]] = field(default_factory=dict)
    authoritative: bool = True


@dataclass(frozen=True)
class Question:
    """One question to one server: `key` names it in the results; `build(id)` is its wire
    form with that message id; `qname` the question name's lower-case wire form."""

    key: Hashable
    server: str
    qname: bytes
    build: Callable[[int], bytes]


@dataclass
class _Flight:
    question: Question
    wire: bytes
    deadline: float
    tries_left: int


class _Exchange:
    """One run of `exchange`: its sockets, what is in flight, what came back."""

    def __init__(self, questions: Iterable[Question], *, port: int, timeout: float,
                 retries: int, concurrency: int) -> None:  # fmt: skip
        self.waiting = deque(questions)
        self.port, self.timeout, self.retries = port, timeout, retries
        self.concurrency = max(1, concurrency)
        self.results: dict[Hashable, Outcome] = {}
        self.inflight: dict[tuple[str, int], _Flight] = {}
        self.sockets: dict[str, socket.socket] = {}
        self.next_id: dict[str, int] = {}
        self.selector = selectors.DefaultSelector()

    def run(self) -> dict[Hashable, Outcome]:
        try:
            while self.waiting or self.inflight:
                self._send_more()
                for key, _ in self.selector.select(timeout=_TICK):
                    self._drain(key.data)
                self._expire()
        finally:
            self.selector.close()
            for sock in self.sockets.values():
                sock.close()
        return self.results

    def _socket(self, server: str) -> socket.socket:
        sock = self.sockets.get(server)
        if sock is None:
            sock = socket.socket(dns.inet.af_for_address(server), socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.connect((server, self.port))
            except OSError:
                sock.close()
                raise
            self.sockets[server] = sock
            self.selector.register(sock, selectors.EVENT_READ, server)
            self.next_id[server] = secrets.randbelow(65536)
        return sock

    def _new_id(self, server: str) -> int:
        qid = (self.next_id[server] + 1) % 65536
        while (server, qid) in self.inflight:
            qid = (qid + 1) % 65536
        self.next_id[server] = qid
        return qid

    def _send_more(self) -> None:
        while self.waiting and len(self.inflight) < self.concurrency:
            question = self.waiting.popleft()
            try:
                self._socket(question.server)
            except (OSError, ValueError) as exc:  # ValueError: not an address
                self.results[question.key] = exc
                continue
            qid = self._new_id(question.server)
            flight = _Flight(
                question, question.build(qid), time.monotonic() + self.timeout, self.retries
            )
            self.inflight[(question.server, qid)] = flight
            self._transmit((question.server, qid), flight)

    def _transmit(self, key: tuple[str, int], flight: _Flight) -> None:
        """Send; a lost send is retried at the deadline while tries are left."""
        try:
            self.sockets[key[0]].send(flight.wire)
        except BlockingIOError:
            pass
        except OSError as exc:
            if flight.tries_left == 0:
                del self.inflight[key]
                self.results[flight.question.key] = exc

    def _drain(self, server: str) -> None:
        sock = self.sockets[server]
        while True:
            try:
                data = sock.recv(65535)
            except BlockingIOError:
                return
            except OSError as exc:  # ICMP "port unreachable": the server is down
                for key in [k for k in self.inflight if k[0] == server]:
                    self.results[self.inflight.pop(key).question.key] = exc
                return
            self._match(server, data)

    def _match(self, server: str, data: bytes) -> None:
        if len(data) < 12:
            return
        key = (server, int.from_bytes(data[:2], "big"))
        flight = self.inflight.get(key)
        if flight is None or not answers_question(data, flight.question.qname):
            return  # late, duplicated or not ours
        del self.inflight[key]
        self.results[flight.question.key] = data

    def _expire(self) -> None:
        now = time.monotonic()
        for key, flight in list(self.inflight.items()):
            if flight.deadline > now:
                continue
            if flight.tries_left > 0:
                flight.tries_left -= 1
                flight.deadline = now + self.timeout
                self._transmit(key, flight)
            else:
                del self.inflight[key]
                no_answer = dns.exception.Timeout()  # type: ignore[no-untyped-call]
                self.results[flight.question.key] = no_answer


def exchange(
    questions: Iterable[Question],
    *,
    port: int = 53,
    timeout: float = 2.0,
    retries: int = 0,
    concurrency: int = 256,
) -> dict[Hashable, Outcome]:
    """Every question's answer (wire form) or the exception that stands for none:
    dns.exception.Timeout, an OSError of the transport, ValueError for a bad address."""
    return _Exchange(
        questions, port=port, timeout=timeout, retries=retries, concurrency=concurrency
    ).run()


class QueryEngine:
    """Queries for one port and time-out; every failure becomes the project's error."""

    def __init__(self, *, timeout: float = 2.0, port: int = 53) -> None:
        self.timeout = timeout
        self.port = port

    def ask(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, server: str
    ) -> dns.message.Message:
        """One query to one server; raises StepFailed/ServerUnreachable."""
        answer = self.ask_each(name, rdtype, [server])[server]
        if isinstance(answer, StepFailed):
            raise answer
        return answer

    def ask_each(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, servers: Iterable[str]
    ) -> dict[str, dns.message.Message | StepFailed]:
        """The same question to every server at once, answers collected before one shared
        deadline. RD stays set: BIND's default minimal-responses then leaves out the
        authority and glue sections, which halves dnspython's parse time. Safe, because
        only answers with the AA flag are trusted."""
        queries = {server: dns.message.make_query(name, rdtype) for server in servers}
        qname = name.to_digestable()
        outcomes = exchange(
            [Question(s, s, qname, _with_id(q)) for s, q in queries.items()],
            port=self.port, timeout=self.timeout, concurrency=len(queries),
        )  # fmt: skip
        return {s: self._decode(s, q, outcomes[s]) for s, q in queries.items()}

    def _decode(
        self, server: str, query: dns.message.Message, outcome: Outcome
    ) -> dns.message.Message | StepFailed:
        if isinstance(outcome, Exception):
            return translate(server, outcome, self.timeout)
        try:
            response = dns.message.from_wire(outcome)
            if not query.is_response(response):
                raise dns.query.BadResponse
            if response.flags & dns.flags.TC:
                response = dns.query.tcp(query, server, timeout=self.timeout, port=self.port)
        except (dns.exception.DNSException, OSError) as exc:
            return translate(server, exc, self.timeout)
        return response

    def lookup(self, fqdn: str, server: str) -> NameAnswer:
        """Ask `server` (an address) about `fqdn` directly. Raises ServerUnreachable when it
        does not answer within the timeout."""
        name = dns.name.from_text(fqdn)
        first = self.ask(name, dns.rdatatype.A, server)
        answer = NameAnswer(
            server=server,
            rcode=dns.rcode.to_text(first.rcode()),
            authoritative=bool(first.flags & dns.flags.AA),
        )
        if first.rcode() != dns.rcode.NOERROR:
            return answer
        collect_records(first, name, answer.records)
        if "CNAME" not in answer.records:  # a CNAME owns the name: nothing else lives there
            for rdtype in (dns.rdatatype.AAAA, dns.rdatatype.TXT):
                collect_records(self.ask(name, rdtype, server), name, answer.records)
        return answer

    def presence(self, fqdn: str, servers: Mapping[str, str]) -> dict[str, str]:
        """Per server (name -> address): "absent" (NXDOMAIN only), "exists" (any data, a
        CNAME, a wildcard, or NOERROR without data), or "unreachable: <reason>"; all asked
        at once, so the call is bounded by one timeout however many do not answer."""
        answers = self.ask_each(dns.name.from_text(fqdn), dns.rdatatype.A, servers.values())
        return {ns: _presence(answers[address]) for ns, address in servers.items()}

    def sweep(
        self,
        names: Sequence[str],
        servers: Mapping[str, str],
        *,
        concurrency: int = 256,
        timeout: float = 1.0,
        retries: int = 1,
    ) -> dict[str, dict[str, Answer]]:
        """{name: {ns name: (verdict, values)}} for every name on every server in `servers`
        (ns name -> address), at most `concurrency` queries in flight in total; verdicts
        come from the header alone where no record needs decoding."""
        qnames = {name: qname_wire(name) for name in names}
        keys = [(name, ns) for name in names for ns in servers]
        outcomes = exchange(
            [Question(k, servers[k[1]], qnames[k[0]], _sweep_query(qnames[k[0]])) for k in keys],
            port=self.port, timeout=timeout, retries=retries, concurrency=concurrency,
        )  # fmt: skip
        result: dict[str, dict[str, Answer]] = {name: {} for name in names}
        for name, ns in keys:
            result[name][ns] = sweep_verdict(outcomes[(name, ns)])
        return result


def _with_id(query: dns.message.Message) -> Callable[[int], bytes]:
    def build(qid: int) -> bytes:
        query.id = qid
        return query.to_wire()

    return build


def _sweep_query(qname: bytes) -> Callable[[int], bytes]:
    return lambda qid: query_wire(qid, qname)


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
    return f"unreachable: {rcode_reason(rcode)}"
