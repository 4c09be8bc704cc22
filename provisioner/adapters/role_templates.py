"""A role's templates rendered on the controller the way Ansible's template lookup renders
them (trim_blocks, the trailing newline kept, an undefined variable is an error, no
escaping: shell, SQL and Apache text), with the Ansible filters and tests that the roles'
templates and defaults use. The direct-SSH adapters (db_exec, https_vhost, site_release,
vhost_templates) send the same text the role's tasks would."""

from __future__ import annotations

import ast
import hashlib
import posixpath
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml


def ansible_hash(text: object, algorithm: str = "sha1") -> str:
    """Ansible's `hash` filter."""
    return hashlib.new(algorithm, str(text).encode()).hexdigest()


def ansible_quote(value: object) -> str:
    """Ansible's `quote` filter (shlex.quote of the text)."""
    return shlex.quote(str(value))


def role_environment(role_dir: Path) -> jinja2.Environment:
    """Jinja2 over `role_dir`/templates, configured as Ansible's template lookup."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(role_dir / "templates")),
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters.update(hash=ansible_hash, quote=ansible_quote, regex_replace=_regex_replace,
                       dirname=posixpath.dirname, basename=posixpath.basename,
                       dict2items=_dict2items)  # fmt: skip
    env.tests.update(match=_match, search=_search)
    return env


def role_defaults(role_dir: Path) -> dict[str, Any]:
    """The role's defaults/main.yml as a dict (not yet resolved: values may be templates)."""
    data = yaml.safe_load((role_dir / "defaults" / "main.yml").read_text()) or {}
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def _match(value: object, pattern: str) -> bool:
    """Ansible's `match` test: the pattern anchored at the start."""
    return re.match(pattern, str(value)) is not None


def _search(value: object, pattern: str) -> bool:
    return re.search(pattern, str(value)) is not None


def _regex_replace(value: object, pattern: str = "", replacement: str = "") -> str:
    return re.sub(pattern, replacement, str(value))


def _dict2items(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in value.items()]


def _as_ansible_value(text: str) -> Any:
    """A rendered default as Ansible keeps it: text that reads as a list or a mapping is
    that list or mapping (Ansible's literal_eval of template results); anything else text."""
    if text[:1] in "[{":
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
    return text


class RoleTemplates:
    """One role's templates and defaults, rendered as Ansible's template lookup does."""

    _PASSES = 4  # defaults refer to defaults ("{{ vhost_root }}/shared", …)

    def __init__(self, role_dir: Path) -> None:
        self.role_dir = role_dir
        self._env = role_environment(role_dir)

    def variables(
        self, known: Mapping[str, Any], inventory: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """defaults/main.yml, under the host's `inventory` variables, resolved against
        `known` (extra vars: they win over both, as in Ansible). An inventory value may be
        a template too ("{{ site_fqdn }}-pool"): Ansible renders it on use, and so do we."""
        layered = {**role_defaults(self.role_dir), **(inventory or {})}
        values = {k: v for k, v in layered.items() if k not in known}
        for _ in range(self._PASSES):
            values = {k: self._resolve(v, {**values, **known}) for k, v in values.items()}
        return {**values, **known}

    def _resolve(self, value: Any, context: Mapping[str, Any]) -> Any:
        if not isinstance(value, str) or "{{" not in value:
            return value
        try:
            return _as_ansible_value(self._env.from_string(value).render(**context).strip())
        except jinja2.UndefinedError:
            return value  # refers to a default not resolved yet: the next pass

    def render(self, template: str, variables: Mapping[str, Any]) -> str:
        return self._env.get_template(template).render(**variables)
