"""Who may do what (pure). Roles follow the SOPs: OPD staff submit, the network team
approves plans, the technical team operates jobs and deploys, the approver signs, the admin
manages users — and, by separation of duties, approves no plan. `ALLOWED` is the table in
the README's "People" section (a test compares the two)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provisioner.domain.bilingual import Text
from provisioner.domain.errors import Forbidden


class Role(StrEnum):
    OPD = "opd"
    NETWORK = "network"
    TECHNICAL = "technical"
    APPROVER = "approver"  # the Kepala Dinas: signs letters
    KABID = "kabid"  # the Kepala Bidang: passes a Kadis's disposition on to the team
    ADMIN = "admin"


class Action(StrEnum):
    SUBMIT = "submit"
    VIEW = "view"
    DECIDE = "decide"  # verify, approve, reject or return a plan; DNS drift (network team)
    OPERATE = "operate"  # retry / cancel / undo jobs (technical team)
    PROMOTE = "promote"  # put the commit that passed dev on production (technical team)
    DEPLOY = "deploy"  # deploy to dev, roll production back (technical team)
    SIGN_LETTER = "sign_letter"  # record the approver's approval of a letter
    CORRECT_LETTER = "correct_letter"  # issue a correction that replaces a letter
    RECORD_LETTER = "record_letter"  # upload the TTE-signed letter of record
    MANAGE_USERS = "manage_users"
    AUDIT = "audit"  # read, export and verify the audit log
    DASHBOARD = "dashboard"  # SLA and overdue views across agencies
    SOP_STEP = "sop_step"  # record a step of a request's SOP (the step names who acts)
    EDIT_SOP = "edit_sop"  # pick and edit the SOP definitions
    ADOPT_DNS = "adopt_dns"  # take records the zone already holds into the registry


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.SUBMIT: frozenset({Role.OPD, Role.ADMIN}),
    Action.VIEW: frozenset(Role),
    # Separation of duties: the admin manages accounts and must not approve the plans
    # those accounts ask for; the network team approves, it does not operate jobs.
    Action.DECIDE: frozenset({Role.NETWORK}),
    Action.OPERATE: frozenset({Role.TECHNICAL, Role.ADMIN}),
    Action.DEPLOY: frozenset({Role.TECHNICAL, Role.ADMIN}),
    Action.PROMOTE: frozenset({Role.TECHNICAL, Role.ADMIN}),
    # Only the head of the agency signs: an admin account must not stand in for a signature.
    Action.SIGN_LETTER: frozenset({Role.APPROVER}),
    Action.CORRECT_LETTER: frozenset({Role.APPROVER, Role.ADMIN}),
    Action.RECORD_LETTER: frozenset({Role.OPD, Role.APPROVER, Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.AUDIT: frozenset({Role.ADMIN, Role.APPROVER}),
    Action.DASHBOARD: frozenset(
        {Role.APPROVER, Role.KABID, Role.ADMIN, Role.NETWORK, Role.TECHNICAL}
    ),
    # Every role acts on some SOP step; which step is the definition's (sop_run.ACTS_AS).
    Action.SOP_STEP: frozenset(Role),
    Action.EDIT_SOP: frozenset({Role.ADMIN}),
    # The network team answers for the zone: it alone says whose a found record is.
    Action.ADOPT_DNS: frozenset({Role.NETWORK}),
}

# Roles and actions as people say them (the forbidden page names the action in words).
ROLE_NAMES: dict[Role, Text] = {
    Role.OPD: Text("Petugas OPD", "Agency (OPD) staff"),
    Role.NETWORK: Text("Tim jaringan", "Network team"),
    Role.TECHNICAL: Text("Tim teknis", "Technical team"),
    Role.APPROVER: Text("Pejabat penanda tangan", "Signing official"),
    Role.KABID: Text("Kepala Bidang", "Head of division"),
    Role.ADMIN: Text("Administrator", "Administrator"),
}
ACTION_NAMES: dict[Action, Text] = {
    Action.SUBMIT: Text("mengajukan permohonan", "submit requests"),
    Action.VIEW: Text("melihat permohonan", "view requests"),
    Action.DECIDE: Text(
        "memutuskan rencana (setujui, kembalikan, tolak) dan memperbaiki selisih DNS",
        "decide on plans (approve, return, reject) and repair DNS drift",
    ),
    Action.OPERATE: Text(
        "mengulang, membatalkan atau menarik kembali pekerjaan",
        "retry, cancel or undo jobs",
    ),
    Action.DEPLOY: Text(
        "men-deploy ke server pengembangan atau mengembalikan produksi",
        "deploy to the development server or roll production back",
    ),
    Action.PROMOTE: Text("mempromosikan situs ke produksi", "promote a site to production"),
    Action.SIGN_LETTER: Text("menyetujui surat", "approve letters"),
    Action.CORRECT_LETTER: Text("menerbitkan surat pembetulan", "issue correction letters"),
    Action.RECORD_LETTER: Text("mengunggah surat ber-TTE", "upload TTE-signed letters"),
    Action.MANAGE_USERS: Text(
        "mengelola pengguna, kalender kerja dan batas SLA",
        "manage users, the working calendar and SLA limits",
    ),
    Action.AUDIT: Text("membaca log audit", "read the audit log"),
    Action.DASHBOARD: Text("membuka dasbor tim", "open the staff dashboard"),
    Action.SOP_STEP: Text("mencatat langkah SOP", "record SOP steps"),
    Action.EDIT_SOP: Text("mengubah definisi SOP", "edit SOP definitions"),
    Action.ADOPT_DNS: Text(
        "mengadopsi rekaman DNS yang sudah ada ke registri",
        "adopt existing DNS records into the registry",
    ),
}

# Approvals: separation of duties says the one who asked never approves.
APPROVALS = frozenset({Action.DECIDE, Action.PROMOTE, Action.SIGN_LETTER})


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    agency: str | None = None


def ensure_role(actor: Actor, action: Action) -> None:
    """Raise Forbidden unless the actor's role may do `action` at all (ALLOWED alone: the
    own-request and own-agency rules need the request and are ensure_allowed's)."""
    if actor.role not in ALLOWED[action]:
        role, act = ROLE_NAMES[actor.role], ACTION_NAMES[action]
        raise Forbidden(
            Text(f"{role.id} tidak boleh {act.id}", f"{role.en} may not {act.en}")
        )


def ensure_allowed(
    actor: Actor,
    action: Action,
    *,
    owner: str | None = None,
    agency: str | None = None,
) -> None:
    """Raise Forbidden unless `actor` may do `action` on a request of `owner`/`agency`."""
    ensure_role(actor, action)
    if action in APPROVALS and owner is not None and owner == actor.username:
        raise Forbidden(
            "Tidak boleh menyetujui permohonan sendiri / You cannot decide your own request"
        )
    if actor.role is Role.OPD and agency is not None and actor.agency != agency:
        raise Forbidden("Permohonan ini milik OPD lain / This request belongs to another agency")
