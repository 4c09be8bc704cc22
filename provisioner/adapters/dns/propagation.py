"""Has a change reached every authoritative server? Each one must serve the primary's SOA
serial (RFC 1982 arithmetic) and answer the record as planned (absent after a delete)."""

from __future__ import annotations

import time
from typing import Protocol

import dns.message
import dns.name
import dns.rdatatype

from provisioner.adapters.dns.wire import canonical_text
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.errors import StepFailed

_SERIAL_HALF = 2**31


class ZoneServers(Protocol):
    """What propagation needs of a zone's adapter."""

    primary: str

    def soa_serial(self, server: str) -> int: ...

    def nameservers(self) -> dict[str, str]: ...

    def ask(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, server: str
    ) -> dns.message.Message: ...


def serial_lt(a: int, b: int) -> bool:
    """RFC 1982 serial number arithmetic: is `a` before `b`?"""
    return a != b and (b - a) % 2**32 < _SERIAL_HALF


def wait_until_visible(
    zone: ZoneServers, change: RecordChange, *, timeout: float, step: str, interval: float = 0.05
) -> dict[str, str]:
    """Poll every authoritative server until its SOA serial has reached the primary's
    (read now, after the change) and it answers the record as planned. Returns
    {ns name: "serial N, T ms"}. Raises StepFailed(step, <first lagging ns>) with what it
    still answers once `timeout` has passed."""
    started = time.monotonic()
    deadline = started + timeout
    target = zone.soa_serial(zone.primary)
    servers = zone.nameservers()
    name = dns.name.from_text(change.name)
    expected = [] if change.action == "delete" else [change.value]
    visible: dict[str, str] = {}
    lagging: dict[str, str] = {}
    while True:
        for ns, address in servers.items():
            if ns in visible:
                continue
            serial, reason = _lag(zone, name, change.rtype, expected, address, target)
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
            raise StepFailed(step, ns, reason)
        time.sleep(min(interval, remaining))


def _lag(
    zone: ZoneServers,
    name: dns.name.Name,
    rtype: str,
    expected: list[str],
    address: str,
    target: int,
) -> tuple[int | None, str | None]:
    """(serial seen, why `address` does not yet show the change — None when it does)."""
    try:
        serial = zone.soa_serial(address)
        if serial_lt(serial, target):
            return serial, f"serial {serial} < {target}"
        response = zone.ask(name, dns.rdatatype.from_text(rtype), address)
    except StepFailed as exc:
        return None, f"unreachable: {exc.reason}"
    found = sorted(
        canonical_text(rdata)
        for rrset in response.answer
        if rrset.name == name and dns.rdatatype.to_text(rrset.rdtype) == rtype
        for rdata in rrset
    )
    if found != expected:
        return serial, f"answers {rtype} {found or 'nothing'}, expected {expected or 'nothing'}"
    return serial, None
