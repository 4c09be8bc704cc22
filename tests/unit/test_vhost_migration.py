"""Bringing a hand-made vhost under management, and the way back (pure): what the plan
names, what it refuses to move, what it says the site loses, and the checksums the team
approves."""

from __future__ import annotations

import dataclasses

import pytest

from provisioner.domain.errors import UnsafeChange
from provisioner.domain.site_names import site_user
from provisioner.domain.vhost_discovery import DiscoveredVhost, VhostFile, VhostSnapshot, discover
from provisioner.domain.vhost_migration import (
    ManagedShape,
    MigrationPlan,
    RevertPlan,
    not_carried,
    plan_migration,
)

FQDN = "simpeg.demokab.go.id"
SIMPEG = """\
# SIMPEG, vendor: CV Maju Jaya
<VirtualHost *:80>
    ServerName simpeg.demokab.go.id
    ServerAlias www.simpeg.demokab.go.id
    DocumentRoot "/var/www/simpeg"
    DirectoryIndex index.php index.html
    <Directory "/var/www/simpeg">
        Options -Indexes
        AllowOverride All
        Require all granted
    </Directory>
    <FilesMatch "\\.php$">
        SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
    </FilesMatch>
    Redirect /lama /baru
</VirtualHost>
"""
SUMMARY = """\
*:80                   is a NameVirtualHost
         port 80 namevhost simpeg.demokab.go.id (/etc/apache2/sites-enabled/simpeg.conf:2)
                 alias www.simpeg.demokab.go.id
"""


def found(text: str = SIMPEG, summary: str = SUMMARY, path: str = "simpeg.conf") -> DiscoveredVhost:
    file = VhostFile(f"/etc/apache2/sites-enabled/{path}", f"/etc/apache2/sites-available/{path}",
                     f"../sites-available/{path}", text.encode())  # fmt: skip
    return discover(VhostSnapshot("web-prod", summary, (file,)))[0]


def plan(vhost: DiscoveredVhost | None = None, *, extra: str = "", others=()) -> MigrationPlan:
    vhost = vhost or found()
    shape = ManagedShape.of(vhost, php_version="8.2", extra=extra)
    # The vhost role's template as a stand-in: the managed text says the extra directives.
    text = f"# Managed by provisioner for {FQDN}\n{shape.extra_directives}\n"
    return plan_migration(vhost, shape=shape, vhost_text=text,
                          pool_text="[pool]\n" if shape.php else None, others=others)  # fmt: skip


def test_the_plan_names_user_tree_release_pool_and_vhost_in_order() -> None:
    p = plan()
    user = site_user(FQDN)
    assert p.site_user == user and p.tree == f"/var/www/{FQDN}"
    assert p.pool_file == f"/etc/php/8.2/fpm/pool.d/{FQDN}.conf"
    assert p.socket == f"/run/php/php8.2-fpm-{user}.sock"
    assert p.vhost_link == f"/etc/apache2/sites-enabled/{FQDN}.conf"
    assert (p.old_file, p.old_link) == ("/etc/apache2/sites-available/simpeg.conf",
                                        "/etc/apache2/sites-enabled/simpeg.conf")  # fmt: skip
    kinds = [line.split(" ", 2)[1] for line in p.summary()]
    assert kinds[:6] == ["user", "tree", "release", "PHP-FPM", "vhost", "disable"]
    assert p.summary()[2].startswith(f"+ release /var/www/{FQDN}/releases/<UTC>-migrated/public")


def test_a_static_site_gets_no_pool() -> None:
    static = SIMPEG.replace('SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"', "")
    p = plan(found(static))
    assert (p.php, p.pool_file, p.pool_text, p.socket) == (False, None, None, None)
    assert not any("PHP-FPM" in line for line in p.summary())


def test_the_plan_says_what_the_site_loses() -> None:
    lost = plan().not_carried
    assert "AllowOverride All" in lost and "Redirect /lama /baru" in lost
    assert not any(line.startswith(("Options", "SetHandler", "DocumentRoot")) for line in lost)
    # A static site's SetHandler is not the pool's: the plan names it too.
    assert any(line.startswith("SetHandler") for line in not_carried(found().directives, php=False))


def test_aliases_go_with_the_site_and_extra_directives_change_the_checksum() -> None:
    shape = ManagedShape.of(found(), php_version="8.2", extra="Header set X-A 1\n\n")
    assert shape.extra_directives == "ServerAlias www.simpeg.demokab.go.id\nHeader set X-A 1"
    assert plan().checksum() == plan().checksum()
    assert plan(extra="Header set X-A 1").checksum() != plan().checksum()


def test_the_stored_plan_is_the_plan_approved() -> None:
    p = plan()
    assert MigrationPlan.from_dict(p.to_dict()) == p
    assert MigrationPlan.from_dict(p.to_dict()).checksum() == p.checksum()


def test_the_way_back_restores_the_file_and_removes_the_managed_one() -> None:
    back = RevertPlan(plan())
    lines = back.summary()
    assert lines[0].startswith("~ restore /etc/apache2/sites-available/simpeg.conf byte for byte")
    assert (
        "+ enable /etc/apache2/sites-enabled/simpeg.conf → ../sites-available/simpeg.conf" in lines
    )
    assert f"- PHP-FPM pool /etc/php/8.2/fpm/pool.d/{FQDN}.conf" in lines
    assert back.checksum() != plan().checksum()


def refused(vhost: DiscoveredVhost, *, others=()) -> str:
    with pytest.raises(UnsafeChange) as exc:
        plan(vhost, others=others)
    return exc.value.message


def test_provisioners_own_vhost_is_not_migrated() -> None:
    managed = dataclasses.replace(found(), managed_for=FQDN)
    assert "is managed by provisioner already" in refused(managed)


def test_only_port_80_and_only_a_sites_enabled_entry() -> None:
    assert "not 80" in refused(dataclasses.replace(found(), port=8080))
    in_main = dataclasses.replace(found(), file="/etc/apache2/apache2.conf")
    assert "is not read from /etc/apache2/sites-enabled/" in refused(in_main)


def test_a_file_with_other_sites_is_split_by_hand_first() -> None:
    two = SIMPEG + SIMPEG.split("\n", 1)[1].replace("simpeg.demokab", "arsip.demokab")
    assert "also holds arsip.demokab.go.id" in refused(found(two))


def test_a_hand_made_https_vhost_for_the_name_stays_with_it() -> None:
    https = dataclasses.replace(
        found(), port=443, file="/etc/apache2/sites-enabled/simpeg-ssl.conf"
    )
    assert "hand-made HTTPS vhost" in refused(found(), others=[https])


def test_no_document_root_or_one_where_the_tree_goes() -> None:
    assert "no document root" in refused(dataclasses.replace(found(), document_root=None))
    assert "no document root" in refused(dataclasses.replace(found(), document_root="/"))
    inside = dataclasses.replace(found(), document_root=f"/var/www/{FQDN}/htdocs")
    assert "lies where the site's tree" in refused(inside)
    around = dataclasses.replace(found(), document_root="/var/www")
    assert "lies where the site's tree" in refused(around)
