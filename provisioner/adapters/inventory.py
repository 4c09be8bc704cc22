"""The Ansible inventory (YAML) read the way Ansible reads the few variables provisioner
needs to reach a host itself: `ansible_host`, `ansible_user`, `ansible_become`; group
variables are inherited by the groups and hosts below them, a host's own win."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import InvalidInput

_TRUE = {"true", "yes", "on", "1"}


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def _walk(
    group: str,
    node: Mapping[str, Any],
    inherited: dict[str, Any],
    path: tuple[str, ...],
    found: dict[str, tuple[dict[str, Any], set[str]]],
) -> None:
    variables = {**inherited, **(node.get("vars") or {})}
    groups = (*path, group)
    for name, host_vars in (node.get("hosts") or {}).items():
        merged, member_of = found.setdefault(str(name), ({}, set()))
        for key, value in variables.items():
            merged.setdefault(key, value)  # a host in two groups: the first group's value
        merged.update(host_vars or {})
        member_of.update(groups)
    for child, child_node in (node.get("children") or {}).items():
        _walk(str(child), child_node or {}, variables, groups, found)


def read_inventory(path: Path) -> list[InventoryHost]:
    """Every host of the inventory at `path`, in file order (InvalidInput if unreadable)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        root = data.get("all", {"children": data})
        found: dict[str, tuple[dict[str, Any], set[str]]] = {}
        _walk("all", root, {}, (), found)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(
            "inventory",
            f"Inventaris {path} tidak dapat dibaca ({type(exc).__name__}) / The inventory "
            f"{path} cannot be read ({type(exc).__name__})",
        ) from None
    return [
        InventoryHost(
            name=name,
            address=str(variables.get("ansible_host", name)),
            user=str(variables.get("ansible_user", "root")),
            become=_truthy(variables.get("ansible_become", False)),
            groups=tuple(sorted(groups - {"all"})),
        )
        for name, (variables, groups) in found.items()
    ]
