"""The app's manifest (`provisioner.json`) checked against its JSON Schema, which ships with
provisioner (provisioner/schemas/provisioner.schema.json) and documents every key.

The first problem is reported with the field it is about ("php.memory_limit: '12X' does not
match …"), so the OPD's developers know what to fix.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_PACKAGE = "provisioner.schemas"
SCHEMA_FILE = "provisioner.schema.json"


@cache
def manifest_schema() -> dict[str, Any]:
    """The schema as shipped (package data)."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(manifest_schema())


def manifest_problems(data: object) -> list[tuple[str, str]]:
    """Every (field, message) the schema finds wrong with `data`, most specific first; empty
    when it is a valid manifest. The field is a dotted path ("php.memory_limit",
    "shared[0]"), "(root)" for the object itself."""
    errors = sorted(_validator().iter_errors(data), key=_order)
    return [(_field(e), _message(e)) for e in errors]


def _order(error: ValidationError) -> tuple[int, str]:
    return (-len(list(error.absolute_path)), str(list(error.absolute_path)))


def _field(error: ValidationError) -> str:
    path = str(error.json_path)
    return path[2:] if path.startswith("$.") else ("(root)" if path == "$" else path[1:])


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return str(error.message)
    described = error.schema.get("description") if isinstance(error.schema, dict) else None
    shown = json.dumps(error.instance, ensure_ascii=False)
    if len(shown) > 80:
        shown = shown[:79] + "…"
    if error.validator in ("anyOf", "pattern", "enum", "const") and described:
        described = str(described)
        short = described if len(described) <= 160 else described[:159] + "…"
        return f"{shown} is not allowed here ({short})"
    if error.validator in ("anyOf", "pattern"):
        return f"{shown} is not allowed here"
    return str(error.message)
