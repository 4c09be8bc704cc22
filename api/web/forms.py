"""Form models shared with the JSON schemas: a page's form is read into the same pydantic
model as the API's body (api.schemas.requests.RequestIn), so the same rules — lengths,
choices, dates — apply to both, and every refusal comes back next to its field."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import FormData

from api.schemas.requests import RequestIn
from api.validation import bilingual
from provisioner.domain.actors import Actor, Role

DATE_INVALID = "Tanggal tidak sah (YYYY-MM-DD) / Invalid date (YYYY-MM-DD)"
CHECKBOXES = ("hosting", "db_wanted")  # a ticked box is sent as "on", an empty one not at all
FIELDS = frozenset(RequestIn.model_fields)
TEXT_FIELDS = tuple(name for name in RequestIn.model_fields if name not in CHECKBOXES)
# Given as text, left empty: not given (None), as in a JSON body that leaves them out.
NULLABLE = frozenset(
    name for name in TEXT_FIELDS
    if type(None) in typing.get_args(RequestIn.model_fields[name].annotation)
)  # fmt: skip
# Without hosting there is nothing to deploy: no repository, branch, stack or database.
HOSTING_ONLY = ("repo", "branch", "stack", "db_wanted")
# What an OPD may change when it revises a returned request (the workflow's list).
REVISION_FIELDS = (
    "purpose", "contact_name", "contact_nip", "contact_position", "contact_rank",
    "contact_email", "contact_phone", "letter_number", "letter_date",
)


# Asked of every new request; left empty, the form says so ("wajib diisi"), not "invalid".
REQUIRED = ("label", "agency", "purpose", "contact_name", "contact_email", "letter_number",
            "letter_date")  # fmt: skip
REQUIRED_MESSAGE = "Wajib diisi / Required"


@dataclass(frozen=True)
class RequestForm:
    """The new-request form as read: what was typed (to show the form again), each field
    that passed its rule (`fields`), the request when all did, else each field's reason."""

    values: dict[str, Any]
    request: RequestIn | None
    errors: dict[str, str]
    fields: dict[str, Any]


def field_errors(exc: ValidationError, field: str | None = None) -> dict[str, str]:
    """Pydantic's errors as {field: bilingual reason}, the first reason of each field
    (`field`: the one field a single field's rule was checking)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = field or str((error.get("loc") or ("",))[0])
        message = DATE_INVALID if name == "letter_date" else bilingual(dict(error))["msg"]
        errors.setdefault(name, message)
    return errors


def _text(name: str, value: str) -> str | None:
    if name in NULLABLE:
        return value.strip() or None
    return value


def _given(form: FormData, actor: Actor) -> tuple[dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {name: str(form[name]) for name in TEXT_FIELDS if name in form}
    for box in CHECKBOXES:
        values[box] = form.get(box) == "on"
    if actor.role is Role.OPD:
        values["agency"] = actor.agency or ""
    given = {name: _text(name, value) for name, value in values.items() if name in TEXT_FIELDS}
    given.update({box: values[box] for box in CHECKBOXES})
    # A field that does not apply is hidden on the form and not read: the repository and
    # database without hosting, the target address with it.
    if not values["hosting"]:
        given.update(dict.fromkeys(HOSTING_ONLY))
    elif given.get("request_type", "new") == "new":
        given["target_address"] = None
    return values, given


def read_request_form(form: FormData, actor: Actor) -> RequestForm:
    """Read the new-request form by RequestIn's rules, every field on its own so that
    every field's problem is known at once; an OPD asks for its own agency only."""
    values, given = _given(form, actor)
    errors = {
        name: REQUIRED_MESSAGE for name in REQUIRED if not str(given.get(name) or "").strip()
    }
    fields: dict[str, Any] = {}
    for name, value in given.items():
        if name in errors:
            continue
        try:
            fields[name] = _field_rule(RequestIn, name).validate_python(value)
        except ValidationError as exc:
            errors.update(field_errors(exc, name))
    request = None
    if not errors:
        try:
            request = RequestIn.model_validate(given)
        except ValidationError as exc:
            errors.update(field_errors(exc))
    return RequestForm(values, request, errors, fields)


@cache
def _field_rule(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    rule: Any = Annotated[info.annotation, info]  # the field's type with its constraints
    return TypeAdapter(rule)


@dataclass(frozen=True)
class RevisionForm:
    """A returned request's revision as read: what was typed, the changes that passed the
    request model's rules for their fields, else each field's reason."""

    values: dict[str, str]
    changes: dict[str, Any]
    errors: dict[str, str]


def read_revision_form(form: FormData) -> RevisionForm:
    """Read the revisable fields, each by RequestIn's rule for it; one left empty that may
    be empty is cleared."""
    values = {name: str(form[name]) for name in REVISION_FIELDS if name in form}
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        try:
            changes[name] = _field_rule(RequestIn, name).validate_python(_text(name, value))
        except ValidationError as exc:
            errors.update(field_errors(exc, name))
    return RevisionForm(values, changes, errors)
