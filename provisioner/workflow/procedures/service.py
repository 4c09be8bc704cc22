"""Requests that follow an SOP: opened by the OPD with the intake the SOP asks for, moved on
step by step by whoever the step names (with who, when, the note, the fields and the
documents), their letters approved before issue and their hardware steps finished by the
existing jobs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from provisioner.domain.actors import Action, Actor, Role, ensure_allowed, ensure_role
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import Conflict, InvalidInput, NotFound
from provisioner.domain.sop import JobKind, LetterKind, Outcome, RequestType, SopDefinition
from provisioner.domain.sop_run import (
    NEEDS_REASON,
    check_finish,
    ensure_may_act,
    missing_intake,
)
from provisioner.domain.states import RequestState
from provisioner.domain.text import check_visible
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.procedures import (
    Procedure,
)
from provisioner.store.repositories import (
    audit as audit_repo,
    counters as counters_repo,
    procedures as repo,
    requests as requests_repo,
)
from provisioner.workflow.procedures.catalog import SopCatalog
from provisioner.workflow.procedures.hardware import HardwareSteps
from provisioner.workflow.procedures.letters import LetterIssuer, invitation_problems
from provisioner.workflow.procedures.moves import (
    active_user,
    finish_step,
    prepare_letter,
    recorded_fields,
)
from provisioner.workflow.procedures.views import (
    AssigneeView,
    ProcedureLetterView,
    ProcedureView,
    assignees,
    definition_of,
    letter_view,
    procedure_view,
    state_of,
)

MAX_TEXT = 4000


@dataclass(frozen=True)
class ProcedureDraft:
    request_type: RequestType
    title: str
    agency: str
    request_letter_number: str
    request_letter_date: date | None
    fields: Mapping[str, str] = field(default_factory=dict)
    sop_key: str | None = None  # default: the SOP chosen for the request type
    request_id: int | None = None  # a subdomain request already submitted


@dataclass(frozen=True)
class Procedures:
    store: Store
    catalog: SopCatalog
    issuer: LetterIssuer
    hardware: HardwareSteps
    days_off: Callable[[], frozenset[date]]  # the admin's working calendar (national + regional)

    # --- reading ----------------------------------------------------------------------
    def _view(self, s: Session, row: Procedure) -> ProcedureView:
        request = requests_repo.get_request(s, row.request_id) if row.request_id else None
        return procedure_view(
            row,
            repo.steps(s, row.id),
            repo.documents(s, row.id),
            repo.letters(s, row.id),
            repo.evidence(s, row.id),
            request,
            now=utcnow(),
            days_off=self.days_off(),
        )

    def _view_after(self, procedure_id: int) -> ProcedureView:
        with self.store.read() as s:
            return self._view(s, repo.get_procedure(s, procedure_id))

    def get(self, procedure_id: int, actor: Actor) -> ProcedureView:
        self.hardware.sync(procedure_id)
        with self.store.read() as s:
            row = repo.get_procedure(s, procedure_id)
            ensure_allowed(actor, Action.VIEW, agency=row.agency)
            return self._view(s, row)

    def listing(self, actor: Actor, *, open_only: bool = False) -> list[ProcedureView]:
        ensure_role(actor, Action.VIEW)
        agency = actor.agency if actor.role is Role.OPD else None
        with self.store.read() as s:
            rows = repo.list_procedures(s, agency=agency, open_only=open_only)
            return [self._view(s, r) for r in rows]

    def assignees(self, actor: Actor) -> tuple[AssigneeView, ...]:
        """Who a disposition may go to: the active Diskominfo staff."""
        return assignees(self.store, actor)

    def letters_waiting(self, actor: Actor) -> list[ProcedureLetterView]:
        """The Kepala Dinas's inbox: drafts waiting for approval, oldest first."""
        ensure_role(actor, Action.SIGN_LETTER)
        with self.store.read() as s:
            out = []
            for letter in repo.letters_waiting(s):
                out.append(letter_view(letter, repo.get_procedure(s, letter.procedure_id)))
            return out

    # --- opening ----------------------------------------------------------------------
    def open(self, draft: ProcedureDraft, actor: Actor) -> ProcedureView:
        ensure_allowed(actor, Action.SUBMIT, agency=draft.agency)
        definition = (
            self.catalog.latest(draft.sop_key) if draft.sop_key
            else self.catalog.chosen(draft.request_type)
        )  # fmt: skip
        problems = _draft_problems(definition, draft)
        if problems:
            raise InvalidInput.of(problems)
        with self.store.session() as s:
            if draft.request_id is not None:
                self._check_request(s, draft.request_id, draft.agency, definition)
            day = utcnow().date()
            serial = counters_repo.next_counter(s, f"sop-ticket:{day:%Y%m%d}")
            row = Procedure(
                ticket=f"SOP-{day:%Y%m%d}-{serial:04d}",
                request_type=str(draft.request_type),
                sop_key=definition.key,
                sop_version=definition.version,
                definition=definition.model_dump(mode="json"),
                title=draft.title.strip(),
                agency=draft.agency.strip(),
                request_letter_number=draft.request_letter_number.strip(),
                request_letter_date=draft.request_letter_date,
                fields={k: v.strip() for k, v in draft.fields.items() if k in definition.fields},
                current_step=definition.steps[0].key,
                request_id=draft.request_id,
                created_by=actor.username,
            )
            s.add(row)
            s.flush()
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="procedure:opened",
                request_id=draft.request_id,
                detail={
                    "procedure": row.ticket,
                    "sop": definition.key,
                    "version": definition.version,
                },
                after={"step": row.current_step},
            )
            return self._view(s, row)

    def _check_request(
        self, s: Session, request_id: int, agency: str, definition: SopDefinition
    ) -> None:
        """The request may be linked (same agency, no other SOP request); where the SOP
        installs on the development server first, its production waits for the SOP."""
        req = requests_repo.get_request(s, request_id)
        if req.agency != agency:
            raise InvalidInput(
                "request_id",
                "Permohonan subdomain milik OPD lain / "
                "The subdomain request belongs to another agency",
            )
        # One SOP request at a time: once it ended (e.g. Batam's recommendation of hosting),
        # the same request may follow the next SOP (the subdomain and hosting SOP).
        under_way = repo.list_procedures(s, agency=agency, open_only=True, limit=10_000)
        if any(p.request_id == request_id for p in under_way):
            raise Conflict(
                "Permohonan subdomain ini sedang mengikuti SOP lain / "
                "This subdomain request follows another SOP request under way"
            )
        if holds_production(definition) and req.state in _NOT_APPROVED:
            req.hold_production = True

    def link_request(self, procedure_id: int, request_id: int, actor: Actor) -> ProcedureView:
        """The OPD names the subdomain / hosting request its hardware steps run on."""
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            ensure_allowed(actor, Action.SUBMIT, agency=row.agency)
            if row.request_id is not None:
                raise Conflict("Sudah terhubung ke permohonan subdomain / Already linked")
            self._check_request(s, request_id, row.agency, definition_of(row))
            row.request_id = request_id
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="procedure:linked",
                request_id=request_id,
                detail={"procedure": row.ticket},
            )
            return self._view(s, row)

    # --- acting on a step ---------------------------------------------------------------
    def record(
        self,
        procedure_id: int,
        step_key: str,
        outcome: Outcome,
        actor: Actor,
        *,
        note: str = "",
        fields: Mapping[str, str] | None = None,
    ) -> ProcedureView:
        """Finish the current step with `outcome` (or, for a letter step, prepare its draft
        for the Kepala Dinas)."""
        given = {k: str(v) for k, v in (fields or {}).items()}
        problems = _text_problems({"note": note, **given})
        if problems:
            raise InvalidInput.of(problems)
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            ensure_allowed(actor, Action.SOP_STEP, agency=row.agency)
            definition = definition_of(row)
            state = state_of(row, repo.steps(s, row.id))
            step = definition.step(step_key)
            ensure_may_act(step, actor.role)
            documents = frozenset(d.kind for d in repo.documents(s, row.id))
            # What the intake or an earlier step recorded counts, as attached documents do.
            known = recorded_fields(s, row, given)
            check_finish(
                definition, state, step_key, outcome, note=note, fields=known, documents=documents
            )
            forward = outcome not in NEEDS_REASON
            if forward:
                self._check_forward(s, definition, row, step_key, given, documents)
            release: str | None = None
            if forward and step.output.job in self.hardware.probes:
                target = self.hardware.dev_target(s, row)
            elif forward and step.output.job is JobKind.PRODUCTION:
                release = self.hardware.held_site(s, row)
            elif forward and step.output.job is not None:
                raise Conflict(_FINISHES_BY_ITSELF)
            elif forward and step.output.letter is not None:
                if step.output.letter is LetterKind.INVITATION and invitation_problems(given):
                    raise InvalidInput.of(invitation_problems(given))
                prepare_letter(s, definition, row, step_key, step.output.letter, actor, given,
                              reason=note, finishes_step=True)  # fmt: skip
                return self._view(s, row)
            else:
                finish_step(s, definition, row, state, step_key, outcome, actor.username,
                             str(actor.role), note, given)  # fmt: skip
                return self._view(s, row)
        if release is not None:  # the job finishes the step (sync) once production is live
            self.hardware.release(release, actor)
            return self._view_after(procedure_id)
        return self._view_after(
            self.hardware.run_probe(procedure_id, step_key, outcome, actor, target)
        )

    def _check_forward(
        self,
        s: Session,
        definition: SopDefinition,
        row: Procedure,
        step_key: str,
        given: Mapping[str, str],
        documents: frozenset[str],
    ) -> None:
        """Going forward needs the intake's documents too, and a disposition's assignee (and
        any user a step's `user` field names) must be an active user."""
        missing = missing_intake(definition, row.fields, documents)
        if missing:
            raise InvalidInput.of(missing)
        step = definition.step(step_key)
        users = [
            f for f in step.requires.fields
            if definition.fields[f].kind == "user" and given.get(f, "").strip()
        ]  # fmt: skip
        for key in [*users, *(["assignee"] if step.disposition else [])]:
            active_user(s, key, given.get(key, ""))

    def approve_letter(self, procedure_id: int, letter_id: int, actor: Actor) -> ProcedureView:
        """The Kepala Dinas approves a draft: it is numbered, rendered and issued, and a
        letter step is finished by it."""
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            ensure_allowed(actor, Action.SIGN_LETTER, owner=row.created_by)
            letter = next((lt for lt in repo.letters(s, row.id) if lt.id == letter_id), None)
            if letter is None:
                raise NotFound(f"Surat {letter_id} tidak ada / No letter {letter_id}")
            if letter.approved_at is not None:
                raise Conflict("Surat ini sudah terbit / This letter is already issued")
            self.issuer.issue(s, row, letter, actor.username)
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="procedure:letter_issued",
                request_id=row.request_id,
                detail={"procedure": row.ticket, "kind": letter.kind, "number": letter.number},
            )
            if letter.finishes_step:
                definition = definition_of(row)
                state = state_of(row, repo.steps(s, row.id))
                if state.current == letter.step:
                    step = definition.step(letter.step)
                    outcome = next(o for o in step.outcomes if o not in NEEDS_REASON)
                    finish_step(
                        s,
                        definition,
                        row,
                        state,
                        letter.step,
                        outcome,
                        actor.username,
                        str(actor.role),
                        "",
                        dict(letter.facts.get("step_fields") or {}),
                    )
            return self._view(s, row)

    def letter_pdf(self, procedure_id: int, letter_id: int, actor: Actor) -> Path:
        with self.store.read() as s:
            row = repo.get_procedure(s, procedure_id)
            ensure_allowed(actor, Action.VIEW, agency=row.agency)
            letter = next((lt for lt in repo.letters(s, row.id) if lt.id == letter_id), None)
            if letter is None or letter.pdf_path is None:
                raise NotFound("Surat belum terbit / The letter is not issued yet")
            return Path(letter.pdf_path)


_NOT_APPROVED = frozenset(
    {RequestState.SUBMITTED, RequestState.VERIFIED, RequestState.RETURNED}
)


def holds_production(definition: SopDefinition) -> bool:
    """An SOP that installs and tests on the development server as a step of its own
    (Batam 14, Tarakan, Kaltara 11) keeps production for later: UAT, feasibility tests and
    the recommendation come first."""
    return any(s.output.job is JobKind.DEV_INSTALL for s in definition.steps)


def _draft_problems(definition: SopDefinition, draft: ProcedureDraft) -> list[tuple[str, str]]:
    """What is wrong with a request as the OPD opens it, every problem at once."""
    problems = _text_problems({"title": draft.title, **dict(draft.fields)})
    if definition.request_type is not draft.request_type:
        problems.append(
            (
                "sop_key",
                Text(
                    f"SOP {definition.key} bukan untuk jenis permohonan ini",
                    f"SOP {definition.key} is not for this request type",
                ).joined(),
            )
        )
    if not draft.title.strip():
        problems.append(("title", "Judul wajib diisi / A title is required"))
    if not draft.agency.strip():
        problems.append(("agency", "OPD wajib diisi / The agency is required"))
    if not draft.request_letter_number.strip():
        problems.append(
            ("request_letter_number", "Nomor surat wajib diisi / The letter number is required")
        )
    problems += missing_intake(definition, draft.fields, frozenset(definition.intake.documents))
    return problems


_FINISHES_BY_ITSELF = Text(
    "Langkah ini selesai sendiri ketika pekerjaannya selesai",
    "This step finishes by itself when its job does",
)


def _text_problems(values: Mapping[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key, value in values.items():
        if len(value) > MAX_TEXT:
            problems.append(
                (key, f"Paling banyak {MAX_TEXT} karakter / At most {MAX_TEXT} characters")
            )
            continue
        try:
            check_visible(key, value, multiline=True)
        except InvalidInput as exc:
            problems.append((key, exc.message))
    return problems
