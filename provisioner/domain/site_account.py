"""The system account each site runs as on its web hosts (pure).

Kept for its callers; the derivation lives with every other per-site name in
provisioner.domain.site_names.
"""

from __future__ import annotations

from provisioner.domain.site_names import LINUX_USER_MAX as USER_MAX, fpm_socket, site_user

__all__ = ["USER_MAX", "fpm_socket", "site_user"]
