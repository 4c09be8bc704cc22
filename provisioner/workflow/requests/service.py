"""The request lifecycle: submit, approve (which queues the provisioning job), reject,
retry. Every hand-off is recorded with who and when."""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from provisioner.adapters.pdf_check import check_pdf
from provisioner.config import Settings
from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.jobs import (
    RETARGET_STEPS,
    JobState,
    StepStatus,
    provision_steps,
    site_lock_key,
)
from provisioner.domain.naming import NamingPolicy, check_label
from provisioner.domain.provision_plan import (
    Placement,
    build_plan,
    plan_checksum,
    tls_targets,
)
from provisioner.domain.requests import (
    NOTE_REQUIRED,
    REASON_REQUIRED,
    RequestDraft,
    db_identifiers,
    format_ticket,
    normalise_draft,
    required_note,
)
from provisioner.domain.site_names import SiteNames, bilingual
from provisioner.domain.states import HOLDS_NAME, RequestState, ensure_transition
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.jobs import Job
from provisioner.store.models.requests import Request
from provisioner.store.private_files import private_dir, write_private
from provisioner.store.read_models import (
    ApprovalResult,
    EventView,
    JobView,
    LetterView,
    RequestView,
    event_view,
    job_view,
    letter_view,
    request_view,
)
from provisioner.store.repositories import (
    audit as audit_repo,
)
from provisioner.store.repositories import (
    counters as counters_repo,
)
from provisioner.store.repositories import (
    dns as dns_repo,
)
from provisioner.store.repositories import (
    jobs as jobs_repo,
)
from provisioner.store.repositories import (
    letters as letters_repo,
)
from provisioner.store.repositories import (
    locks as locks_repo,
)
from provisioner.store.repositories import (
    people as people_repo,
)
from provisioner.store.repositories import (
    requests as requests_repo,
)
from provisioner.store.secrets import SecretBox
from provisioner.workflow.requests.availability import AvailabilityService
from provisioner.workflow.requests.sources import BranchLookup, ensure_branch_exists


@dataclass
class RequestService:
    store: Store
    settings: Settings
    availability: AvailabilityService
    policy: NamingPolicy
    on_job_queued: Callable[[int], None] = field(default=lambda _job_id: None)
    # Deactivation: the hosting-workflow area's retirement, wired in wiring.py (see
    # PEOPLE_API.md). Called after the deactivation request is approved with the live
    # site's request id, the approver, the requester and the reason.
    on_retire_approved: Callable[[int, Actor, Actor, str], None] | None = None
    # Notifications (people area): called after each hand-off with (request_id, event).
    on_handoff: Callable[[int, str], None] = field(default=lambda _rid, _event: None)
    # The repository server (git ls-remote), asked at submit whether the repository and
    # branch of a hosting request exist; wiring.py passes the git adapter.
    sources: BranchLookup | None = None

    def _placement(self) -> Placement:
        st = self.settings
        return Placement(
            web_dev_host=st.web_dev_host,
            web_dev_address=st.web_dev_address,
            web_prod_host=st.web_prod_host,
            web_prod_address=st.web_prod_address,
            db_host=st.db_host,
            ttl=st.dns_ttl,
            acme_directory_url=st.acme_directory_url,  # TLS on production when configured
        )

    def _today(self) -> Any:
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    # --- submit ---------------------------------------------------------------------

    def submit(
        self, draft: RequestDraft, actor: Actor, *, client_ip: str | None = None
    ) -> RequestView:
        """Validate, check the name for real, and hold it in the registry. A change or
        deactivation request names an existing live site of the same agency instead."""
        ensure_allowed(actor, Action.SUBMIT, agency=draft.agency)
        # The naming rules (pure) and every other field are checked before anything is
        # asked of the name servers, and all their problems are reported together.
        problems: list[tuple[str, str]] = []
        if draft.request_type == "new":
            rules = check_label(draft.label, self.policy, zone=self.settings.zone,
                                agency=draft.agency)
            if not rules.ok:
                problems.append(("label", "; ".join(rules.reasons)))
        try:
            draft = normalise_draft(
                draft,
                git_base_url=self.settings.git_base_url,
                allowed_networks=self.settings.allowed_target_networks,
                today=self._today(),
                letter_max_age_years=self.settings.letter_max_age_years,
            )
        except InvalidInput as exc:
            problems.extend(exc.problems)
        if problems:
            raise InvalidInput.of(problems)
        if draft.request_type == "new" and draft.hosting and self.sources is not None:
            assert draft.repo is not None and draft.branch is not None  # normalise_draft's
            ensure_branch_exists(self.sources, draft.repo, draft.branch)
        if draft.request_type != "new":
            change = self._submit_change(draft, actor, client_ip)
            self.on_handoff(change.id, "submitted")
            return change
        verdict = self.availability.check(draft.label, agency=draft.agency)
        if not verdict.valid:
            raise InvalidInput("label", "; ".join(verdict.reasons))
        if verdict.available is not True:
            raise Conflict("; ".join(verdict.reasons))
        label = verdict.label
        st = self.settings
        with self.store.session() as s:
            day = self._today()
            ticket = format_ticket(day, counters_repo.next_counter(s, f"ticket:{day:%Y%m%d}"))
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
                **_sop_fields(draft),
            )
            s.add(req)
            s.flush()
            requests_repo.claim_name(s, st.zone, label, req.id)
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="request:submitted",
                request_id=req.id,
                detail={"fqdn": req.fqdn, "nameservers": verdict.nameservers},
                client_ip=client_ip,
                after={"state": RequestState.SUBMITTED},
            )
            view = request_view(req)
        self.on_handoff(view.id, "submitted")
        return view

    def _submit_change(
        self, draft: RequestDraft, actor: Actor, client_ip: str | None
    ) -> RequestView:
        label = draft.label.strip().lower()
        fqdn = self.settings.prod_fqdn(label)
        with self.store.session() as s:
            site = requests_repo.latest_request_for_fqdn(s, fqdn)
            live = (RequestState.LIVE, RequestState.LETTER_ISSUED)
            if site is None or site.state not in live or site.request_type != "new":
                raise InvalidInput(
                    "label",
                    f"Tidak ada situs aktif {fqdn} untuk diubah / No live site {fqdn} to change",
                )
            if site.agency != draft.agency:
                raise InvalidInput(
                    "agency",
                    "Situs ini milik OPD lain / This site belongs to another agency",
                )
            day = self._today()
            req = Request(
                ticket=format_ticket(day, counters_repo.next_counter(s, f"ticket:{day:%Y%m%d}")),
                label=label,
                zone=site.zone,
                fqdn=fqdn,
                agency=draft.agency,
                purpose=draft.purpose,
                contact_name=draft.contact_name,
                contact_email=draft.contact_email,
                contact_phone=draft.contact_phone,
                letter_number=draft.letter_number,
                letter_date=draft.letter_date,
                hosting=site.hosting,
                repo_url=site.repo_url,
                branch=site.branch,
                target_address=draft.target_address or site.target_address,
                state=RequestState.SUBMITTED,
                created_by=actor.username,
                subject_request_id=site.id,
                **_sop_fields(draft),
            )
            s.add(req)
            s.flush()
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="request:submitted",
                request_id=req.id,
                detail={"fqdn": fqdn, "type": draft.request_type, "site_request_id": site.id},
                client_ip=client_ip,
                after={"state": RequestState.SUBMITTED},
            )
            return request_view(req)

    # --- decide ---------------------------------------------------------------------

    def preview_plan(self, request_id: int) -> dict[str, Any]:
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            return self._plan_for(req)

    def _plan_for(self, req: Request) -> dict[str, Any]:
        if req.request_type == "change_target":
            return _retarget_plan(req, self._owned_a_record(req), self.settings.dns_ttl)
        if req.request_type != "new":
            return _change_plan(req)
        db_name, db_user = self._executable_db_names(req) if req.hosting else (None, None)
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

    def _executable_db_names(self, req: Request) -> tuple[str, str]:
        """The site's database names, once every name derived for it fits the limits of
        its servers (InvalidInput) and belongs to no other site (Conflict): a plan that
        cannot be carried out is refused before approval, with the reason."""
        names = SiteNames.derive(
            req.label, fqdn=req.fqdn, dev_fqdn=self.settings.dev_fqdn(req.label)
        )
        problems = names.problems()
        if problems:
            raise InvalidInput("label", bilingual(problems))
        with self.store.read() as s:
            others = requests_repo.hosting_sites_holding_names(
                s, states=sorted(HOLDS_NAME), exclude_request_id=req.id
            )
        for _id, ticket, label, db_name, db_user in others:
            other = SiteNames.derive(
                label, fqdn=self.settings.prod_fqdn(label),
                dev_fqdn=self.settings.dev_fqdn(label),
            ).with_database(db_name, db_user)  # fmt: skip
            shared = names.clashes_with(other)
            if shared:
                raise Conflict(
                    f"Rencana tidak dapat dijalankan: "
                    f"{', '.join(w for w, _ in shared)} sudah dipakai permohonan {ticket} / "
                    f"The plan cannot be carried out: {', '.join(w for _, w in shared)} "
                    f"already belongs to request {ticket}"
                )
        return names.db_name, names.db_user

    def _owned_a_record(self, req: Request) -> tuple[str, int] | None:
        """The value and TTL provisioner last wrote for the site's A record, if it owns it."""
        with self.store.read() as s:
            row = dns_repo.owned_record(s, req.fqdn, "A")
            return (row.value, row.ttl) if row is not None else None

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
            _ensure_awaiting_decision(req)
            plan = self._plan_for(req)
            digest = plan_checksum(plan)
            if checksum is not None and checksum != digest:
                raise Conflict(
                    "Rencana yang disetujui berbeda dari rencana saat ini; muat ulang / "
                    "The plan you approved differs from the current plan; reload it"
                )
            kind = req.request_type
            if kind != "new":
                job = self._apply_change(s, req, actor, plan, digest, client_ip)
                subject, change_id, reason = req.subject_request_id, req.id, req.purpose
                requester = _actor_named(s, req.created_by, req.agency)
                done = ApprovalResult(
                    "job_queued" if job is not None else "carried_out",
                    request_view(req),
                    job_view(job) if job is not None else None,
                )
        if kind != "new":
            if kind == "deactivate" and self.on_retire_approved and subject is not None:
                self.on_retire_approved(subject, actor, requester, reason)
            if done.job is not None:
                self.on_job_queued(done.job.id)
            self.on_handoff(change_id, "approved")
            return done
        return self._approve_new(request_id, actor, plan, digest, client_ip)

    def _approve_new(
        self,
        request_id: int,
        actor: Actor,
        plan: dict[str, Any],
        digest: str,
        client_ip: str | None,
    ) -> ApprovalResult:
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            # Checked again under this transaction's lock: a second approver loses here.
            _ensure_awaiting_decision(req)
            if plan_checksum(self._plan_for(req)) != digest:
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
            req.plan = plan
            req.plan_checksum = digest
            if req.hosting:
                req.db_name, req.db_user = db_identifiers(req.label)
                req.db_password_enc = SecretBox(self.settings.secret_key).encrypt(
                    secrets.token_urlsafe(24)
                )
            job = jobs_repo.create_job(
                s,
                request_id=req.id,
                kind="provision",
                lock_key=site_lock_key(req.fqdn),
                steps=[
                    spec.name
                    for spec in provision_steps(req.hosting, tls=bool(tls_targets(plan)))
                ],
                actor=actor.username,
            )
            _move(s, req, RequestState.APPROVED, actor, "request:approved", client_ip,
                  job_id=job.id, detail={"plan_checksum": digest})
            done = ApprovalResult("job_queued", request_view(req), job_view(job))
        assert done.job is not None
        self.on_job_queued(done.job.id)
        self.on_handoff(request_id, "approved")
        return done

    def _apply_change(
        self,
        s: Session,
        req: Request,
        actor: Actor,
        plan: dict[str, Any],
        digest: str,
        client_ip: str | None,
    ) -> Job | None:
        """Carry out an approved change request inside the approving transaction; a change
        of target instead gets its DNS change job, queued in the same transaction."""
        req.decided_by = actor.username
        req.decided_at = utcnow()
        req.plan_checksum = digest
        job = None
        if req.request_type == "change_target":
            req.plan = plan  # what the job applies: exactly the plan with this checksum
            job = jobs_repo.create_job(
                s,
                request_id=req.id,
                kind="retarget",
                lock_key=site_lock_key(req.fqdn),
                steps=[spec.name for spec in RETARGET_STEPS],
                actor=actor.username,
            )
        _move(s, req, RequestState.APPROVED, actor, "request:approved", client_ip,
              job_id=job.id if job is not None else None,
              detail={"plan_checksum": digest, "type": req.request_type})
        if job is not None:
            return job  # the job moves the record on ns1, verifies it on ns2, completes
        if req.request_type == "change_contact" and req.subject_request_id is not None:
            site = requests_repo.get_request(s, req.subject_request_id, lock=True)
            fields = (
                "contact_name", "contact_email", "contact_phone", "contact_nip",
                "contact_position", "contact_rank",
            )  # fmt: skip
            before = {f: getattr(site, f) for f in fields}
            for f in fields:
                setattr(site, f, getattr(req, f))
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="site:contact_changed",
                request_id=site.id,
                client_ip=client_ip,
                before=before,
                after={f: getattr(site, f) for f in fields},
            )
        # Deactivation is handed to the retire job (on_retire_approved) after commit.
        _move(s, req, RequestState.COMPLETED, actor, "request:completed", client_ip)
        return None

    def reject(
        self, request_id: int, actor: Actor, reason: str, *, client_ip: str | None = None
    ) -> RequestView:
        """Refuse with a mandatory reason; the name goes back to the pool."""
        reason = required_note("reason", reason, REASON_REQUIRED)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            if req.state != RequestState.RETURNED:
                _ensure_awaiting_decision(req)
            ensure_transition(RequestState(req.state), RequestState.REJECTED)
            req.decided_by = actor.username
            req.decided_at = utcnow()
            req.rejection_reason = reason
            requests_repo.release_name(s, req.id)
            _move(s, req, RequestState.REJECTED, actor, "request:rejected", client_ip,
                  detail={"reason": reason})
            view = request_view(req)
        self.on_handoff(request_id, "rejected")
        return view

    # --- revision, letter scan, letter approval ----------------------------------------

    def verify(
        self, request_id: int, actor: Actor, *, client_ip: str | None = None
    ) -> RequestView:
        """Disposition (SOP step 1): the network team has taken the request up and checked
        it is complete (Diverifikasi). Stops the 30-minute disposition clock."""
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            if req.state != RequestState.SUBMITTED:
                _ensure_awaiting_decision(req)
                raise Conflict("Permohonan sudah diverifikasi / The request is already verified")
            _move(s, req, RequestState.VERIFIED, actor, "request:verified", client_ip)
            return request_view(req)

    def return_for_revision(
        self, request_id: int, actor: Actor, note: str, *, client_ip: str | None = None
    ) -> RequestView:
        """Send a request back to the OPD with what to fix; its SLA clock stops until the
        OPD submits again. The name stays held."""
        note = required_note("note", note, NOTE_REQUIRED)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            _ensure_awaiting_decision(req)
            req.revision_note = note
            _move(s, req, RequestState.RETURNED, actor, "request:returned", client_ip,
                  detail={"note": note})
            view = request_view(req)
        self.on_handoff(request_id, "returned")
        return view

    def resubmit(
        self,
        request_id: int,
        actor: Actor,
        *,
        updates: RequestDraft | None = None,
        client_ip: str | None = None,
    ) -> RequestView:
        """The OPD sends a returned request back, optionally with revised details (the
        label and type cannot change: a different name is a new request)."""
        if updates is not None:
            updates = normalise_draft(
                updates,
                git_base_url=self.settings.git_base_url,
                allowed_networks=self.settings.allowed_target_networks,
                today=self._today(),
                letter_max_age_years=self.settings.letter_max_age_years,
            )
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.SUBMIT, agency=req.agency)
            if req.state != RequestState.RETURNED:
                raise Conflict(
                    "Hanya permohonan yang dikembalikan yang dapat diajukan ulang / "
                    "Only a returned request can be submitted again"
                )
            before = {f: getattr(req, f) for f in _REVISABLE}
            if updates is not None:
                if updates.label.strip().lower() != req.label or updates.agency != req.agency:
                    raise InvalidInput(
                        "label",
                        "Nama subdomain dan OPD tidak dapat diubah / "
                        "The subdomain and agency cannot change",
                    )
                for f, value in _revisable_values(updates).items():
                    setattr(req, f, value)
            _move(s, req, RequestState.SUBMITTED, actor, "request:resubmitted", client_ip,
                  before=before, after={f: getattr(req, f) for f in _REVISABLE})
            view = request_view(req)
        self.on_handoff(request_id, "submitted")
        return view

    def resubmit_revised(
        self,
        request_id: int,
        actor: Actor,
        changes: dict[str, Any],
        *,
        client_ip: str | None = None,
    ) -> RequestView:
        """The OPD's revision from its request page: only the revisable fields (purpose,
        the person responsible, the request letter) change; everything else stays as it
        was submitted. Validated exactly as a new request is."""
        unknown = sorted(set(changes) - set(_REVISABLE))
        if unknown:
            raise InvalidInput(
                unknown[0], "Kolom ini tidak dapat diubah / This field cannot be revised"
            )
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.SUBMIT, agency=req.agency)
            current = {f: getattr(req, f) for f in _REVISABLE}
            draft = RequestDraft(
                label=req.label,
                agency=req.agency,
                hosting=req.hosting,
                repo=req.repo_url,
                branch=req.branch,
                target_address=req.target_address,
                request_type=req.request_type,
                stack=req.stack,
                db_wanted=req.db_wanted,
                **{**current, "contact_phone": current["contact_phone"] or ""},
            )
        draft = dataclasses.replace(draft, **changes)
        return self.resubmit(request_id, actor, updates=draft, client_ip=client_ip)

    def attach_letter_scan(
        self, request_id: int, data: bytes, actor: Actor, *, client_ip: str | None = None
    ) -> Path:
        """Keep the scan of the OPD's request letter: a PDF (checked by its bytes, not its
        name) no larger than the limit, stored under the data dir, outside any web root."""
        check_pdf(data, max_bytes=self.settings.upload_max_bytes)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.SUBMIT, agency=req.agency)
            folder = private_dir(self.settings.uploads_dir)  # 0700: scans are personal data
            path = write_private(folder / f"{req.ticket}-surat-permohonan.pdf", data)
            digest = hashlib.sha256(data).hexdigest()
            before = {"sha256": req.letter_scan_sha256}
            req.letter_scan_path = str(path)
            req.letter_scan_sha256 = digest
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="request:letter_scan",
                request_id=req.id,
                detail={"bytes": len(data)},
                client_ip=client_ip,
                before=before,
                after={"sha256": digest},
            )
        return path

    def letter_scan(self, request_id: int, actor: Actor) -> Path | None:
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return Path(req.letter_scan_path) if req.letter_scan_path else None

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

    def retry(self, job_id: int, actor: Actor, *, client_ip: str | None = None) -> JobView:
        """Queue a failed or cancelled job again; it resumes at the step that failed."""
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
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
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="job:retry",
                request_id=job.request_id,
                job_id=job.id,
                client_ip=client_ip,
            )
            view = job_view(job)
        self.on_job_queued(job_id)
        return view

    def cancel(self, job_id: int, actor: Actor, *, client_ip: str | None = None) -> JobView:
        ensure_allowed(actor, Action.OPERATE)
        with self.store.session() as s:
            job = jobs_repo.get_job(s, job_id)
            if job.state == JobState.QUEUED:
                job.state = JobState.CANCELLED
                job.finished_at = utcnow()
            elif job.state == JobState.RUNNING:
                job.cancel_requested = True
            else:
                raise Conflict(f"Pekerjaan sudah selesai ({job.state}) / Job already ended")
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="job:cancel",
                request_id=job.request_id,
                job_id=job.id,
                client_ip=client_ip,
            )
            return job_view(job)

    # --- reading --------------------------------------------------------------------

    def get(self, request_id: int, actor: Actor) -> RequestView:
        """One request with its jobs, their steps and the steps' logs."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return request_view(req)

    def list(self, actor: Actor, *, state: str | None = None) -> builtins.list[RequestView]:
        """Newest first, with jobs and steps (without the steps' logs and outputs)."""
        ensure_allowed(actor, Action.VIEW)
        agency = actor.agency if actor.role == "opd" else None
        with self.store.read() as s:
            rows = requests_repo.list_requests(s, agency=agency, state=state, with_jobs=True)
            return [request_view(r, detail=False) for r in rows]

    def job(self, job_id: int, actor: Actor) -> JobView:
        with self.store.read() as s:
            job = jobs_repo.get_job(s, job_id)
            ensure_allowed(actor, Action.VIEW, agency=job.request.agency)
            return job_view(job)

    def letter(self, request_id: int, actor: Actor) -> LetterView | None:
        """The request's newest letter, if one was issued."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            letter = letters_repo.letter_for_request(s, request_id)
            return letter_view(letter) if letter is not None else None

    def events(self, request_id: int, actor: Actor) -> builtins.list[EventView]:
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return [event_view(e) for e in audit_repo.events_for_request(s, request_id)]

    def verify_letter(self, code: str) -> LetterView | None:
        """Public: the letter a verification code belongs to, or None."""
        with self.store.read() as s:
            letter = letters_repo.letter_by_code(s, code.strip().upper())
            letter = letter or letters_repo.letter_by_code(s, code)
            return letter_view(letter) if letter is not None else None


def _move(
    s: Session,
    req: Request,
    target: RequestState,
    actor: Actor,
    action: str,
    client_ip: str | None,
    *,
    job_id: int | None = None,
    detail: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Move a request to `target` and append the audit entry with the state before/after
    (plus any other fields the caller changed), in the caller's transaction."""
    previous = req.state
    req.state = target
    audit_repo.record_event(
        s,
        actor=actor.username,
        action=action,
        request_id=req.id,
        job_id=job_id,
        detail=detail,
        client_ip=client_ip,
        before={"state": previous, **(before or {})},
        after={"state": target, **(after or {})},
    )


def _actor_named(s: Session, username: str, agency: str) -> Actor:
    user = people_repo.user_by_name(s, username)
    if user is None:
        return Actor(username, Role.OPD, agency)
    return Actor(user.username, Role(user.role), user.agency)


def _ensure_awaiting_decision(req: Request) -> None:
    """Only a submitted or verified request can be decided; deciding twice is refused
    (staying in the same state is otherwise a legal no-op move)."""
    state = RequestState(req.state)
    if state not in (RequestState.SUBMITTED, RequestState.VERIFIED):
        raise Conflict(
            f"Permohonan berstatus {state.label_id}, tidak menunggu keputusan / "
            f"The request is {state.label_en.lower()}, not awaiting a decision"
        )


_REVISABLE = (
    "purpose", "contact_name", "contact_email", "contact_phone", "contact_nip",
    "contact_position", "contact_rank", "letter_number", "letter_date", "site_kind",
)  # fmt: skip


def _revisable_values(draft: RequestDraft) -> dict[str, Any]:
    return {f: getattr(draft, f) for f in _REVISABLE}


def _sop_fields(draft: RequestDraft) -> dict[str, Any]:
    return {
        "request_type": draft.request_type,
        "contact_nip": draft.contact_nip,
        "contact_position": draft.contact_position,
        "contact_rank": draft.contact_rank,
        "site_kind": draft.site_kind,
        "stack": draft.stack,
        "db_wanted": draft.db_wanted,
    }


def _change_plan(req: Request) -> dict[str, Any]:
    """What approving a change request does, as a plan with a readable summary."""
    if req.request_type == "change_contact":
        summary = [
            f"~ penanggung jawab / person responsible of {req.fqdn}: "
            f"{req.contact_name} <{req.contact_email}>"
        ]
    elif req.request_type == "change_target":
        summary = [f"~ A {req.fqdn} → {req.target_address}"]
    else:
        summary = [f"- nonaktifkan / retire {req.fqdn} (DNS, vhost, database)"]
    return {
        "kind": req.request_type,
        "fqdn": req.fqdn,
        "site_request_id": req.subject_request_id,
        "target_address": req.target_address,
        "summary": summary,
    }


def _retarget_plan(req: Request, owned: tuple[str, int] | None, ttl: int) -> dict[str, Any]:
    """A change of target as a DNS plan: the site's A record from the value provisioner last
    wrote (the update's prerequisite) to the new address — or created, if it owns none."""
    assert req.target_address is not None  # required by the request's validation
    if owned is None:
        change = RecordChange("create", req.fqdn, "A", ttl, req.target_address)
    elif owned[0] == req.target_address:
        change = None  # already there: the job only verifies
    else:
        change = RecordChange(
            "update", req.fqdn, "A", owned[1], req.target_address, previous=owned[0]
        )
    dns = DnsPlan(zone=req.zone, changes=(change,) if change else ())
    return {
        **_change_plan(req),
        "dns": dns.to_dict(),
        "summary": dns.summary() or [f"= A {req.fqdn} {req.target_address}"],
    }
