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
    DECIDE = "decide"  # approve, reject or return a DNS + hosting plan (network team)
    OPERATE = "operate"  # retry / cancel jobs, deploy to dev, roll back
    PROMOTE = "promote"  # approve promotion to production (technical team)
    DEPLOY = "deploy"  # run deploy / promote / rollback jobs (technical team; hosting-workflow)
    SIGN_LETTER = "sign_letter"  # record the approver's approval of a letter
    MANAGE_USERS = "manage_users"
    AUDIT = "audit"  # read, export and verify the audit log
    DASHBOARD = "dashboard"  # SLA and overdue views across agencies


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.SUBMIT: frozenset({Role.OPD, Role.ADMIN}),
    Action.VIEW: frozenset(Role),
    Action.DECIDE: frozenset({Role.NETWORK, Role.ADMIN}),
    Action.OPERATE: frozenset({Role.TECHNICAL, Role.NETWORK, Role.ADMIN}),
    Action.DEPLOY: frozenset({Role.TECHNICAL, Role.ADMIN}),
    Action.PROMOTE: frozenset({Role.TECHNICAL, Role.ADMIN}),
    # Only the head of the agency signs: an admin account must not stand in for a signature.
    Action.SIGN_LETTER: frozenset({Role.APPROVER}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.AUDIT: frozenset({Role.ADMIN, Role.APPROVER}),
    Action.DASHBOARD: frozenset({Role.APPROVER, Role.ADMIN, Role.NETWORK, Role.TECHNICAL}),
}

# Approvals: separation of duties says the one who asked never approves.
APPROVALS = frozenset({Action.DECIDE, Action.PROMOTE, Action.SIGN_LETTER})


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
    if action in APPROVALS and owner is not None and owner == actor.username:
        raise Forbidden(
            "Tidak boleh menyetujui permohonan sendiri / You cannot decide your own request"
        )
    if actor.role is Role.OPD and agency is not None and actor.agency != agency:
        raise Forbidden("Permohonan ini milik OPD lain / This request belongs to another agency")
