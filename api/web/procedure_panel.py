"""What a request's page offers the reader on its current step (from the read model and
the reader's role, no I/O): the step's form — its fields, a disposition's instruction and
assignee, the note and one button per outcome — for a role that acts on it
(provisioner.domain.sop_run.ACTS_AS); the draft waiting for the Kepala Dinas on a letter
step; the linked subdomain request on a hardware step; a "run" button on a feasibility
test; and the documents the step or the intake still asks for (those the step's form
takes with its answers are not offered twice)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from api.web.i18n_en import EN
from api.web.i18n_id import ID
from api.web.procedure_forms import INVITATION_FIELDS, StepInput, step_inputs
from provisioner.domain.actors import Actor, Role
from provisioner.domain.bilingual import Text
from provisioner.domain.sop import SopRole
from provisioner.domain.sop_run import ACTS_AS, DISPOSITION_FIELDS, NEEDS_REASON
from provisioner.workflow.procedures.views import (
    DocumentView,
    ProcedureLetterView,
    ProcedureView,
    StepView,
)

PROBES = frozenset({"load_test", "security_scan"})
# What a record may hold besides the SOP's own fields, named in both catalogues.
_EXTRA_KEYS = (*(k for k, _ in INVITATION_FIELDS), "evidence", "request", "state")
EXTRA_NAMES: dict[str, Text] = {
    k: Text(ID[f"sop.field.{k}"], EN[f"sop.field.{k}"]) for k in _EXTRA_KEYS
}


@dataclass(frozen=True)
class StepPanel:
    step: StepView
    acts: bool  # the reader's role acts on this step
    mode: str  # form | letter_waiting | job | probe
    forward: tuple[tuple[str, Text], ...]
    refusing: tuple[tuple[str, Text], ...]  # these need the note (the reason)
    inputs: tuple[StepInput, ...]
    draft: ProcedureLetterView | None
    # The step's documents not attached yet: the step's form takes them with its answers.
    missing: tuple[tuple[str, Text], ...] = ()

    @property
    def needs_users(self) -> bool:
        return any(i.kind == "user" for i in self.inputs)


def acts_on(step: StepView, actor: Actor) -> bool:
    return actor.role in ACTS_AS[SopRole(step.role)]


def waiting_draft(view: ProcedureView, step_key: str) -> ProcedureLetterView | None:
    """The current letter step's draft waiting for the Kepala Dinas, if any."""
    return next(
        (lt for lt in view.letters if lt.step == step_key and lt.finishes_step and not lt.issued),
        None,
    )


def step_panel(view: ProcedureView, actor: Actor) -> StepPanel | None:
    """What the reader may do on the current step (None once the request ended)."""
    step = view.current_step
    if step is None or view.ended is not None:
        return None
    draft = waiting_draft(view, step.key) if step.output_kind == "letter" else None
    if step.output_kind == "job":
        mode = "probe" if step.output in PROBES else "job"
    else:
        mode = "letter_waiting" if draft is not None else "form"
    return StepPanel(
        step=step,
        acts=acts_on(step, actor),
        mode=mode,
        forward=tuple(o for o in step.outcomes if o[0] not in NEEDS_REASON),
        refusing=tuple(o for o in step.outcomes if o[0] in NEEDS_REASON),
        inputs=step_inputs(step, DISPOSITION_FIELDS, EXTRA_NAMES) if mode == "form" else (),
        draft=draft,
        missing=tuple(
            (k, name)
            for k, name in step.documents
            if mode == "form" and not any(d.kind == k for d in view.documents)
        ),
    )


def field_labels(view: ProcedureView) -> dict[str, Text]:
    """Every name a recorded field may have: the SOP's, a disposition's, the extras."""
    return {**EXTRA_NAMES, **DISPOSITION_FIELDS, **view.field_names}


@dataclass(frozen=True)
class NeededDocument:
    kind: str
    name: Text
    uploaded: tuple[DocumentView, ...]
    intake: bool  # the intake asks for it (the OPD hands it in)
    may_upload: bool


def needed_documents(view: ProcedureView, actor: Actor,
                     panel: StepPanel | None) -> list[NeededDocument]:  # fmt: skip
    """The intake's documents and the current step's, each with what was uploaded and
    whether the reader may add one (who acts on the step; the OPD and the secretariat
    for the intake's)."""
    if view.ended is not None:
        return []
    kinds: list[str] = list(view.intake_documents)
    if panel is not None:
        kinds += [k for k, _ in panel.step.documents if k not in kinds]
    hands_in = actor.role in (Role.OPD, Role.ADMIN)
    in_form = {k for k, _ in panel.missing} if panel is not None and panel.acts else set()
    out = []
    for kind in kinds:
        intake = kind in view.intake_documents
        step_needs = panel is not None and kind in dict(panel.step.documents)
        out.append(NeededDocument(
            kind=kind,
            name=view.document_names.get(kind, Text(kind, kind)),
            uploaded=tuple(d for d in view.documents if d.kind == kind),
            intake=intake,
            may_upload=kind not in in_form and (
                (intake and hands_in) or (step_needs and panel is not None and panel.acts)
            ),
        ))  # fmt: skip
    return out


def other_kinds(view: ProcedureView, needed: Iterable[NeededDocument]) -> list[tuple[str, Text]]:
    """The SOP's other document kinds, for the "attach another document" form."""
    shown = {n.kind for n in needed}
    return [(k, name) for k, name in view.document_names.items() if k not in shown]
