"""The request lifecycle: submit, approve (which queues the provisioning job), reject,
retry. Every hand-off is recorded with who and when."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from provisioner.config import Settings
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.jobs import JobState, StepStatus, provision_steps, site_lock_key
from provisioner.domain.naming import NamingPolicy
from provisioner.domain.provision_plan import Placement, build_plan, plan_checksum
from provisioner.domain.requests import RequestDraft, db_identifiers, format_ticket, normalise_draft
from provisioner.domain.states import RequestState, ensure_transition
from provisioner.store import repositories as repo
from provisioner.store.db import Store
from provisioner.store.models import Job, Request, utcnow
from provisioner.store.secrets import SecretBox
from provisioner.workflow.availability import AvailabilityService


@dataclass
class RequestService:
    store: Store
    settings: Settings
    availability: AvailabilityService
    policy: NamingPolicy
    on_job_queued: Callable[[int], None] = field(default=lambda _job_id: None)

    def _placement(self) -> Placement:
        st = self.settings
        return Placement(
            web_dev_host=st.web_dev_host,
            web_dev_address=st.web_dev_address,
            web_prod_host=st.web_prod_host,
            web_prod_address=st.web_prod_address,
            db_host=st.db_host,
            ttl=st.dns_ttl,
        )

    def _today(self) -> Any:
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    # --- submit ---------------------------------------------------------------------

    def submit(self, draft: RequestDraft, actor: Actor) -> Request:
        """Validate, check the name for real, and hold it in the registry."""
        ensure_allowed(actor, Action.SUBMIT, agency=draft.agency)
        draft = normalise_draft(
            draft,
            git_base_url=self.settings.git_base_url,
            allowed_networks=self.settings.allowed_target_networks,
            today=self._today(),
        )
        verdict = self.availability.check(draft.label, agency=draft.agency)
        if not verdict.valid:
            raise InvalidInput("label", "; ".join(verdict.reasons))
        if verdict.available is not True:
            raise Conflict("; ".join(verdict.reasons))
        label = verdict.label
        st = self.settings
        with self.store.session() as s:
            day = self._today()
            ticket = format_ticket(day, repo.next_counter(s, f"ticket:{day:%Y%m%d}"))
            req = Request(
                ticket=ticket,
                label=label,
                zone=st.zone,
                fqdn=st.prod_fqdn(label),
                agency=draft.agency,
                purpose=draft.purpose,
                contact_name=draft.contact_name,
                contact_email=draft.contact_email,
                contact_phone=draft.contact_phone,
                letter_number=draft.letter_number,
                letter_date=draft.letter_date,
                hosting=draft.hosting,
                repo_url=draft.repo,
                branch=draft.branch,
                target_address=draft.target_address,
                state=RequestState.SUBMITTED,
                created_by=actor.username,
            )
            s.add(req)
            s.flush()
            repo.claim_name(s, st.zone, label, req.id)
            repo.record_event(
                s,
                actor=actor.username,
                action="request:submitted",
                request_id=req.id,
                detail={"fqdn": req.fqdn, "nameservers": verdict.nameservers},
            )
        return req

    # --- decide ---------------------------------------------------------------------

    def preview_plan(self, request_id: int) -> dict[str, Any]:
        with self.store.read() as s:
            req = repo.get_request(s, request_id)
            return self._plan_for(req)

    def _plan_for(self, req: Request) -> dict[str, Any]:
        db_name, db_user = db_identifiers(req.label) if req.hosting else (None, None)
        return build_plan(
            zone=req.zone,
            fqdn=req.fqdn,
            dev_fqdn=self.settings.dev_fqdn(req.label),
            hosting=req.hosting,
            target_address=req.target_address,
            repo_url=req.repo_url,
            branch=req.branch,
            db_name=db_name,
            db_user=db_user,
            placement=self._placement(),
        )

    def approve(self, request_id: int, actor: Actor, *, checksum: str | None = None) -> Job:
        """Approve the plan that was shown (its checksum may be passed to be sure) and
        queue the provisioning job."""
        with self.store.session() as s:
            req = repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            ensure_transition(RequestState(req.state), RequestState.APPROVED)
            plan = self._plan_for(req)
            digest = plan_checksum(plan)
            if checksum is not None and checksum != digest:
                raise Conflict(
                    "Rencana yang disetujui berbeda dari rencana saat ini; muat ulang / "
                    "The plan you approved differs from the current plan; reload it"
                )
            if repo.lock_holder(s, site_lock_key(req.fqdn)) is not None:
                raise Conflict(
                    f"Situs {req.fqdn} sedang dikerjakan oleh pekerjaan lain / "
                    f"Another job is already working on {req.fqdn}"
                )
            req.state = RequestState.APPROVED
            req.decided_by = actor.username
            req.decided_at = utcnow()
            req.plan = plan
            req.plan_checksum = digest
            if req.hosting:
                req.db_name, req.db_user = db_identifiers(req.label)
                req.db_password_enc = SecretBox(self.settings.secret_key).encrypt(
                    secrets.token_urlsafe(24)
                )
            job = repo.create_job(
                s,
                request_id=req.id,
                kind="provision",
                lock_key=site_lock_key(req.fqdn),
                steps=[spec.name for spec in provision_steps(req.hosting)],
                actor=actor.username,
            )
            repo.record_event(
                s,
                actor=actor.username,
                action="request:approved",
                request_id=req.id,
                job_id=job.id,
                detail={"plan_checksum": digest},
            )
            job_id = job.id
        self.on_job_queued(job_id)
        return job

    def reject(self, request_id: int, actor: Actor, reason: str) -> Request:
        reason = reason.strip()
        if len(reason) < 5:
            raise InvalidInput(
                "reason",
                "Alasan penolakan wajib diisi (min. 5 karakter) / "
                "A rejection needs a reason (at least 5 characters)",
            )
        with self.store.session() as s:
            req = repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            ensure_transition(RequestState(req.state), RequestState.REJECTED)
            req.state = RequestState.REJECTED
            req.decided_by = actor.username
            req.decided_at = utcnow()
            req.rejection_reason = reason
            repo.release_name(s, req.id)
            repo.record_event(
                s,
                actor=actor.username,
                action="request:rejected",
                request_id=req.id,
                detail={"reason": reason},
            )
        return req

    def retry(self, job_id: int, actor: Actor) -> Job:
        """Queue a failed or cancelled job again; it resumes at the step that failed."""
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = repo.get_job(s, job_id)
            if job.state not in (JobState.FAILED, JobState.CANCELLED):
                raise Conflict(
                    f"Hanya pekerjaan yang gagal/dibatalkan yang dapat diulang (status: "
                    f"{job.state}) / Only a failed or cancelled job can be retried"
                )
            for st in job.steps:
                if st.status == StepStatus.FAILED:
                    st.status = StepStatus.PLANNED
            job.state = JobState.QUEUED
            job.cancel_requested = False
            job.error = None
            job.finished_at = None
            repo.record_event(
                s,
                actor=actor.username,
                action="job:retry",
                request_id=job.request_id,
                job_id=job.id,
            )
        self.on_job_queued(job_id)
        return job

    def cancel(self, job_id: int, actor: Actor) -> Job:
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = repo.get_job(s, job_id)
            if job.state == JobState.QUEUED:
                job.state = JobState.CANCELLED
                job.finished_at = utcnow()
            elif job.state == JobState.RUNNING:
                job.cancel_requested = True
            else:
                raise Conflict(f"Pekerjaan sudah selesai ({job.state}) / Job already ended")
            repo.record_event(
                s,
                actor=actor.username,
                action="job:cancel",
                request_id=job.request_id,
                job_id=job.id,
            )
        return job

    # --- reading --------------------------------------------------------------------

    def get(self, request_id: int, actor: Actor) -> Request:
        with self.store.read() as s:
            req = repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            req.jobs  # noqa: B018 - load for the caller outside the session
            for job in req.jobs:
                job.steps  # noqa: B018
            return req

    def list(self, actor: Actor, *, state: str | None = None) -> list[Request]:
        ensure_allowed(actor, Action.VIEW)
        agency = actor.agency if actor.role == "opd" else None
        with self.store.read() as s:
            return list(repo.list_requests(s, agency=agency, state=state))

    def job(self, job_id: int, actor: Actor) -> Job:
        with self.store.read() as s:
            job = repo.get_job(s, job_id)
            ensure_allowed(actor, Action.VIEW, agency=job.request.agency)
            return job

    def letter(self, request_id: int, actor: Actor) -> Any:
        with self.store.read() as s:
            req = repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return repo.letter_for_request(s, request_id)

    def events(self, request_id: int, actor: Actor) -> list[Any]:
        with self.store.read() as s:
            req = repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return list(repo.events_for_request(s, request_id))

    def verify_letter(self, code: str) -> Any:
        """Public: the letter a verification code belongs to, or None."""
        with self.store.read() as s:
            return repo.letter_by_code(s, code.strip().upper()) or repo.letter_by_code(s, code)
