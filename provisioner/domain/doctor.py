"""What `provisioner doctor` finds, as data (pure): the hosts it looks at, what a remote
command did, and one line per check — a fact, a verdict, and what to fix when it failed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Verdict = Literal["ok", "fail", "skip"]
# Why an SSH login did not happen, as the adapter read it from the client's own words.
SshFailure = Literal["refused", "timeout", "host_key_unknown", "host_key_changed", "auth", "other"]


@dataclass(frozen=True)
class InventoryHost:
    """One host of the Ansible inventory as provisioner reaches it: the address, the user,
    whether Ansible becomes root there (sudo), and the groups it is in."""

    name: str
    address: str
    user: str = "root"
    become: bool = False
    groups: tuple[str, ...] = ()

    @property
    def login(self) -> str:
        return f"{self.user}@{self.address}"

    def label(self) -> str:
        """ "web-dev (root@127.0.2.11)": how a line of the report names the host."""
        return f"{self.name} ({self.login})"


@dataclass(frozen=True)
class ShellOutcome:
    """What one command on a host did. `failure` is set when SSH itself failed (no login):
    then `rc` is ssh's 255 and `stderr` the client's words."""

    rc: int
    stdout: str
    stderr: str
    failure: SshFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.rc == 0

    def reason(self, limit: int = 300) -> str:
        """The last words the command (or ssh) said, on one line."""
        text = (self.stderr.strip() or self.stdout.strip() or f"exit {self.rc}").splitlines()
        return " ".join(line.strip() for line in text[-3:])[:limit]


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: which check, on what, the fact seen, the verdict, and — for a
    failure — what to fix ("Bahasa Indonesia / English")."""

    check: str
    target: str
    verdict: Verdict
    fact: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def passed(check: str, target: str, fact: str) -> CheckResult:
    return CheckResult(check, target, "ok", fact)


def failed(check: str, target: str, fact: str, fix: str) -> CheckResult:
    return CheckResult(check, target, "fail", fact, fix)


def skipped(check: str, target: str, fact: str) -> CheckResult:
    return CheckResult(check, target, "skip", fact)


@dataclass(frozen=True)
class DoctorReport:
    """Every check's line, in the order they ran; healthy when none failed."""

    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def healthy(self) -> bool:
        return all(r.verdict != "fail" for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.verdict == "fail")

    def as_dict(self) -> dict[str, object]:
        return {"healthy": self.healthy, "results": [r.as_dict() for r in self.results]}


def missing(required: tuple[str, ...], present: set[str]) -> list[str]:
    """The required names not present, in the order they were asked for."""
    return [name for name in required if name not in present]
