"""Where a request stands in its SOP (pure): replaying the recorded steps over the definition
the request started with gives the current step, how it ended, and every step's clock in
working time. The workflow records; this module decides what may be recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from provisioner.domain.actors import Role
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput
from provisioner.domain.sla import StepClock, WorkingCalendar, _aware
from provisioner.domain.sop import (
    OUTCOME_NAMES,
    Ending,
    LetterKind,
    Outcome,
    SopDefinition,
    SopRole,
    Step,
)

# Which accounts act for an SOP role. The developer is an outsider: the team records it.
ACTS_AS: dict[SopRole, frozenset[Role]] = {
    SopRole.OPD: frozenset({Role.OPD}),
    SopRole.SECRETARIAT: frozenset({Role.ADMIN}),
    SopRole.KADIS: frozenset({Role.APPROVER}),
    SopRole.KABID: frozenset({Role.KABID}),
    SopRole.TEAM: frozenset({Role.NETWORK, Role.TECHNICAL}),
    SopRole.NETWORK: frozenset({Role.NETWORK}),
    SopRole.TECHNICAL: frozenset({Role.TECHNICAL}),
    SopRole.DEVELOPER: frozenset({Role.NETWORK, Role.TECHNICAL}),
}
SOP_ROLE_NAMES: dict[SopRole, Text] = {
    SopRole.OPD: Text("OPD pemohon", "Requesting agency (OPD)"),
    SopRole.SECRETARIAT: Text("Sekretariat / Bagian Umum", "Secretariat"),
    SopRole.KADIS: Text("Kepala Dinas", "Head of the agency (Kadis)"),
    SopRole.KABID: Text("Kepala Bidang", "Head of division (Kabid)"),
    SopRole.TEAM: Text("Tim teknis Diskominfo", "Diskominfo technical team"),
    SopRole.NETWORK: Text("Tim jaringan", "Network team"),
    SopRole.TECHNICAL: Text("Tim teknis", "Technical team"),
    SopRole.DEVELOPER: Text("Pengembang (dicatat tim)", "Developer (recorded by the team)"),
}
# Outcomes that send the request back or end it need a reason, not the step's documents.
NEEDS_REASON = frozenset({Outcome.REJECT, Outcome.RETURN, Outcome.NOT_NEEDED, Outcome.RETIRE})
DISPOSITION_FIELDS = {
    "instruction": Text("Instruksi disposisi", "Disposition instruction"),
    "assignee": Text("Penerima disposisi", "Assignee"),
}


@dataclass(frozen=True)
class StepRecord:
    """One finished visit of a step: who, when, the outcome, the note and what was given."""

    step: str
    outcome: Outcome
    actor: str
    at: datetime
    note: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    step: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    actor: str | None = None


@dataclass(frozen=True)
class RunState:
    current: str | None  # the step waiting to be done; None once the request ended
    ended: Ending | None
    visits: tuple[Visit, ...]
    # Letters the outcomes asked for (e.g. the refusal on "reject"), in order.
    letters: tuple[tuple[str, LetterKind], ...] = ()

    @property
    def current_since(self) -> datetime | None:
        return self.visits[-1].started_at if self.current is not None else None


def replay(
    definition: SopDefinition, opened_at: datetime, records: Sequence[StepRecord]
) -> RunState:
    """The state after `records` (time-ordered), starting at the first step at `opened_at`."""
    current: str | None = definition.steps[0].key
    since = _aware(opened_at)
    visits: list[Visit] = []
    letters: list[tuple[str, LetterKind]] = []
    ended: Ending | None = None
    for rec in records:
        if current is None or rec.step != current:
            raise Conflict(
                f"Catatan langkah {rec.step} tidak berurutan / Step {rec.step} out of order"
            )
        at = _aware(rec.at)
        visits.append(Visit(rec.step, since, at, rec.outcome, rec.actor))
        step = definition.step(rec.step)
        branch = step.outcomes[rec.outcome]
        if branch.letter is not None:
            letters.append((rec.step, branch.letter))
        since = at
        if branch.end is not None:
            current, ended = None, branch.end
        elif branch.next is not None:
            current = branch.next
        elif step.repeat_every is not None and rec.outcome in (Outcome.CONTINUE, Outcome.IMPROVE):
            since = at + timedelta(days=int(step.repeat_every[:-1]))  # due again after the period
        else:
            current = definition.after(rec.step)
            if current is None:
                ended = Ending.COMPLETED
    if current is not None:
        visits.append(Visit(current, since))
    return RunState(current, ended, tuple(visits), tuple(letters))


def ensure_may_act(step: Step, role: Role) -> None:
    if role not in ACTS_AS[step.role]:
        who = SOP_ROLE_NAMES[step.role]
        raise Forbidden(
            Text(f"Langkah ini dikerjakan oleh {who.id}", f"This step is done by the {who.en}")
        )


def check_finish(
    definition: SopDefinition,
    state: RunState,
    step_key: str,
    outcome: Outcome,
    *,
    note: str,
    fields: Mapping[str, str],
    documents: frozenset[str],
) -> None:
    """Raise unless `step_key` may be finished now with `outcome` and what was given: the step
    is the current one, the outcome is one of its branches, a reason comes with a refusal or
    return, and a forward outcome has every required field and document (a disposition its
    instruction and assignee)."""
    if state.current != step_key:
        raise Conflict(
            Text(
                f"Langkah {step_key} bukan langkah yang sedang berjalan",
                f"Step {step_key} is not the step waiting to be done",
            )
        )
    step = definition.step(step_key)
    if outcome not in step.outcomes:
        allowed = ", ".join(o.value for o in step.outcomes)
        raise InvalidInput(
            "outcome", Text(f"Pilih salah satu: {allowed}", f"Choose one of: {allowed}")
        )
    if outcome in NEEDS_REASON:
        if not note.strip():
            name = OUTCOME_NAMES[outcome]
            reason = Text(f"{name.id}: tuliskan alasannya", f"{name.en}: write the reason")
            raise InvalidInput("note", reason)
        return
    problems = _needs_problems(
        definition, step.requires.fields, step.requires.documents, fields, documents
    )
    if step.disposition:
        for key, label in DISPOSITION_FIELDS.items():
            if not fields.get(key, "").strip():
                problems.append((key, _required(label)))
    if problems:
        raise InvalidInput.of(problems)


def _required(name: Text) -> str:
    return Text(f"{name.id} wajib diisi", f"{name.en} is required").joined()


def _needs_problems(
    definition: SopDefinition,
    needed_fields: Sequence[str],
    needed_documents: Sequence[str],
    fields: Mapping[str, str],
    documents: frozenset[str],
) -> list[tuple[str, str]]:
    problems = [
        (key, _required(definition.fields[key].name.text))
        for key in needed_fields
        if not str(fields.get(key, "")).strip()
    ]
    for kind in needed_documents:
        if kind not in documents:
            name = definition.documents[kind].name
            problems.append((kind, Text(f"Lampirkan {name.id}", f"Attach the {name.en}").joined()))
    return problems


def missing_intake(
    definition: SopDefinition, fields: Mapping[str, str], documents: frozenset[str]
) -> list[tuple[str, str]]:
    """What the intake still lacks (the completeness check of the request itself)."""
    return _needs_problems(
        definition, definition.intake.fields, definition.intake.documents, fields, documents
    )


def step_clocks(
    definition: SopDefinition, state: RunState, now: datetime, calendar: WorkingCalendar
) -> list[StepClock]:
    """One clock per visit, in working time. A step the OPD (or its developer) acts on is
    paused: the Diskominfo's clock does not run while it waits on the OPD."""
    now = _aware(now)
    clocks: list[StepClock] = []
    for visit in state.visits:
        step = definition.step(visit.step)
        limit = step.limit_minutes
        stop = visit.finished_at or now
        used = calendar.working_minutes(visit.started_at, stop) if stop > visit.started_at else 0.0
        paused = step.waits_on_opd
        due = None
        if limit is not None and not paused and visit.finished_at is None:
            due = calendar.add_working_minutes(visit.started_at, limit)
        clocks.append(
            StepClock(
                step=visit.step,
                label=step.name.text.joined(),
                limit_minutes=int(limit) if limit is not None else 0,
                used_minutes=round(used, 2),
                started_at=visit.started_at,
                ended_at=visit.finished_at,
                due_at=due,
                paused=paused,
                overdue=limit is not None and not paused and used > limit,
            )
        )
    return clocks
