"""The Ansible inventory (YAML) read the way Ansible reads the few variables provisioner
needs to reach a host itself: `ansible_host`, `ansible_user`, `ansible_become`; group
variables are inherited by the groups and hosts below them, a host's own win, and the
group_vars/ and host_vars/ beside the file count as in Ansible. For the roles run without
Ansible, a host's whole set of inventory variables (host_variables)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import InvalidInput

_TRUE = {"true", "yes", "on", "1"}
# A host as the file has it: the vars of its groups, its own vars, its groups.
_Found = tuple[dict[str, Any], dict[str, Any], set[str]]


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def _walk(
    group: str,
    node: Mapping[str, Any],
    inherited: dict[str, Any],
    path: tuple[str, ...],
    found: dict[str, _Found],
) -> None:
    variables = {**inherited, **(node.get("vars") or {})}
    groups = (*path, group)
    for name, host_vars in (node.get("hosts") or {}).items():
        from_groups, own, member_of = found.setdefault(str(name), ({}, {}, set()))
        for key, value in variables.items():
            from_groups.setdefault(key, value)  # a host in two groups: the first group's value
        own.update(host_vars or {})
        member_of.update(groups)
    for child, child_node in (node.get("children") or {}).items():
        _walk(str(child), child_node or {}, variables, groups, found)


def _read(path: Path) -> dict[str, _Found]:
    """Every host of the inventory file; InvalidInput if unreadable."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        root = data.get("all", {"children": data})
        found: dict[str, _Found] = {}
        _walk("all", root, {}, (), found)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(
            "inventory",
            f"Inventaris {path} tidak dapat dibaca ({type(exc).__name__}) / The inventory "
            f"{path} cannot be read ({type(exc).__name__})",
        ) from None
    return found


def _vars_file(directory: Path, name: str) -> dict[str, Any]:
    for suffix in (".yml", ".yaml"):
        candidate = directory / f"{name}{suffix}"
        if candidate.is_file():
            try:
                data = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise InvalidInput("inventory", f"{candidate}: {type(exc).__name__}") from None
            return dict(data) if isinstance(data, dict) else {}
    return {}


def _layered(path: Path, name: str, entry: _Found) -> dict[str, Any]:
    """Ansible's order: the file's group vars, group_vars/ (all first), the file's host
    vars, host_vars/ (the host's own win)."""
    from_groups, own, groups = entry
    merged = dict(from_groups)
    for group in ["all", *sorted(groups - {"all"})]:
        merged.update(_vars_file(path.parent / "group_vars", group))
    merged.update(own)
    merged.update(_vars_file(path.parent / "host_vars", name))
    return merged


def host_variables(path: Path, name: str) -> dict[str, Any]:
    """The variables Ansible gives host `name` from the inventory file and the group_vars/
    and host_vars/ beside it. They override a role's defaults and lose to extra vars.
    Values are taken as written (role_templates renders those that are templates)."""
    found = _read(path)
    return _layered(path, name, found[name]) if name in found else {}


def read_inventory(path: Path) -> list[InventoryHost]:
    """Every host of the inventory at `path`, in file order (InvalidInput if unreadable);
    how to reach it as Ansible would: group_vars/ and host_vars/ count."""
    found = _read(path)
    hosts = []
    for name, entry in found.items():
        variables, groups = _layered(path, name, entry), entry[2]
        hosts.append(InventoryHost(
            name=name,
            address=str(variables.get("ansible_host", name)),
            user=str(variables.get("ansible_user", "root")),
            become=_truthy(variables.get("ansible_become", False)),
            groups=tuple(sorted(groups - {"all"})),
        ))  # fmt: skip
    return hosts
