"""The system account each site runs as on its web hosts (pure).

The vhost and deploy roles derive the same name in Jinja (playbooks/roles/vhost/defaults):
keep the two in step. Deterministic, at most 32 characters (Linux's limit), starts with a
letter, and two different names never share an account (the sha1 suffix).
"""

from __future__ import annotations

import hashlib
import re

USER_MAX = 32
_PREFIX_MAX = 23


def site_user(fqdn: str) -> str:
    """The site's user (and group) name, e.g. "dinkes_dev_demokab_go_i_1a2b3c4d"."""
    base = re.sub(r"[^a-z0-9]", "_", fqdn)
    if fqdn[:1].isdigit():
        base = "s" + base
    return base[:_PREFIX_MAX] + "_" + hashlib.sha1(fqdn.encode()).hexdigest()[:8]


def fpm_socket(fqdn: str, php_version: str = "8.2") -> str:
    """Path of the site's own PHP-FPM socket on the web host."""
    return f"/run/php/php{php_version}-fpm-{site_user(fqdn)}.sock"
