"""Read models of a request under an SOP, complete when the session closes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from provisioner.domain.actors import Action, Actor, Role, ensure_role
from provisioner.domain.bilingual import Text
from provisioner.domain.sla import StepClock, WorkingCalendar
from provisioner.domain.sop import (
    ENDING_NAMES,
    LETTER_NAMES,
    OUTCOME_NAMES,
    Ending,
    LetterKind,
    Outcome,
    SopDefinition,
    Step,
    parse_definition,
)
from provisioner.domain.sop_run import SOP_ROLE_NAMES, RunState, StepRecord, replay, step_clocks
from provisioner.store.db import Store
from provisioner.store.models.procedures import (
    Procedure,
    ProcedureDocument,
    ProcedureEvidence,
    ProcedureLetter,
    ProcedureStep,
)
from provisioner.store.models.requests import Request
from provisioner.store.repositories import people as people_repo


@dataclass(frozen=True)
class StepView:
    key: str
    name: Text
    role: str
    role_name: Text
    limit: str | None
    output_kind: str  # record | letter | job
    output: str
    outcomes: tuple[tuple[str, Text], ...]
    fields: tuple[tuple[str, Text], ...]
    documents: tuple[tuple[str, Text], ...]
    disposition: bool
    status: str  # done | current | pending
    field_kinds: tuple[tuple[str, str], ...] = ()  # key → text | user | date, as `fields`


@dataclass(frozen=True)
class RecordView:
    step: str
    step_name: Text
    outcome: str
    outcome_name: Text
    actor: str
    role: str
    at: datetime
    note: str
    fields: dict[str, str]


@dataclass(frozen=True)
class DocumentView:
    id: int
    kind: str
    kind_name: Text
    step: str | None
    filename: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class ProcedureLetterView:
    id: int
    procedure_id: int
    ticket: str
    title: str
    agency: str
    step: str
    kind: str
    kind_name: Text
    finishes_step: bool
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    number: str | None
    verification_code: str | None
    reason: str
    record_sha256: str | None = None  # the TTE-signed letter of record, once uploaded
    record_uploaded_at: datetime | None = None
    record_uploaded_by: str | None = None

    @property
    def issued(self) -> bool:
        return self.number is not None


@dataclass(frozen=True)
class EvidenceView:
    step: str
    kind: str
    passed: bool | None
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class ProcedureView:
    id: int
    ticket: str
    request_type: str
    sop_key: str
    sop_version: int
    sop_name: Text
    title: str
    agency: str
    request_letter_number: str
    request_letter_date: date | None
    fields: dict[str, str]
    field_names: dict[str, Text]
    created_by: str
    created_at: datetime
    current_step: StepView | None
    ended: str | None
    ended_name: Text | None
    steps: tuple[StepView, ...]
    history: tuple[RecordView, ...]
    clocks: tuple[StepClock, ...]
    documents: tuple[DocumentView, ...]
    letters: tuple[ProcedureLetterView, ...]
    evidence: tuple[EvidenceView, ...]
    request_id: int | None
    request_state: str | None
    request_fqdn: str | None
    # The SOP's document kinds by name, and the ones the intake asks for (a page offers
    # their upload before any step needs them).
    document_names: dict[str, Text] = field(default_factory=dict)
    intake_documents: tuple[str, ...] = ()
    field_kinds: dict[str, str] = field(default_factory=dict)  # key → text | user | date


@dataclass(frozen=True)
class AssigneeView:
    """A user a disposition (or a `user` field) may name."""

    username: str
    full_name: str
    role: str


def definition_of(row: Procedure) -> SopDefinition:
    return parse_definition(row.definition)


def records_of(rows: list[ProcedureStep]) -> list[StepRecord]:
    return [
        StepRecord(r.step, Outcome(r.outcome), r.actor, r.at, r.note, dict(r.fields)) for r in rows
    ]


def state_of(row: Procedure, steps: list[ProcedureStep]) -> RunState:
    return replay(definition_of(row), row.created_at, records_of(steps))


def step_view(definition: SopDefinition, step: Step, status: str) -> StepView:
    out = step.output
    kind, value = (
        ("letter", str(out.letter)) if out.letter else ("job", str(out.job)) if out.job
        else ("record", str(out.record))
    )  # fmt: skip
    return StepView(
        key=step.key,
        name=step.name.text,
        role=str(step.role),
        role_name=SOP_ROLE_NAMES[step.role],
        limit=step.limit,
        output_kind=kind,
        output=value,
        outcomes=tuple((str(o), OUTCOME_NAMES[o]) for o in step.outcomes),
        fields=tuple((f, definition.fields[f].name.text) for f in step.requires.fields),
        documents=tuple((d, definition.documents[d].name.text) for d in step.requires.documents),
        disposition=step.disposition,
        status=status,
        field_kinds=tuple((f, definition.fields[f].kind) for f in step.requires.fields),
    )


def document_view(d: ProcedureDocument, definition: SopDefinition) -> DocumentView:
    spec = definition.documents.get(d.kind)
    return DocumentView(
        id=d.id,
        kind=d.kind,
        kind_name=spec.name.text if spec else Text(d.kind, d.kind),
        step=d.step,
        filename=d.filename,
        size=d.size,
        sha256=d.sha256,
        uploaded_by=d.uploaded_by,
        uploaded_at=d.uploaded_at,
    )


def letter_view(row: ProcedureLetter, proc: Procedure) -> ProcedureLetterView:
    kind = LetterKind(row.kind)
    return ProcedureLetterView(
        id=row.id,
        procedure_id=proc.id,
        ticket=proc.ticket,
        title=proc.title,
        agency=proc.agency,
        step=row.step,
        kind=row.kind,
        kind_name=LETTER_NAMES[kind],
        finishes_step=row.finishes_step,
        prepared_by=row.prepared_by,
        prepared_at=row.prepared_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        number=row.number,
        verification_code=row.verification_code,
        reason=str(row.facts.get("reason", "")),
        record_sha256=row.record_sha256,
        record_uploaded_at=row.record_uploaded_at,
        record_uploaded_by=row.record_uploaded_by,
    )


def _step_views(definition: SopDefinition, state: RunState) -> tuple[StepView, ...]:
    """Every step of the definition, marked done, current or pending."""
    done = {v.step for v in state.visits if v.finished_at is not None}
    return tuple(
        step_view(
            definition,
            s,
            "current" if s.key == state.current else "done" if s.key in done else "pending",
        )
        for s in definition.steps
    )


def _record_view(definition: SopDefinition, r: ProcedureStep) -> RecordView:
    """One recorded move in the request's history, with its names in words."""
    return RecordView(
        step=r.step,
        step_name=definition.step(r.step).name.text,
        outcome=r.outcome,
        outcome_name=OUTCOME_NAMES[Outcome(r.outcome)],
        actor=r.actor,
        role=r.role,
        at=r.at,
        note=r.note,
        fields={k: str(v) for k, v in r.fields.items()},
    )


def procedure_view(
    row: Procedure,
    steps: list[ProcedureStep],
    documents: list[ProcedureDocument],
    letters: list[ProcedureLetter],
    evidence: list[ProcedureEvidence],
    request: Request | None,
    *,
    now: datetime,
    days_off: frozenset[date],
) -> ProcedureView:
    definition = definition_of(row)
    state = state_of(row, steps)
    views = _step_views(definition, state)
    calendar: WorkingCalendar = definition.service_hours.calendar(days_off)
    return ProcedureView(
        id=row.id,
        ticket=row.ticket,
        request_type=row.request_type,
        sop_key=row.sop_key,
        sop_version=row.sop_version,
        sop_name=definition.name.text,
        title=row.title,
        agency=row.agency,
        request_letter_number=row.request_letter_number,
        request_letter_date=row.request_letter_date,
        fields={k: str(v) for k, v in row.fields.items()},
        field_names={k: f.name.text for k, f in definition.fields.items()},
        created_by=row.created_by,
        created_at=row.created_at,
        current_step=next((v for v in views if v.status == "current"), None),
        ended=state.ended.value if state.ended else None,
        ended_name=ENDING_NAMES[Ending(state.ended)] if state.ended else None,
        steps=views,
        history=tuple(_record_view(definition, r) for r in steps),
        clocks=tuple(step_clocks(definition, state, now, calendar)),
        documents=tuple(document_view(d, definition) for d in documents),
        letters=tuple(letter_view(lt, row) for lt in letters),
        evidence=tuple(
            EvidenceView(e.step, e.kind, e.passed, dict(e.data), e.at) for e in evidence
        ),
        request_id=row.request_id,
        request_state=request.state if request else None,
        request_fqdn=request.fqdn if request else None,
        document_names={k: d.name.text for k, d in definition.documents.items()},
        intake_documents=tuple(definition.intake.documents),
        field_kinds={k: f.kind for k, f in definition.fields.items()},
    )


def assignees(store: Store, actor: Actor) -> tuple[AssigneeView, ...]:
    """The active Diskominfo staff a disposition may go to (an OPD account is not one),
    ordered by role, then name."""
    ensure_role(actor, Action.SOP_STEP)
    with store.read() as s:
        users = [u for u in people_repo.list_users(s) if not u.disabled and u.role != Role.OPD]
        return tuple(
            AssigneeView(u.username, u.full_name, u.role)
            for u in sorted(users, key=lambda u: (u.role, u.username))
        )
