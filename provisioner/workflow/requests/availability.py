"""Is a name free? The naming policy, the registry of names, and every authoritative name
server must all agree. A server that does not answer makes the answer "unknown"."""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.domain.naming import NamingPolicy, check_label, suggest_labels
from provisioner.store.db import Store
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.ports import NameServers


@dataclass(frozen=True)
class AvailabilityVerdict:
    label: str
    fqdn: str
    valid: bool
    available: bool | None  # None: a name server did not answer — try again
    reasons: list[str]
    nameservers: dict[str, str] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)


class AvailabilityService:
    def __init__(self, store: Store, dns: NameServers, policy: NamingPolicy, zone: str) -> None:
        self.store = store
        self.dns = dns
        self.policy = policy
        self.zone = zone

    def _claimed(self, label: str) -> bool:
        with self.store.read() as s:
            return requests_repo.name_is_claimed(s, self.zone, label)

    def _taken(self, label: str) -> bool:
        """For suggestions: held in the registry or present on any name server."""
        if self._claimed(label):
            return True
        answers = self.dns.availability(f"{label}.{self.zone}")
        return any(a != "absent" for a in answers.values())

    def _suggest(self, label: str, agency: str | None) -> list[str]:
        return suggest_labels(
            label, self._taken, self.policy, zone=self.zone, agency_hint=agency, limit=5
        )

    def check(self, raw_label: str, *, agency: str | None = None) -> AvailabilityVerdict:
        verdict = check_label(raw_label, self.policy, zone=self.zone, agency=agency)
        label = verdict.label
        fqdn = f"{label}.{self.zone}"
        if not verdict.ok:
            return AvailabilityVerdict(
                label,
                fqdn,
                False,
                False,
                list(verdict.reasons),
                suggestions=self._suggest(label, agency) if label else [],
            )
        if self._claimed(label):
            return AvailabilityVerdict(
                label,
                fqdn,
                True,
                False,
                [f"Nama {fqdn} sudah diminta atau dipakai / {fqdn} is already requested or taken"],
                suggestions=self._suggest(label, agency),
            )
        answers = self.dns.availability(fqdn)
        exists = sorted(ns for ns, a in answers.items() if a == "exists")
        down = sorted(ns for ns, a in answers.items() if a.startswith("unreachable"))
        if exists:
            return AvailabilityVerdict(
                label,
                fqdn,
                True,
                False,
                [
                    f"{fqdn} sudah ada di DNS ({', '.join(exists)}) / "
                    f"{fqdn} already exists in DNS ({', '.join(exists)})"
                ],
                answers,
                self._suggest(label, agency),
            )
        if down:
            return AvailabilityVerdict(
                label,
                fqdn,
                True,
                None,
                [
                    f"Server nama tidak menjawab ({', '.join(down)}); coba lagi / "
                    f"Name server did not answer ({', '.join(down)}); try again"
                ],
                answers,
            )
        return AvailabilityVerdict(
            label, fqdn, True, True, [f"{fqdn} tersedia / {fqdn} is available"], answers
        )
