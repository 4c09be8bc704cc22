"""A request's revision loop: the network team returns it to the OPD with what to fix (its
SLA clock stops, the name stays held), the OPD sends it back, optionally revised."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.requests import NOTE_REQUIRED, RequestDraft, required_note
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.read_models import RequestView, request_view
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.requests.rules import RequestRules
from provisioner.workflow.requests.transitions import Handoff, ensure_awaiting_decision, move

# What an OPD may change when it revises a returned request.
REVISABLE = (
    "purpose", "contact_name", "contact_email", "contact_phone", "contact_nip",
    "contact_position", "contact_rank", "letter_number", "letter_date", "site_kind",
)  # fmt: skip


@dataclass(frozen=True)
class RequestRevisions:
    store: Store
    rules: RequestRules
    on_handoff: Handoff

    def return_for_revision(
        self, request_id: int, actor: Actor, note: str, *, client_ip: str | None = None
    ) -> RequestView:
        """Send a request back to the OPD with what to fix; its SLA clock stops until the
        OPD submits again. The name stays held."""
        note = required_note("note", note, NOTE_REQUIRED)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.DECIDE, owner=req.created_by)
            ensure_awaiting_decision(req)
            req.revision_note = note
            move(s, req, RequestState.RETURNED, actor, "request:returned", client_ip,
                 detail={"note": note})  # fmt: skip
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
            updates = self.rules.normalise(updates)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.SUBMIT, agency=req.agency)
            if req.state != RequestState.RETURNED:
                raise Conflict(
                    "Hanya permohonan yang dikembalikan yang dapat diajukan ulang / "
                    "Only a returned request can be submitted again"
                )
            before = {f: getattr(req, f) for f in REVISABLE}
            if updates is not None:
                if updates.label.strip().lower() != req.label or updates.agency != req.agency:
                    raise InvalidInput(
                        "label",
                        "Nama subdomain dan OPD tidak dapat diubah / "
                        "The subdomain and agency cannot change",
                    )
                for f in REVISABLE:
                    setattr(req, f, getattr(updates, f))
            move(s, req, RequestState.SUBMITTED, actor, "request:resubmitted", client_ip,
                 before=before, after={f: getattr(req, f) for f in REVISABLE})  # fmt: skip
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
        unknown = sorted(set(changes) - set(REVISABLE))
        if unknown:
            raise InvalidInput(
                unknown[0], "Kolom ini tidak dapat diubah / This field cannot be revised"
            )
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.SUBMIT, agency=req.agency)
            current = {f: getattr(req, f) for f in REVISABLE}
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
