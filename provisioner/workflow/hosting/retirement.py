"""Retiring a site through an approved plan: someone asks (the OPD for its own site, or
Diskominfo's staff), the network team approves the plan it was shown (by checksum) or
rejects it, and a retire job runs it: DNS records, backup, sites, database, then the name
is released and the request becomes retired."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from provisioner.config import Settings
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Conflict, NotFound
from provisioner.domain.jobs import retire_steps, site_lock_key
from provisioner.domain.plan import RetirePlan
from provisioner.domain.requests import REASON_REQUIRED, required_note
from provisioner.domain.states import RequestState
from provisioner.domain.text import check_visible
from provisioner.steps.retire import BACKUP_DIR
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.hosting import Retirement
from provisioner.store.models.requests import Request
from provisioner.store.read_models import JobView, RetirementView, job_view, retirement_view
from provisioner.store.repositories import (
    audit as audit_repo,
    hosting as hosting_repo,
    jobs as jobs_repo,
    requests as requests_repo,
)
from provisioner.workflow.hosting.deployments import ensure_site_idle

RETIRABLE = frozenset({RequestState.LIVE, RequestState.LETTER_ISSUED, RequestState.FAILED})


@dataclass
class RetirementService:
    store: Store
    settings: Settings
    on_job_queued: Callable[[int], None] = field(default=lambda _job_id: None)

    def _plan(self, req: Request) -> RetirePlan:
        st = self.settings
        return RetirePlan.build(
            fqdn=req.fqdn,
            dev_fqdn=st.dev_fqdn(req.label),
            dns_changes=list(((req.plan or {}).get("dns") or {}).get("changes", [])),
            hosting=req.hosting,
            db_name=req.db_name,
            db_user=req.db_user,
            web_dev_host=st.web_dev_host,
            web_prod_host=st.web_prod_host,
            db_host=st.db_host,
            backup_dir=BACKUP_DIR,
        )

    def propose(self, request_id: int, actor: Actor, reason: str = "") -> RetirementView:
        """Write the retirement plan for the network team (an OPD only for its own site)."""
        check_visible("reason", reason, multiline=True)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            if RequestState(req.state) not in RETIRABLE:
                raise Conflict(
                    f"Permohonan berstatus {req.state} tidak dapat dinonaktifkan / "
                    f"A request in state {req.state} cannot be retired"
                )
            current = hosting_repo.open_retirement(s, req.id)
            if current is not None and current.state == "proposed":
                return retirement_view(current)
            plan = self._plan(req)
            row = hosting_repo.add_retirement(
                s, request_id=req.id, state="proposed", plan=plan.to_dict(),
                checksum=plan.checksum(), reason=reason.strip()[:2000],
                proposed_by=actor.username,
            )
            audit_repo.record_event(s, actor=actor.username, action="retire:proposed",
                              request_id=req.id, detail={"checksum": row.checksum})
            return retirement_view(row)

    def current(self, request_id: int, actor: Actor) -> RetirementView:
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            row = hosting_repo.open_retirement(s, request_id)
            if row is None:
                raise NotFound("Belum ada rencana penonaktifan / No retirement plan yet")
            return retirement_view(row)

    def _proposed(self, s: Any, request_id: int) -> tuple[Request, Retirement]:
        req = requests_repo.get_request(s, request_id, lock=True)
        row = hosting_repo.open_retirement(s, request_id)
        if row is None or row.state != "proposed":
            raise Conflict("Tidak ada rencana penonaktifan yang menunggu / "
                           "No retirement plan is waiting for a decision")
        return req, row

    def approve(
        self, request_id: int, actor: Actor, *, checksum: str | None = None
    ) -> JobView:
        """Approve the plan that was shown and queue the retire job (network team)."""
        with self.store.session() as s:
            req, row = self._proposed(s, request_id)
            ensure_allowed(actor, Action.DECIDE, owner=row.proposed_by)
            plan = self._plan(req)
            if plan.checksum() != row.checksum or (checksum and checksum != row.checksum):
                raise Conflict("Rencana berubah sejak ditampilkan; muat ulang / "
                               "The plan changed since it was shown; reload it")
            ensure_site_idle(s, req)
            job = jobs_repo.create_job(
                s, request_id=req.id, kind="retire", lock_key=site_lock_key(req.fqdn),
                steps=[spec.name for spec in retire_steps(req.hosting)], actor=actor.username,
            )
            row.state, row.decided_by, row.decided_at, row.job_id = (
                "approved", actor.username, utcnow(), job.id
            )
            audit_repo.record_event(s, actor=actor.username, action="retire:approved",
                              request_id=req.id, job_id=job.id,
                              detail={"checksum": row.checksum})
            view = job_view(job)
        self.on_job_queued(view.id)
        return view

    def reject(self, request_id: int, actor: Actor, reason: str) -> RetirementView:
        reason = required_note("reason", reason, REASON_REQUIRED)
        with self.store.session() as s:
            _, row = self._proposed(s, request_id)
            ensure_allowed(actor, Action.DECIDE, owner=row.proposed_by)
            row.state, row.decided_by, row.decided_at = "rejected", actor.username, utcnow()
            row.rejection_reason = reason
            audit_repo.record_event(s, actor=actor.username, action="retire:rejected",
                              request_id=request_id, detail={"reason": row.rejection_reason})
            return retirement_view(row)


RetireHook = Callable[[int, Actor, Actor, str], None]


def retire_hook(retirements: RetirementService) -> RetireHook:
    """An approved deactivation request becomes a retirement: the
    requester proposes (their own site), the approving network member approves, and the
    retire job is queued — the same separation of duties as a direct retirement."""

    def _retire(site_request_id: int, approver: Actor, requester: Actor, reason: str) -> None:
        retirements.propose(site_request_id, requester, reason)
        retirements.approve(site_request_id, approver)

    return _retire
