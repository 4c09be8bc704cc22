"""Moving a request on in its SOP, inside the caller's transaction: a finished step is
recorded (who, when, outcome, note, fields), the request's current step follows from the
replay, and a letter the outcome asks for is prepared as a draft for the Kepala Dinas."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from provisioner.domain.actors import Actor
from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.sop import LetterKind, Outcome, SopDefinition
from provisioner.domain.sop_run import DISPOSITION_FIELDS, RunState
from provisioner.domain.states import RequestState
from provisioner.store.models.procedures import Procedure, ProcedureLetter, ProcedureStep
from provisioner.store.repositories import (
    audit as audit_repo,
    people as people_repo,
    procedures as repo,
    requests as requests_repo,
)
from provisioner.workflow.procedures.letters import facts_for
from provisioner.workflow.procedures.views import state_of

SYSTEM_ACTOR = "provisioner"
LIVE_STATES = frozenset({RequestState.LIVE, RequestState.LETTER_ISSUED})


def recorded_fields(
    s: Session, row: Procedure, given: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What the request has on record: the intake's fields and every finished step's, with
    `given` over them where it is not blank. A disposition's instruction and assignee stay
    its own (the next disposition gives its own)."""
    known = {k: str(v) for k, v in row.fields.items()}
    for record in repo.steps(s, row.id):
        known.update({k: str(v) for k, v in record.fields.items() if k not in DISPOSITION_FIELDS})
    known.update({k: v for k, v in (given or {}).items() if str(v).strip()})
    return known


def active_user(s: Session, key: str, username: str) -> str:
    """The name a letter gives a user a step names (full name, else the user name), or
    InvalidInput when no active user has that name."""
    user = people_repo.user_by_name(s, username.strip())
    if user is None or user.disabled:
        raise InvalidInput(
            key, "Harus nama pengguna yang aktif / Must be the name of an active user"
        )
    return user.full_name.strip() or user.username


def _shown(s: Session, username: str) -> str:
    """A user as a letter names them: the full name, else the user name (or the text)."""
    user = people_repo.user_by_name(s, username.strip())
    return (user.full_name.strip() or user.username) if user else username.strip()


def _assignees(
    s: Session, definition: SopDefinition, step_key: str, recorded: Mapping[str, str],
    given: Mapping[str, str],
) -> list[str]:  # fmt: skip
    """Who an assignment letter appoints: the users its step names (e.g. the system analyst),
    and a disposition's assignee given with it — never an earlier step's."""
    users = [
        recorded.get(f, "") for f in definition.step(step_key).requires.fields
        if definition.fields[f].kind == "user"
    ]  # fmt: skip
    names = [*users, given.get("assignee", ""), given.get("assignees", "")]
    return [_shown(s, n) for n in names if n.strip()]


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
            # An evaluation letter states the decision the outcome is.
            {**given, "decision": outcome.value}
            if branch.letter is LetterKind.EVALUATION
            else given,
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


def _letter_fields(
    s: Session, definition: SopDefinition, row: Procedure, step_key: str, kind: LetterKind,
    given: Mapping[str, str],
) -> tuple[dict[str, str], list[str]]:  # fmt: skip
    """What a letter shows (a `user` field by the person's name) and whom it appoints; an
    assignment's scope is its own step's fields, not the whole request's."""
    recorded = recorded_fields(s, row, given)
    for key, value in list(recorded.items()):
        spec = definition.fields.get(key)
        if spec is not None and spec.kind == "user" and value.strip():
            recorded[key] = _shown(s, value)
    if kind is not LetterKind.ASSIGNMENT:
        return recorded, []
    assignees = _assignees(s, definition, step_key, recorded, given)
    own = definition.step(step_key).requires.fields
    return {k: v for k, v in recorded.items() if k in own}, assignees


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
    # A reply says what exists; a recommendation also names the site held at dev that it
    # recommends putting on production (Batam 14 → 15).
    named = (
        LIVE_STATES | {RequestState.DEV_READY} if kind is LetterKind.RECOMMENDATION else LIVE_STATES
    )
    recorded, assignees = _letter_fields(s, definition, row, step_key, kind, given)
    facts = facts_for(
        definition,
        row,
        kind,
        reason=reason.strip(),
        fields=recorded,
        fqdn=request.fqdn if request and request.state in named else None,
        hosting=bool(request and request.hosting and request.state in named),
        assignees=assignees,
    )
    if finishes_step:  # what the step was given, recorded with it once the letter is issued
        facts["step_fields"] = dict(given)
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
