"""What a web server serves, from `apache2ctl -S` and its files (pure): the summary as
Apache 2.4 prints it, sections with macros and continuations, the PHP handler, the
provisioner marker, and which registry name a vhost is."""

from __future__ import annotations

import hashlib

from provisioner.domain.vhost_discovery import (
    NameHolder,
    NameKind,
    VhostFile,
    VhostSnapshot,
    discover,
    managed_for,
    match_name,
    parse_vhost_blocks,
    parse_vhost_summary,
    php_handler,
    php_version_of,
)

ZONE = "demokab.go.id"
RESERVED = frozenset({"www", "ns1", "mail"})
# As web-prod printed it (a managed site on :443 only, hand-made ones on :80).
SUMMARY = """\
VirtualHost configuration:
*:80                   is a NameVirtualHost
         default server web-prod (/etc/apache2/sites-enabled/000-default.conf:5)
         port 80 namevhost web-prod (/etc/apache2/sites-enabled/000-default.conf:5)
         port 80 namevhost arsip.demokab.go.id (/etc/apache2/sites-enabled/arsip.conf:2)
                 alias www.arsip.demokab.go.id
         port 80 namevhost dinkes.demokab.go.id (/etc/apache2/sites-enabled/dinkes.conf:9)
         port 80 namevhost simpeg.demokab.go.id (/etc/apache2/sites-enabled/simpeg.conf:2)
*:443                  dinkes.demokab.go.id (/etc/apache2/sites-enabled/dinkes-ssl.conf:2)
ServerRoot: "/etc/apache2"
Main DocumentRoot: "/var/www/html"
"""
ARSIP = """\
# Arsip daerah. Dipasang manual.
<VirtualHost *:80>
\tServerName arsip.demokab.go.id
\tServerAlias www.arsip.demokab.go.id
\tDocumentRoot /var/www/arsip/
</VirtualHost>
"""
SIMPEG = """\
# SIMPEG, vendor: CV Maju Jaya
<VirtualHost *:80>
    ServerName simpeg.demokab.go.id
    DocumentRoot "/var/www/simpeg"
    <FilesMatch "\\.php$">
        SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
    </FilesMatch>
</VirtualHost>
"""
MANAGED = """\
# Managed by provisioner for dinkes.demokab.go.id — edits by hand are overwritten.
<Macro site_dinkes>
    DocumentRoot /var/www/dinkes.demokab.go.id/current/public
</Macro>

<VirtualHost *:80>
    ServerName dinkes.demokab.go.id
    Use site_dinkes
</VirtualHost>
"""
DEFAULT = """\
<VirtualHost *:80>
\t# The default site
\tServerAdmin webmaster@localhost
\tDocumentRoot /var/www/html
</VirtualHost>
"""


def vfile(name: str, text: str, link: bool = True) -> VhostFile:
    enabled = f"/etc/apache2/sites-enabled/{name}"
    real = f"/etc/apache2/sites-available/{name}" if link else enabled
    return VhostFile(enabled, real, f"../sites-available/{name}" if link else None, text.encode())


def snapshot(**extra: object) -> VhostSnapshot:
    files = (vfile("000-default.conf", DEFAULT), vfile("arsip.conf", ARSIP),
             vfile("simpeg.conf", SIMPEG), vfile("dinkes.conf", MANAGED))  # fmt: skip
    return VhostSnapshot("web-prod", SUMMARY, files, **extra)  # type: ignore[arg-type]


def test_summary_lists_each_vhost_once_with_aliases_and_the_default_server() -> None:
    entries = parse_vhost_summary(SUMMARY)
    assert [(e.name, e.port, e.line) for e in entries] == [
        ("web-prod", 80, 5), ("arsip.demokab.go.id", 80, 2), ("dinkes.demokab.go.id", 80, 9),
        ("simpeg.demokab.go.id", 80, 2), ("dinkes.demokab.go.id", 443, 2),
    ]  # fmt: skip
    by_name = {(e.name, e.port): e for e in entries}
    assert by_name["arsip.demokab.go.id", 80].aliases == ("www.arsip.demokab.go.id",)
    assert by_name["web-prod", 80].default and by_name["dinkes.demokab.go.id", 443].default
    assert not by_name["simpeg.demokab.go.id", 80].default
    assert by_name["arsip.demokab.go.id", 80].file == "/etc/apache2/sites-enabled/arsip.conf"


def test_summary_stops_before_the_server_settings() -> None:
    assert (
        parse_vhost_summary(SUMMARY + "         port 80 namevhost late (/x.conf:1)\n")[-1].port
        == 443
    )


def test_a_macro_section_counts_as_the_use_line_of_the_vhost() -> None:
    (block,) = parse_vhost_blocks(MANAGED)
    assert block.line == 6 and block.addresses == ("*:80",)
    assert block.first("DocumentRoot") == "/var/www/dinkes.demokab.go.id/current/public"
    assert [d.line for d in block.directives if d.name == "DocumentRoot"] == [8]


def test_continuation_lines_and_comments() -> None:
    text = (
        "<VirtualHost *:80>\n  # DocumentRoot /nope\n  ServerName a.demokab.go.id\n"
        "  DocumentRoot \\\n    /srv/a\n</VirtualHost>\n"
    )
    (block,) = parse_vhost_blocks(text)
    assert block.first("documentroot") == "/srv/a"  # case-insensitive, as Apache
    assert block.values("ServerName") == [("a.demokab.go.id",)]


def test_the_marker_tells_managed_from_hand_made() -> None:
    assert managed_for(MANAGED) == "dinkes.demokab.go.id"
    assert managed_for(ARSIP) is None
    assert managed_for("\n" * 10 + MANAGED) is None  # only at the top of the file


def test_php_handler_and_its_version() -> None:
    (simpeg,) = parse_vhost_blocks(SIMPEG)
    (arsip,) = parse_vhost_blocks(ARSIP)
    handler = php_handler(simpeg)
    assert handler == "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
    assert php_version_of(handler) == "8.2"
    assert php_handler(arsip) is None and php_version_of(None) is None
    (mod_php,) = parse_vhost_blocks(
        "<VirtualHost *:80>\nphp_admin_value memory_limit 64M\n</VirtualHost>\n"
    )
    assert php_handler(mod_php) == "mod_php"


def test_discover_joins_the_summary_with_the_sections_of_the_files() -> None:
    found = {(v.name, v.port): v for v in discover(snapshot())}
    arsip = found["arsip.demokab.go.id", 80]
    assert arsip.document_root == "/var/www/arsip"  # the trailing slash dropped
    assert (arsip.php, arsip.managed, arsip.default) == (False, False, False)
    assert arsip.real_file == "/etc/apache2/sites-available/arsip.conf"
    assert arsip.link_target == "../sites-available/arsip.conf"
    assert arsip.file_sha256 == hashlib.sha256(ARSIP.encode()).hexdigest()
    assert arsip.names_in_file == ("arsip.demokab.go.id",)
    simpeg = found["simpeg.demokab.go.id", 80]
    assert simpeg.php and simpeg.php_version == "8.2"
    assert found["dinkes.demokab.go.id", 80].managed_for == "dinkes.demokab.go.id"
    # The HTTPS vhost's file was not read: it is listed, with nothing it could not know.
    https = found["dinkes.demokab.go.id", 443]
    assert (https.document_root, https.file_sha256) == (None, "")


def test_a_global_php_handler_makes_a_docroot_with_php_files_a_php_site() -> None:
    read = snapshot(php_docroots=frozenset({"/var/www/arsip"}),
                    global_php_handler="conf-enabled/php8.2-fpm.conf")  # fmt: skip
    found = {v.name: v for v in discover(read)}
    assert found["arsip.demokab.go.id"].php_handler == "global: conf-enabled/php8.2-fpm.conf"
    assert not found["web-prod"].php  # its docroot holds no PHP file


def match(
    vhost_name: str, holders: dict[str, NameHolder] | None = None
) -> tuple[NameKind, str | None]:
    vhosts = {v.name: v for v in discover(snapshot()) if v.port == 80}
    vhost = vhosts.get(vhost_name) or next(iter(vhosts.values()))
    if vhost_name not in vhosts:
        vhost = type(vhost)(**{**vhost.__dict__, "name": vhost_name, "managed_for": None})
    m = match_name(vhost, zones=[ZONE], reserved=RESERVED, holders=holders or {})
    return m.kind, m.holder


def test_which_name_a_vhost_is() -> None:
    assert match("arsip.demokab.go.id") == (NameKind.AVAILABLE, None)
    assert match("web-prod") == (NameKind.OUTSIDE, None)
    assert match("www.demokab.go.id") == (NameKind.INFRASTRUCTURE, None)
    assert match("dev.arsip.demokab.go.id") == (NameKind.INFRASTRUCTURE, None)
    assert match("dinkes.demokab.go.id") == (NameKind.PROVISIONER, None)
    held = {"arsip.demokab.go.id": NameHolder(NameKind.REGISTERED, "Dinas Arsip")}
    assert match("arsip.demokab.go.id", held) == (NameKind.REGISTERED, "Dinas Arsip")
    ticket = {"simpeg.demokab.go.id": NameHolder(NameKind.PROVISIONER, "SUB-2026-0001")}
    assert match("simpeg.demokab.go.id", ticket) == (NameKind.PROVISIONER, "SUB-2026-0001")
