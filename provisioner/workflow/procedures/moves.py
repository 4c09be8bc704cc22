"""Moving a request on in its SOP, inside the caller's transaction: a finished step is
recorded (who, when, outcome, note, fields), the request's current step follows from the
replay, and a letter the outcome asks for is prepared as a draft for the Kepala Dinas."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from provisioner.domain.actors import Actor
from provisioner.domain.errors import Conflict
from provisioner.domain.sop import LetterKind, Outcome, SopDefinition
from provisioner.domain.sop_run import RunState
from provisioner.domain.states import RequestState
from provisioner.store.models.procedures import Procedure, ProcedureLetter, ProcedureStep
from provisioner.store.repositories import (
    audit as audit_repo,
    procedures as repo,
    requests as requests_repo,
)
from provisioner.workflow.procedures.letters import facts_for
from provisioner.workflow.procedures.views import state_of

SYSTEM_ACTOR = "provisioner"
LIVE_STATES = frozenset({RequestState.LIVE, RequestState.LETTER_ISSUED})


def finish_step(
    s: Session,
    definition: SopDefinition,
    row: Procedure,
    state: RunState,
    step_key: str,
    outcome: Outcome,
    actor: str,
    role: str,
    note: str,
    given: Mapping[str, str],
) -> None:
    s.add(
        ProcedureStep(
            procedure_id=row.id,
            step=step_key,
            outcome=outcome.value,
            actor=actor,
            role=role,
            note=note.strip(),
            fields=dict(given),
        )
    )
    s.flush()
    after = state_of(row, repo.steps(s, row.id))
    row.current_step, row.ended = after.current, (after.ended.value if after.ended else None)
    branch = definition.step(step_key).outcomes[outcome]
    if branch.letter is not None:
        prepare_letter(
            s,
            definition,
            row,
            step_key,
            branch.letter,
            None,
            given,
            reason=note,
            finishes_step=False,
            prepared_by=actor,
        )
    audit_repo.record_event(
        s,
        actor=actor,
        action="procedure:step",
        request_id=row.request_id,
        detail={"procedure": row.ticket, "step": step_key, "outcome": outcome.value},
        before={"step": state.current},
        after={"step": row.current_step, "ended": row.ended},
    )


def prepare_letter(
    s: Session,
    definition: SopDefinition,
    row: Procedure,
    step_key: str,
    kind: LetterKind,
    actor: Actor | None,
    given: Mapping[str, str],
    *,
    reason: str,
    finishes_step: bool,
    prepared_by: str | None = None,
) -> None:
    if finishes_step and any(
        lt.step == step_key and lt.finishes_step and lt.approved_at is None
        for lt in repo.letters(s, row.id)
    ):
        raise Conflict(
            "Draf surat langkah ini sudah menunggu persetujuan / "
            "This step's draft letter is already waiting for approval"
        )
    request = requests_repo.get_request(s, row.request_id) if row.request_id else None
    recorded = {
        **row.fields,
        **{k: v for r in repo.steps(s, row.id) for k, v in r.fields.items()},
        **dict(given),
    }
    facts = facts_for(
        definition,
        row,
        kind,
        reason=reason.strip(),
        fields=recorded,
        fqdn=request.fqdn if request and request.state in LIVE_STATES else None,
        hosting=bool(request and request.hosting and request.state in LIVE_STATES),
    )
    s.add(
        ProcedureLetter(
            procedure_id=row.id,
            step=step_key,
            kind=kind.value,
            facts=facts,
            finishes_step=finishes_step,
            prepared_by=prepared_by or (actor.username if actor else SYSTEM_ACTOR),
        )
    )
    s.flush()
    audit_repo.record_event(
        s,
        actor=prepared_by or (actor.username if actor else SYSTEM_ACTOR),
        action="procedure:letter_prepared",
        request_id=row.request_id,
        detail={"procedure": row.ticket, "step": step_key, "kind": kind.value},
    )
