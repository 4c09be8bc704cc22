"""A role's templates rendered on the controller the way Ansible's template lookup renders
them (trim_blocks, the trailing newline kept, an undefined variable is an error, no
escaping: shell, SQL and Apache text), with the two Ansible filters the roles' scripts use.
The direct-SSH adapters (db_exec, https_vhost, vhost_templates) send the same text the
role's tasks would."""

from __future__ import annotations

import hashlib
import shlex
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
    env.filters.update(hash=ansible_hash, quote=ansible_quote)
    return env


def role_defaults(role_dir: Path) -> dict[str, Any]:
    """The role's defaults/main.yml as a dict (not yet resolved: values may be templates)."""
    data = yaml.safe_load((role_dir / "defaults" / "main.yml").read_text()) or {}
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}
