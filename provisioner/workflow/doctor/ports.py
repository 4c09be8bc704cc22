"""What the doctor needs from the servers, as protocols; the composition root hands in the
adapters that fill them (provisioner/bootstrap/doctor.py, build_doctor)."""

from __future__ import annotations

from typing import Protocol

from provisioner.domain.doctor import InventoryHost, ShellOutcome


class Shell(Protocol):
    """A command on an inventory host over SSH (adapters.remote_shell.RemoteShell)."""

    def run(
        self, host: InventoryHost, command: str, *, stdin: str | None = None,
        as_root: bool = True, timeout: float | None = None,
    ) -> ShellOutcome: ...  # fmt: skip


class NameServerReads(Protocol):
    """The zone's NS set with addresses, and its SOA serial on one server
    (adapters.dns.zones.DnsAdapter)."""

    def nameservers(self) -> dict[str, str]: ...

    def soa_serial(self, server: str) -> int: ...


class ProbeFacts(Protocol):
    """What the update probe did (adapters.dns.probe.ProbeOutcome)."""

    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def detail(self) -> str: ...

    @property
    def seconds(self) -> float: ...

    @property
    def leftovers(self) -> int: ...


class UpdateProbe(Protocol):
    """Adds and removes a harmless record with the zone's key (adapters.dns.probe.ZoneProbe)."""

    def run(self) -> ProbeFacts: ...


class ZoneOpener(Protocol):
    """A zone's reads and its update probe, built with its key (ProvisionerError when the
    key cannot be loaded)."""

    def __call__(self, zone: str) -> tuple[NameServerReads, UpdateProbe]: ...


class ServiceFacts(Protocol):
    """Whether a service answered (adapters.service_probes.ServiceAnswer)."""

    @property
    def ok(self) -> bool: ...

    @property
    def detail(self) -> str: ...

    @property
    def seconds(self) -> float: ...
