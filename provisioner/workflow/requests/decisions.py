"""The network team's decisions on a request — verify (disposition), approve the plan that
was shown (which queues the provisioning job, or carries a change request out), reject —
and the approver's approval of the issued letter. Every decision is recorded with who and
when, and announced as a hand-off after its commit."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.errors import Conflict
from provisioner.domain.jobs import dev_only_steps, provision_steps, site_lock_key
from provisioner.domain.plan import ChangePlan, ProvisionPlan, RequestPlan
from provisioner.domain.requests import REASON_REQUIRED, db_identifiers, required_note
from provisioner.domain.states import RequestState, ensure_transition
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.requests import Request
from provisioner.store.read_models import ApprovalResult, RequestView, job_view, request_view
from provisioner.store.repositories import (
    audit as audit_repo,
    jobs as jobs_repo,
    letters as letters_repo,
    locks as locks_repo,
    people as people_repo,
    requests as requests_repo,
)
from provisioner.store.secrets import SecretBox
from provisioner.workflow.requests.changes import carry_out
from provisioner.workflow.requests.plans import RequestPlans
from provisioner.workflow.requests.transitions import (
    Handoff,
    JobQueued,
    ensure_awaiting_decision,
    move,
)

# An approved deactivation: (the live site's request id, the approver, the requester, the
# reason) — the site's retirement takes it from there.
RetireApproved = Callable[[int, Actor, Actor, str], None]


@dataclass(frozen=True)
class _CarriedOut:
    """An approved change request, and what is announced once its transaction committed."""

    result: ApprovalResult
    kind: str
    change_id: int
    site_request_id: int | None
    reason: str
    requester: Actor


@dataclass(frozen=True)
class RequestDecisions:
    store: Store
    plans: RequestPlans
    secret_key: str  # encrypts the site's database password
    on_job_queued: JobQueued
    on_handoff: Handoff
    on_retire_approved: RetireApproved

    def preview_plan(self, request_id: int) -> RequestPlan:
        """The plan approving the request would carry out (refused when it cannot be)."""
        return self.plans.preview(request_id)

    def verify(
        self, request_id: int, actor: Actor, *, client_ip: str | None = None
    ) -> RequestView:
        """Disposition (SOP step 1): the network team has taken the request up and checked
        it is complete (Diverifikasi). Stops the 30-minute disposition clock."""
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            if req.state != RequestState.SUBMITTED:
                ensure_awaiting_decision(req)
                raise Conflict("Permohonan sudah diverifikasi / The request is already verified")
            move(s, req, RequestState.VERIFIED, actor, "request:verified", client_ip)
            return request_view(req)

    def approve(
        self,
        request_id: int,
        actor: Actor,
        *,
        checksum: str | None = None,
        client_ip: str | None = None,
    ) -> ApprovalResult:
        """Approve the plan that was shown (its checksum may be passed to be sure) and
        queue the provisioning job. A change of target queues its DNS change job; another
        change request is carried out at once (outcome "carried_out", no job)."""
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            ensure_awaiting_decision(req)
            plan = self.plans.plan_for(req)
            digest = plan.checksum()
            if checksum is not None and checksum != digest:
                raise Conflict(
                    "Rencana yang disetujui berbeda dari rencana saat ini; muat ulang / "
                    "The plan you approved differs from the current plan; reload it"
                )
            carried = (
                self._carry_out(s, req, actor, plan, digest, client_ip)
                if isinstance(plan, ChangePlan) else None
            )  # fmt: skip
        if carried is None:
            assert isinstance(plan, ProvisionPlan)
            return self._approve_new(request_id, actor, plan, digest, client_ip)
        if carried.kind == "deactivate" and carried.site_request_id is not None:
            self.on_retire_approved(carried.site_request_id, actor, carried.requester,
                                    carried.reason)  # fmt: skip
        if carried.result.job is not None:
            self.on_job_queued(carried.result.job.id)
        self.on_handoff(carried.change_id, "approved")
        return carried.result

    @staticmethod
    def _carry_out(
        s: Session,
        req: Request,
        actor: Actor,
        plan: ChangePlan,
        digest: str,
        client_ip: str | None,
    ) -> _CarriedOut:
        job = carry_out(s, req, actor, plan, digest, client_ip)
        result = ApprovalResult(
            "job_queued" if job is not None else "carried_out",
            request_view(req),
            job_view(job) if job is not None else None,
        )
        return _CarriedOut(result, req.request_type, req.id, req.subject_request_id,
                           req.purpose, _actor_named(s, req.created_by, req.agency))  # fmt: skip

    def _approve_new(
        self,
        request_id: int,
        actor: Actor,
        plan: ProvisionPlan,
        digest: str,
        client_ip: str | None,
    ) -> ApprovalResult:
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            # Checked again under this transaction's lock: a second approver loses here.
            ensure_awaiting_decision(req)
            if self.plans.plan_for(req).checksum() != digest:
                raise Conflict(
                    "Rencana berubah sejak ditampilkan; muat ulang / "
                    "The plan changed since it was shown; reload it"
                )
            if locks_repo.lock_holder(s, site_lock_key(req.fqdn)) is not None:
                raise Conflict(
                    f"Situs {req.fqdn} sedang dikerjakan oleh pekerjaan lain / "
                    f"Another job is already working on {req.fqdn}"
                )
            req.decided_by = actor.username
            req.decided_at = utcnow()
            req.plan = plan.to_dict()
            req.plan_checksum = digest
            if req.hosting:
                req.db_name, req.db_user = db_identifiers(req.label)
                req.db_password_enc = SecretBox(self.secret_key).encrypt(
                    secrets.token_urlsafe(24)
                )
            held = req.hosting and req.hold_production
            specs = dev_only_steps() if held else provision_steps(
                req.hosting, tls=bool(plan.tls_targets())
            )
            job = jobs_repo.create_job(
                s,
                request_id=req.id,
                kind="provision_dev" if held else "provision",
                lock_key=site_lock_key(req.fqdn),
                steps=[spec.name for spec in specs],
                actor=actor.username,
            )
            move(s, req, RequestState.APPROVED, actor, "request:approved", client_ip,
                 job_id=job.id, detail={"plan_checksum": digest})  # fmt: skip
            done = ApprovalResult("job_queued", request_view(req), job_view(job))
        assert done.job is not None
        self.on_job_queued(done.job.id)
        self.on_handoff(request_id, "approved")
        return done

    def reject(
        self, request_id: int, actor: Actor, reason: str, *, client_ip: str | None = None
    ) -> RequestView:
        """Refuse with a mandatory reason; the name goes back to the pool."""
        reason = required_note("reason", reason, REASON_REQUIRED)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            if req.state != RequestState.RETURNED:
                ensure_awaiting_decision(req)
            ensure_transition(RequestState(req.state), RequestState.REJECTED)
            req.decided_by = actor.username
            req.decided_at = utcnow()
            req.rejection_reason = reason
            requests_repo.release_name(s, req.id)
            move(s, req, RequestState.REJECTED, actor, "request:rejected", client_ip,
                 detail={"reason": reason})  # fmt: skip
            view = request_view(req)
        self.on_handoff(request_id, "rejected")
        return view

    def approve_letter(
        self, request_id: int, actor: Actor, *, client_ip: str | None = None
    ) -> RequestView:
        """Record the approver's approval of the issued letter (not a legal electronic
        signature: that is the TTE through BSrE, uploaded back by the agency)."""
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.SIGN_LETTER, owner=req.created_by)
            letter = letters_repo.letter_for_request(s, request_id)
            if letter is None:
                raise Conflict("Surat belum terbit / No letter issued yet")
            if req.letter_approved_by:
                raise Conflict(
                    f"Surat sudah disetujui oleh {req.letter_approved_by} / "
                    f"The letter was already approved by {req.letter_approved_by}"
                )
            req.letter_approved_by = actor.username
            req.letter_approved_at = utcnow()
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="letter:approved",
                request_id=req.id,
                detail={"number": letter.number, "sha256": letter.sha256},
                client_ip=client_ip,
                after={"letter_approved_by": actor.username},
            )
            return request_view(req)


def _actor_named(s: Session, username: str, agency: str) -> Actor:
    user = people_repo.user_by_name(s, username)
    if user is None:
        return Actor(username, Role.OPD, agency)
    return Actor(user.username, Role(user.role), user.agency)
