"""Who may do what (pure). Roles follow the SOPs: OPD staff submit, the network team
approves provisioning, the technical team deploys, the approver signs, admins do all."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provisioner.domain.errors import Forbidden


class Role(StrEnum):
    OPD = "opd"
    NETWORK = "network"
    TECHNICAL = "technical"
    APPROVER = "approver"
    ADMIN = "admin"


class Action(StrEnum):
    SUBMIT = "submit"
    VIEW = "view"
    DECIDE = "decide"  # approve or reject a provisioning plan
    OPERATE = "operate"  # retry / resume jobs, deploy


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.SUBMIT: frozenset({Role.OPD, Role.ADMIN}),
    Action.VIEW: frozenset(Role),
    Action.DECIDE: frozenset({Role.NETWORK, Role.ADMIN}),
    Action.OPERATE: frozenset({Role.TECHNICAL, Role.NETWORK, Role.ADMIN}),
}


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    agency: str | None = None


def ensure_allowed(
    actor: Actor,
    action: Action,
    *,
    owner: str | None = None,
    agency: str | None = None,
) -> None:
    """Raise Forbidden unless `actor` may do `action` on a request of `owner`/`agency`."""
    if actor.role not in ALLOWED[action]:
        raise Forbidden(
            f"Peran {actor.role} tidak boleh melakukan '{action}' / "
            f"Role {actor.role} may not '{action}'"
        )
    if action is Action.DECIDE and owner == actor.username:
        raise Forbidden(
            "Tidak boleh menyetujui permohonan sendiri / You cannot decide your own request"
        )
    if actor.role is Role.OPD and agency is not None and actor.agency != agency:
        raise Forbidden("Permohonan ini milik OPD lain / This request belongs to another agency")
