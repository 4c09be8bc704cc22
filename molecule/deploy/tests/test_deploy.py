"""The deploy role put the exact commit in a release and pointed `current` at it."""

from __future__ import annotations

import httpx


def test_current_points_at_the_commit(host, site, commit) -> None:  # type: ignore[no-untyped-def]
    current = host.file(f"/var/www/{site}/current")
    assert current.is_symlink
    assert current.linked_to.endswith("-" + commit[:12])
    head = host.run("git -c safe.directory='*' -C %s rev-parse HEAD", current.linked_to)
    assert head.stdout.strip() == commit


def test_release_links_the_shared_env(host, site) -> None:  # type: ignore[no-untyped-def]
    env = host.file(f"/var/www/{site}/current/.env")
    assert env.is_symlink and env.linked_to == f"/var/www/{site}/shared/.env"


def test_site_serves_the_release(site) -> None:  # type: ignore[no-untyped-def]
    reply = httpx.get("http://127.0.2.11/", headers={"Host": site}, timeout=5, trust_env=False)
    # The sample app answers; its database does not exist in this scenario (503 is honest).
    assert "provisioner-sample-app" in reply.text
