"""Submitting a request: a new name, checked for real and held in the registry, or a change
/ deactivation of a live site of the same agency. Every submission is recorded with who
and when, and announced as a hand-off."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.naming import NamingPolicy, check_label
from provisioner.domain.requests import RequestDraft, format_ticket
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.models.requests import Request
from provisioner.store.read_models import RequestView, request_view
from provisioner.store.repositories import (
    audit as audit_repo,
    counters as counters_repo,
    requests as requests_repo,
)
from provisioner.workflow.requests.availability import AvailabilityService
from provisioner.workflow.requests.rules import RequestRules
from provisioner.workflow.requests.sources import BranchLookup, ensure_branch_exists
from provisioner.workflow.requests.transitions import Handoff

_LIVE = (RequestState.LIVE, RequestState.LETTER_ISSUED)


@dataclass(frozen=True)
class RequestIntake:
    store: Store
    rules: RequestRules
    policy: NamingPolicy
    availability: AvailabilityService
    # The repository server (git ls-remote), asked whether a hosting request's repository
    # and branch exist.
    sources: BranchLookup
    on_handoff: Handoff

    def submit(
        self, draft: RequestDraft, actor: Actor, *, client_ip: str | None = None
    ) -> RequestView:
        """Validate, check the name for real, and hold it in the registry. A change or
        deactivation request names an existing live site of the same agency instead."""
        ensure_allowed(actor, Action.SUBMIT, agency=draft.agency)
        draft = self._checked(draft)
        if draft.request_type == "new" and draft.hosting:
            assert draft.repo is not None and draft.branch is not None  # normalise_draft's
            ensure_branch_exists(self.sources, draft.repo, draft.branch)
        if draft.request_type == "new":
            view = self._submit_new(draft, actor, client_ip)
        else:
            view = self._submit_change(draft, actor, client_ip)
        self.on_handoff(view.id, "submitted")
        return view

    def problems(self, draft: RequestDraft) -> list[tuple[str, str]]:
        """Every problem of a draft by the naming rules and the field checks, without
        asking any server: a form shows them all at once, next to their fields."""
        try:
            self._checked(draft)
        except InvalidInput as exc:
            return list(exc.problems)
        return []

    def _checked(self, draft: RequestDraft) -> RequestDraft:
        """The naming rules (pure) and every other field, checked before anything is asked
        of the name servers; all their problems are reported together."""
        problems: list[tuple[str, str]] = []
        if draft.request_type == "new":
            rules = check_label(draft.label, self.policy, zone=self.rules.zone,
                                agency=draft.agency)  # fmt: skip
            if not rules.ok:
                problems.append(("label", "; ".join(rules.reasons)))
        try:
            draft = self.rules.normalise(draft)
        except InvalidInput as exc:
            problems.extend(exc.problems)
        if problems:
            raise InvalidInput.of(problems)
        return draft

    def _submit_new(
        self, draft: RequestDraft, actor: Actor, client_ip: str | None
    ) -> RequestView:
        verdict = self.availability.check(draft.label, agency=draft.agency)
        if not verdict.valid:
            raise InvalidInput("label", "; ".join(verdict.reasons))
        if verdict.available is not True:
            raise Conflict("; ".join(verdict.reasons))
        zone = self.rules.zone
        with self.store.session() as s:
            req = self._insert(s, draft, actor, label=verdict.label, zone=zone, site=None)
            requests_repo.claim_name(s, zone, verdict.label, req.id)
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="request:submitted",
                request_id=req.id,
                detail={"fqdn": req.fqdn, "nameservers": verdict.nameservers},
                client_ip=client_ip,
                after={"state": RequestState.SUBMITTED},
            )
            return request_view(req)

    def _submit_change(
        self, draft: RequestDraft, actor: Actor, client_ip: str | None
    ) -> RequestView:
        label = draft.label.strip().lower()
        fqdn = self.rules.prod_fqdn(label)
        with self.store.session() as s:
            site = requests_repo.latest_request_for_fqdn(s, fqdn)
            if site is None or site.state not in _LIVE or site.request_type != "new":
                raise InvalidInput(
                    "label",
                    f"Tidak ada situs aktif {fqdn} untuk diubah / No live site {fqdn} to change",
                )
            if site.agency != draft.agency:
                raise InvalidInput(
                    "agency",
                    "Situs ini milik OPD lain / This site belongs to another agency",
                )
            req = self._insert(s, draft, actor, label=label, zone=site.zone, site=site)
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

    def _insert(
        self,
        s: Session,
        draft: RequestDraft,
        actor: Actor,
        *,
        label: str,
        zone: str,
        site: Request | None,
    ) -> Request:
        """The submitted request with its ticket. A change request (`site`: the live site it
        names) keeps the site's hosting and source, and its address unless it gives one."""
        day = self.rules.today()
        req = Request(
            ticket=format_ticket(day, counters_repo.next_counter(s, f"ticket:{day:%Y%m%d}")),
            label=label,
            zone=zone,
            fqdn=self.rules.prod_fqdn(label),
            agency=draft.agency,
            purpose=draft.purpose,
            contact_name=draft.contact_name,
            contact_email=draft.contact_email,
            contact_phone=draft.contact_phone,
            letter_number=draft.letter_number,
            letter_date=draft.letter_date,
            hosting=site.hosting if site else draft.hosting,
            repo_url=site.repo_url if site else draft.repo,
            branch=site.branch if site else draft.branch,
            target_address=(draft.target_address or site.target_address) if site
            else draft.target_address,
            state=RequestState.SUBMITTED,
            created_by=actor.username,
            subject_request_id=site.id if site else None,
            request_type=draft.request_type,
            contact_nip=draft.contact_nip,
            contact_position=draft.contact_position,
            contact_rank=draft.contact_rank,
            site_kind=draft.site_kind,
            stack=draft.stack,
            db_wanted=draft.db_wanted,
        )  # fmt: skip
        s.add(req)
        s.flush()
        return req
