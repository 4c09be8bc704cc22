"""SOP definitions from YAML files: the presets shipped in provisioner/sop_presets/ and the
text an admin pastes or uploads."""

from __future__ import annotations

from pathlib import Path

import yaml

from provisioner.domain.bilingual import Text
from provisioner.domain.errors import InvalidInput
from provisioner.domain.sop import SopDefinition, parse_definition

PRESETS_DIR = Path(__file__).resolve().parent.parent / "sop_presets"


def parse_yaml(text: str) -> SopDefinition:
    """A definition from YAML (JSON is YAML too), or InvalidInput naming the problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (baris / line {mark.line + 1})" if mark is not None else ""
        raise InvalidInput(
            "definition", Text(f"YAML tidak valid{where}", f"Invalid YAML{where}")
        ) from None
    return parse_definition(data)


def load_presets(folder: Path = PRESETS_DIR) -> dict[str, SopDefinition]:
    """Every preset by key; a broken preset file stops the service at start, naming it."""
    presets: dict[str, SopDefinition] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            definition = parse_yaml(path.read_text(encoding="utf-8"))
        except InvalidInput as exc:
            raise InvalidInput(
                "preset", f"{path.name}: {'; '.join(f'{f}: {m}' for f, m in exc.problems)}"
            ) from None
        presets[definition.key] = definition
    return presets


def to_yaml(definition: SopDefinition) -> str:
    """The definition as YAML an admin edits (keys in the model's order, unicode kept)."""
    data = definition.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
