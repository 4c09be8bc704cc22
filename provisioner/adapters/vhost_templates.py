"""The managed vhost and PHP-FPM pool as the vhost role writes them, rendered from the
role's own templates and defaults (playbooks/roles/vhost): a migrated site gets exactly the
shape every provisioner site has, and a change to the role changes it too.

The role's defaults come first (a default that is itself a template is rendered against the
others when plain Jinja can; those that need Ansible's own filters are left out), the
site's values over them. Rendered with StrictUndefined: a variable the templates gain that
neither fills is an error when the plan is made, never a half-rendered vhost on a server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateError

from provisioner.adapters.role_templates import role_defaults, role_environment
from provisioner.domain.errors import StepFailed
from provisioner.domain.vhost_migration import ManagedShape

STEP = "vhost-migration"


_PASSES = 3  # defaults that name other defaults: rendered until none changes


class ManagedTemplates:
    """Renders the vhost role's vhost.conf.j2 and fpm-pool.conf.j2 for a ManagedShape."""

    def __init__(self, role_dir: Path) -> None:
        self.role_dir = role_dir
        self._env = role_environment(role_dir)  # as Ansible's template lookup renders them

    def _defaults(self) -> dict[str, Any]:
        try:
            return role_defaults(self.role_dir)
        except (OSError, yaml.YAMLError) as exc:
            raise StepFailed(STEP, "provisioner", f"vhost defaults: {exc}") from None

    def variables(self, shape: ManagedShape) -> dict[str, Any]:
        """The role's defaults, then the site's own values (names as in defaults/main.yml)."""
        site = self.site_values(shape)
        values = {**self._defaults(), **site}
        for _ in range(_PASSES):
            changed = False
            for key, value in list(values.items()):
                if key in site or not isinstance(value, str) or "{{" not in value:
                    continue
                try:
                    rendered = self._env.from_string(value).render(**values).strip()
                except TemplateError:  # an Ansible-only filter: not needed here
                    values.pop(key)
                    changed = True
                    continue
                changed |= rendered != value
                values[key] = rendered
            if not changed:
                break
        return values

    @staticmethod
    def site_values(shape: ManagedShape) -> dict[str, Any]:
        """What the site itself decides (names as the vhost role's variables)."""
        return {
            "site_fqdn": shape.fqdn,
            "document_root": "public",  # the migrated release: releases/<name>/public
            "site_user": shape.site_user,
            "site_group": shape.site_user,
            "vhost_root": shape.tree,
            "vhost_macro": f"site_{shape.site_user}",
            "vhost_acme_webroot": shape.acme_webroot,
            "vhost_log_dir": shape.log_dir,
            "vhost_php_fpm_socket": shape.socket,
            "vhost_web_user": shape.web_user,
            "vhost_web_group": shape.web_user,
            "vhost_fpm_max_children": shape.fpm_max_children,
            "vhost_php_version": shape.php_version,
            "php": shape.php,
            "extra_directives": shape.extra_directives,
        }

    def _render(self, name: str, shape: ManagedShape) -> str:
        try:
            return self._env.get_template(name).render(**self.variables(shape))
        except (TemplateError, OSError) as exc:
            raise StepFailed(STEP, "provisioner", f"{name}: {exc}") from None

    def modules(self, shape: ManagedShape) -> tuple[str, ...]:
        """The Apache modules the managed vhost needs (the role's vhost_apache_modules)."""
        found = self.variables(shape).get("vhost_apache_modules") or ()
        return tuple(str(m) for m in found if str(m).replace("_", "").isalnum())

    def vhost(self, shape: ManagedShape) -> str:
        return self._render("vhost.conf.j2", shape)

    def pool(self, shape: ManagedShape) -> str:
        return self._render("fpm-pool.conf.j2", shape)
