"""The vhost role left a working, enabled site on web-dev."""

from __future__ import annotations

import httpx


def test_vhost_enabled_and_config_valid(host, site) -> None:  # type: ignore[no-untyped-def]
    link = host.file(f"/etc/apache2/sites-enabled/{site}.conf")
    assert link.is_symlink and link.linked_to == f"/etc/apache2/sites-available/{site}.conf"
    assert host.run("apache2ctl configtest").rc == 0


def test_site_tree_and_env_are_private(host, site) -> None:  # type: ignore[no-untyped-def]
    root = f"/var/www/{site}"
    assert host.file(f"{root}/releases").is_directory
    assert host.file(f"{root}/shared").is_directory
    env = host.file(f"{root}/shared/.env")
    assert env.exists and not env.mode & 0o007  # nobody else may read the credentials
    assert "DB_NAME" in env.content_string


def test_apache_answers_for_the_site_without_listing(host, site) -> None:  # type: ignore[no-untyped-def]
    reply = httpx.get("http://127.0.2.11/", headers={"Host": site}, timeout=5, trust_env=False)
    assert "Index of /" not in reply.text
    assert reply.headers.get("x-content-type-options") == "nosniff"
