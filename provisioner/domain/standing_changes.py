"""What a provisioning job that stopped part-way leaves standing on the servers, in words,
and which of its steps an undo takes back (pure: it reads the job's journal).

A step that is done left its change (DNS records written, a database created, a vhost on
web-dev …). A step that failed leaves its server as it was where it is all-or-none (the
database step); where it is not, part of its change may stand (DNS written but not yet
visible everywhere, a vhost whose deploy failed, a certificate whose HTTPS vhost was
refused) and undoing it is harmless, so it is listed as "may stand in part". Checks and
letters change no server. A step the undo is taking back ("undoing") still stands until it
is "undone".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from provisioner.domain.dns_plan import DnsPlan
from provisioner.domain.jobs import JobState, StepStatus

# Jobs whose steps' undo takes back exactly what the job made (a deploy job's site_dev undo
# would remove the whole site, not the one release the job added).
UNDOABLE_KINDS = frozenset({"provision", "provision_dev", "provision_prod"})
UNDOABLE_STATES = frozenset({JobState.FAILED, JobState.CANCELLED})
# Steps that are not all-or-none: a failure may leave part of their change. A cancel stops a
# playbook where it is, before the database role's own clean-up can run: then that one too.
_PARTIAL_WHEN_FAILED = frozenset({"dns", "site_dev", "site_prod", "cert_prod", "tls_prod"})
_PARTIAL_WHEN_CANCELLED = _PARTIAL_WHEN_FAILED | {"database"}
_STANDING = frozenset({StepStatus.DONE, StepStatus.UNDOING})


class JournalStep(Protocol):
    """What this module reads of a journal row (a table row or a read model)."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def server(self) -> str | None: ...
    @property
    def outputs(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class StandingChange:
    step: str
    server: str
    text: str  # "Indonesian / English"
    items: tuple[str, ...]  # what exactly, e.g. each DNS record
    partial: bool  # the step failed: part of its change may stand
    undoing: bool  # an undo of it was asked for and has not finished


def standing_changes(
    kind: str,
    steps: Iterable[JournalStep],
    plan: Mapping[str, Any] | None = None,
    *,
    cancelled: bool = False,
) -> tuple[StandingChange, ...]:
    """The changes a provisioning job's journal says stand, in the order they were made;
    empty for other kinds of job. `plan` (the approved plan) names what a failed step
    was about to change; `cancelled`: the job was stopped mid-step."""
    if kind not in UNDOABLE_KINDS:
        return ()
    maybe_partial = _PARTIAL_WHEN_CANCELLED if cancelled else _PARTIAL_WHEN_FAILED
    found: list[StandingChange] = []
    for step in steps:
        status = StepStatus(step.status)
        partial = status == StepStatus.FAILED and step.name in maybe_partial
        if status not in _STANDING and not partial:
            continue
        if status == StepStatus.UNDOING and not step.outputs:
            partial = True  # it was a failed step when the undo was asked for
        change = _describe(
            step,
            dict(step.outputs or {}),
            plan or {},
            partial=partial,
            undoing=status == StepStatus.UNDOING,
        )
        if change is not None:
            found.append(change)
    return tuple(found)


def can_undo(kind: str, state: str, changes: tuple[StandingChange, ...]) -> bool:
    """Whether an undo may be asked for: a provisioning job that failed or was cancelled
    and left something standing."""
    return kind in UNDOABLE_KINDS and state in UNDOABLE_STATES and bool(changes)


@dataclass(frozen=True)
class _Seen:
    """What the journal says of one step, as the describers below read it."""

    step: JournalStep
    out: dict[str, Any]
    hosting: Mapping[str, Any]
    plan: Mapping[str, Any]
    server: str
    partial: bool
    undoing: bool

    def change(self, server: str, text: str, items: tuple[str, ...]) -> StandingChange:
        return StandingChange(self.step.name, server, text, items, self.partial, self.undoing)


def _dns(seen: _Seen) -> StandingChange:
    verified = seen.out.get("verified_on") or {}
    servers = sorted({ns for by_ns in verified.values() for ns in (by_ns or {})})
    items = tuple(seen.out.get("records") or _planned_records(seen.plan))
    text = (
        "Rekaman DNS mungkin sebagian tertulis / DNS records may have been written in part"
        if seen.partial else "Rekaman DNS tertulis / DNS records written"
    )  # fmt: skip
    return seen.change(", ".join(servers) or "DNS", text, items)


def _database(seen: _Seen) -> StandingChange:
    db = seen.hosting.get("database") or {}
    name = seen.out.get("database") or db.get("name")
    user = seen.out.get("user") or db.get("user")
    host = seen.server or str(db.get("host") or "")
    made_id, made_en = (
        ("mungkin sebagian dibuat", "may have been created in part")
        if seen.partial
        else ("dibuat", "created")
    )
    text = (
        f"Basis data {name} dan pengguna {user} {made_id} di {host} / "
        f"Database {name} and user {user} {made_en} on {host}"
    )
    return seen.change(host, text, (f"{name} ({user})",))


def _site(seen: _Seen) -> StandingChange:
    server = seen.server
    fqdn = seen.out.get("fqdn") or _planned_vhost(seen.hosting, server, seen.step.name)
    release = seen.out.get("release") or seen.out.get("commit", "")[:12]
    items = (f"vhost {fqdn}", f"release {release}") if release else (f"vhost {fqdn}",)
    if seen.partial:
        text = (
            f"Vhost {fqdn} (pengguna situs, pool PHP-FPM, direktori) mungkin sebagian "
            f"tertinggal di {server} / Vhost {fqdn} (site user, PHP-FPM pool, tree) may "
            f"stand in part on {server}"
        )
    else:
        text = (
            f"Vhost {fqdn} dengan pengguna situs, pool PHP-FPM, direktori dan rilisnya "
            f"di {server} / Vhost {fqdn} with its site user, PHP-FPM pool, tree and "
            f"release on {server}"
        )
    return seen.change(server, text, items)


def _tls(seen: _Seen) -> StandingChange | None:
    if not seen.partial and seen.out.get("status") in ("not_planned", "unavailable"):
        return None  # no certificate was issued, no HTTPS vhost enabled
    targets = list(seen.hosting.get("tls") or [])
    fqdn = seen.out.get("fqdn") or (targets[0]["fqdn"] if targets else "")
    server = seen.server
    if seen.partial:
        text = (
            f"Sertifikat TLS dan vhost HTTPS {fqdn} mungkin sebagian tertinggal di {server}"
            f" / TLS certificate and HTTPS vhost {fqdn} may stand in part on {server}"
        )
    else:
        text = (
            f"Sertifikat TLS dan vhost HTTPS {fqdn} di {server} / "
            f"TLS certificate and HTTPS vhost {fqdn} on {server}"
        )
    return seen.change(server, text, (f"certificate {fqdn}",))


def _certificate(seen: _Seen) -> StandingChange | None:
    if not seen.partial and seen.out.get("status") in ("not_planned", "unavailable"):
        return None  # no certificate was issued
    targets = list(seen.hosting.get("tls") or [])
    fqdn = seen.out.get("fqdn") or (targets[0]["fqdn"] if targets else "")
    server = seen.server
    made_id, made_en = (
        ("mungkin sudah diterbitkan", "may have been issued") if seen.partial
        else ("diterbitkan", "issued")
    )  # fmt: skip
    text = (
        f"Sertifikat TLS {fqdn} {made_id} di {server} / TLS certificate {fqdn} {made_en} "
        f"on {server}"
    )
    return seen.change(server, text, (f"certificate {fqdn}",))


_DESCRIBERS: dict[str, Callable[[_Seen], StandingChange | None]] = {
    "dns": _dns,
    "database": _database,
    "site_dev": _site,
    "site_prod": _site,
    "cert_prod": _certificate,
    "tls_prod": _tls,
}


def _describe(
    step: JournalStep,
    out: dict[str, Any],
    plan: Mapping[str, Any],
    *,
    partial: bool,
    undoing: bool,
) -> StandingChange | None:
    describe = _DESCRIBERS.get(step.name)
    if describe is None:
        return None  # checks and letters change no server
    hosting = plan.get("hosting") or {}
    server = step.server or str(out.get("host") or "")
    return describe(_Seen(step, out, hosting, plan, server, partial, undoing))


def _planned_records(plan: Mapping[str, Any]) -> list[str]:
    return DnsPlan.from_dict(plan["dns"]).summary() if plan.get("dns") else []


def _planned_vhost(hosting: Mapping[str, Any], server: str, step: str) -> str:
    vhosts = list(hosting.get("vhosts") or [])
    for vhost in vhosts:
        if vhost.get("host") == server:
            return str(vhost.get("fqdn"))
    index = 0 if step == "site_dev" else -1
    return str(vhosts[index].get("fqdn")) if vhosts else ""
