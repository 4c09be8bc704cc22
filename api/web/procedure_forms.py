"""The SOP pages' forms, read by the API's own rules: the intake (a request under an SOP,
read into api.schemas.procedures.ProcedureIn so the same lengths and dates apply) and one
step (its fields, the note, the outcome). A page names the SOP's fields `f-<key>` and its
documents `doc-<kind>`, so that an SOP field can never shadow the form's own names, and
the workflow's refusals are put back next to the field they name. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from api.schemas.procedures import ProcedureIn
from api.web.forms import REQUIRED_MESSAGE, field_errors
from provisioner.domain.actors import Actor, Role
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import InvalidInput
from provisioner.domain.sop import Outcome, SopDefinition
from provisioner.workflow.procedures.service import ProcedureDraft
from provisioner.workflow.procedures.views import StepView

FIELD = "f-"
DOC = "doc-"
STEP_DOC = "stepdoc-"  # a document given with the step's answers
# The intake's own questions, before the SOP's.
INTAKE_TOP = ("title", "agency", "request_letter_number", "request_letter_date")
INTAKE_REQUIRED = ("title", "agency", "request_letter_number")
# What an invitation needs besides the step's fields (workflow.procedures.letters).
INVITATION_FIELDS = (("presentation_at", "datetime"), ("presentation_place", "text"))
DISPOSITION_INPUTS = (("instruction", "textarea"), ("assignee", "user"))


def page_errors(
    problems: Iterable[tuple[str, str]],
    *,
    fields: Iterable[str],
    documents: Iterable[str],
    in_form: Iterable[str] = (),
) -> dict[str, str]:
    """The workflow's (field, reason) pairs keyed by the form's names, the first reason of
    each field (a document the form itself takes, `in_form`, by its field there)."""
    field_keys, document_keys, form_keys = set(fields), set(documents), set(in_form)
    out: dict[str, str] = {}
    for key, message in problems:
        if key in field_keys:
            name = FIELD + key
        elif key in form_keys:
            name = STEP_DOC + key
        else:
            name = DOC + key if key in document_keys else key
        out.setdefault(name, message)
    return out


@dataclass(frozen=True)
class IntakeForm:
    """The intake as read: what was typed (to show again), the draft when every rule
    passed, else each field's reason."""

    values: dict[str, str]
    draft: ProcedureDraft | None
    errors: dict[str, str]


def read_intake(form: FormData, definition: SopDefinition, actor: Actor) -> IntakeForm:
    """Read the intake by ProcedureIn's rules; an OPD asks for its own agency only. Every
    empty required answer is named at once (the workflow names the rest)."""
    values = {name: str(form.get(name) or "") for name in INTAKE_TOP}
    if actor.role is Role.OPD:
        values["agency"] = actor.agency or ""
    fields = {key: str(form.get(FIELD + key) or "") for key in definition.fields}
    values.update({FIELD + key: value for key, value in fields.items()})
    errors = {name: REQUIRED_MESSAGE for name in INTAKE_REQUIRED if not values[name].strip()}
    for key in definition.intake.fields:
        if not fields[key].strip():
            errors[FIELD + key] = REQUIRED_MESSAGE
    body: dict[str, Any] = {
        "request_type": definition.request_type.value,
        "title": values["title"].strip(),
        "agency": values["agency"].strip(),
        "request_letter_number": values["request_letter_number"].strip(),
        "request_letter_date": values["request_letter_date"].strip() or None,
        "fields": {k: v for k, v in fields.items() if v.strip()},
        "sop_key": definition.key,
    }
    parsed: ProcedureIn | None = None
    try:
        parsed = ProcedureIn.model_validate(body)
    except ValidationError as exc:
        for name, message in field_errors(exc).items():
            errors.setdefault(name, message)
    if errors or parsed is None:
        return IntakeForm(values, None, errors)
    draft = ProcedureDraft(
        request_type=definition.request_type, title=parsed.title, agency=parsed.agency,
        request_letter_number=parsed.request_letter_number,
        request_letter_date=parsed.request_letter_date, fields=parsed.fields,
        sop_key=definition.key,
    )  # fmt: skip
    return IntakeForm(values, draft, {})


def intake_errors(exc: InvalidInput, definition: SopDefinition) -> dict[str, str]:
    return page_errors(exc.problems, fields=definition.fields, documents=definition.documents)


# --- one step ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StepInput:
    """One question of the current step's form."""

    key: str  # the workflow's name of it
    label: Text
    kind: str  # text | textarea | user | date | datetime
    required: bool

    @property
    def name(self) -> str:
        return FIELD + self.key


def step_inputs(step: StepView, disposition_names: Mapping[str, Text],
                extra_names: Mapping[str, Text]) -> tuple[StepInput, ...]:  # fmt: skip
    """The questions of `step`: its required fields, a disposition's instruction and
    assignee, an invitation's time and place."""
    kinds = dict(step.field_kinds)
    out = [StepInput(k, name, _input_kind(kinds.get(k, "text")), True) for k, name in step.fields]
    if step.disposition:
        out += [StepInput(k, disposition_names[k], kind, True) for k, kind in DISPOSITION_INPUTS]
    if step.output_kind == "letter" and step.output == "invitation":
        out += [StepInput(k, extra_names[k], kind, True) for k, kind in INVITATION_FIELDS]
    return tuple(out)


def _input_kind(field_kind: str) -> str:
    return {"user": "user", "date": "date"}.get(field_kind, "textarea")


@dataclass(frozen=True)
class StepForm:
    values: dict[str, str]
    outcome: Outcome | None
    note: str
    fields: dict[str, str]


def read_step(form: FormData, inputs: Sequence[StepInput]) -> StepForm:
    """The step's answers, the note and the outcome of the button that was pressed."""
    fields = {i.key: str(form.get(i.name) or "") for i in inputs}
    note = str(form.get("note") or "")
    values = {i.name: fields[i.key] for i in inputs} | {"note": note}
    try:
        outcome: Outcome | None = Outcome(str(form.get("outcome") or ""))
    except ValueError:
        outcome = None
    return StepForm(values, outcome, note, fields)


def remembered(inputs: Sequence[StepInput], history: Sequence[Any],
               intake: Mapping[str, str]) -> dict[str, str]:  # fmt: skip
    """What a step's form starts with: the latest value recorded for each of its fields
    (a later step may need a field an earlier one gave), else the intake's."""
    out: dict[str, str] = {}
    for i in inputs:
        given = next((r.fields[i.key] for r in reversed(history) if i.key in r.fields), None)
        value = given if given is not None else intake.get(i.key)
        if value is not None and i.key not in ("instruction", "assignee"):
            out[i.name] = value
    return out
