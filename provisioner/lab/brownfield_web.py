"""Sites made by hand on web-prod before provisioner came: what an agency's web server
already hosts when provisioner is installed, so discovery, registration, monitoring and a
migration (and back) are proven against vhosts no role of ours wrote.

Two sites, each written once (a site whose document root exists is left alone, so a
migration under way or a hand edit is never undone by the next `lab up`):
- `arsip.<zone>`: static, /var/www/arsip, with an alias and its own logs;
- `simpeg.<zone>`: PHP through the host's default PHP-FPM pool (www-data), an explicit
  SetHandler in the vhost, as such vhosts are usually written.

Their A records (to web-prod) are added through a signed DNS UPDATE whose prerequisite is
that the name has no A record: one already there — whoever made it — is kept as it is.
They are not in provisioner's registry: to it they are records made by hand, too.

Run against a running lab with `python -m provisioner.lab.brownfield_web`; `lab up` calls
`seed_brownfield_web` once every host answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.update

from provisioner.config import Settings, get_settings
from provisioner.lab.errors import LabError
from provisioner.lab.files import ensure_symlink, write_file
from provisioner.lab.hosts import LAB_ZONE, Role, host_by_name, hosts_with_role
from provisioner.lab.layout import HostPaths
from provisioner.lab.packages import php_fpm_version
from provisioner.lab.processes import enter_host, host_alive, load_state

WEB_HOST = "web-prod"
# The vhost and tls roles' reload lock: a reload here never interleaves with theirs.
WEB_LOCK = "/run/lock/provisioner-web.lock"
RECORD_TTL = 300

ARSIP_VHOST = """\
# Arsip daerah. Dipasang manual oleh Pak Budi (2019); jangan diubah tanpa bilang dulu.
<VirtualHost *:80>
\tServerName {label}.{zone}
\tServerAlias www.{label}.{zone}
\tServerAdmin webmaster@{zone}
\tDocumentRoot /var/www/{label}
\t<Directory /var/www/{label}>
\t\tOptions -Indexes
\t\tAllowOverride None
\t\tRequire all granted
\t</Directory>
\tErrorLog ${{APACHE_LOG_DIR}}/{label}-error.log
\tCustomLog ${{APACHE_LOG_DIR}}/{label}-access.log combined
</VirtualHost>
"""

SIMPEG_VHOST = """\
# SIMPEG (sistem informasi kepegawaian), vendor: CV Maju Jaya
<VirtualHost *:80>
    ServerName {label}.{zone}
    DocumentRoot "/var/www/{label}"
    DirectoryIndex index.php index.html
    <Directory "/var/www/{label}">
        AllowOverride All
        Require all granted
    </Directory>
    <FilesMatch "\\.php$">
        SetHandler "proxy:unix:/run/php/php{php}-fpm.sock|fcgi://localhost"
    </FilesMatch>
    ErrorLog ${{APACHE_LOG_DIR}}/{label}_error.log
    CustomLog ${{APACHE_LOG_DIR}}/{label}_access.log combined
</VirtualHost>
"""

ARSIP_INDEX = "<!doctype html>\n<title>Arsip Daerah</title>\n<h1>Arsip Daerah Demokab</h1>\n"
ARSIP_NOTE = "Surat edaran 2019: arsip dibuka Senin sampai Jumat.\n"
# Prints what only PHP can: the source served as a file would not say "fpm-fcgi 42".
SIMPEG_INDEX = '<?php\necho "SIMPEG Demokab " . php_sapi_name() . " " . (6 * 7) . "\\n";\n'


@dataclass(frozen=True)
class HandMadeSite:
    """One hand-made site: its vhost file (sites-available/<file>) and document root."""

    label: str
    vhost_file: str
    docroot: str
    vhost: str
    pages: dict[str, str]

    @property
    def fqdn(self) -> str:
        return f"{self.label}.{LAB_ZONE}"


def arsip_site(label: str = "arsip") -> HandMadeSite:
    """The static hand-made site (under another label: a copy of it, as tests make)."""
    return HandMadeSite(
        label, f"{label}.conf", f"/var/www/{label}", ARSIP_VHOST.format(zone=LAB_ZONE, label=label),
        {"index.html": ARSIP_INDEX, "edaran/2019.txt": ARSIP_NOTE},
    )  # fmt: skip


def simpeg_site(php_version: str, label: str = "simpeg") -> HandMadeSite:
    """The PHP hand-made site, its vhost written for the host's PHP version."""
    return HandMadeSite(
        label, f"{label}.conf", f"/var/www/{label}",
        SIMPEG_VHOST.format(zone=LAB_ZONE, label=label, php=php_version),
        {"index.php": SIMPEG_INDEX},
    )  # fmt: skip


def hand_made_sites(php_version: str) -> tuple[HandMadeSite, ...]:
    """The lab's two hand-made sites, their vhosts written for the host's PHP version."""
    return (arsip_site(), simpeg_site(php_version))


def _write_site(paths: HostPaths, site: HandMadeSite) -> bool:
    """Write the site's pages, vhost and enabled link once; False if it was there already."""
    docroot = paths.inside(site.docroot)
    if docroot.exists():
        return False
    apache = paths.inside("/etc/apache2")
    write_file(apache / "sites-available" / site.vhost_file, site.vhost)
    for name, text in site.pages.items():
        write_file(docroot / name, text)
    for directory in (docroot, *(p for p in docroot.rglob("*") if p.is_dir())):
        directory.chmod(0o755)
    ensure_symlink(
        apache / "sites-enabled" / site.vhost_file, f"../sites-available/{site.vhost_file}"
    )
    return True


def _reload_apache(settings: Settings) -> None:
    """configtest, then a graceful reload, inside the running web host (under the lock)."""
    process = load_state(settings.lab_dir / "state.json").get(WEB_HOST)
    if not host_alive(process):
        return  # not running: Apache reads the new files when the host starts
    assert process is not None
    enter_host(process, ["flock", "-w", "60", WEB_LOCK, "sh", "-c",
                         "apache2ctl configtest && apache2ctl graceful"])  # fmt: skip


def _keyring(settings: Settings) -> tuple[dict[dns.name.Name, dns.tsig.Key], dns.name.Name]:
    data = json.loads(Path(settings.tsig_key_path).read_text())
    name = dns.name.from_text(data["name"])
    key = dns.tsig.Key(name, data["secret"], data["algorithm"])
    return {name: key}, name


def ensure_a_record(settings: Settings, fqdn: str, address: str) -> bool:
    """`fqdn` A `address`, only if the name has no A record yet (the update's
    prerequisite); True if this call added it. A refused update is a LabError."""
    keyring, key_name = _keyring(settings)
    primary = hosts_with_role(Role.DNS_PRIMARY)[0].address
    update = dns.update.UpdateMessage(LAB_ZONE, keyring=keyring, keyname=key_name)
    name = dns.name.from_text(fqdn)
    update.absent(name, "A")
    update.add(name, RECORD_TTL, "A", address)
    try:
        rcode = dns.query.tcp(update, primary, timeout=3.0).rcode()
    except (dns.exception.DNSException, OSError) as exc:
        raise LabError(f"DNS UPDATE {fqdn}: {exc}") from exc
    if rcode == dns.rcode.YXRRSET:
        return False  # an A record is there already: kept as it is
    if rcode != dns.rcode.NOERROR:
        raise LabError(f"DNS UPDATE {fqdn}: {dns.rcode.to_text(rcode)}")
    return True


def remove_a_record(settings: Settings, fqdn: str, address: str) -> None:
    """Take back `fqdn` A `address` (and only that value), as a test's copy of a hand-made
    site leaves the zone again."""
    keyring, key_name = _keyring(settings)
    primary = hosts_with_role(Role.DNS_PRIMARY)[0].address
    update = dns.update.UpdateMessage(LAB_ZONE, keyring=keyring, keyname=key_name)
    update.delete(dns.name.from_text(fqdn), "A", address)
    try:
        rcode = dns.query.tcp(update, primary, timeout=3.0).rcode()
    except (dns.exception.DNSException, OSError) as exc:
        raise LabError(f"DNS UPDATE {fqdn}: {exc}") from exc
    if rcode != dns.rcode.NOERROR:
        raise LabError(f"DNS UPDATE {fqdn}: {dns.rcode.to_text(rcode)}")


def seed_brownfield_web(
    settings: Settings, progress: Callable[[str], None] = lambda m: None
) -> list[str]:
    """Put the hand-made sites on web-prod (once), reload its Apache if one was added, and
    make sure each name resolves to web-prod (a name server that refuses is reported, not
    raised). Returns the names of the sites written now."""
    host = host_by_name(WEB_HOST)
    paths = HostPaths.of(settings.lab_dir, host)
    written = [s.fqdn for s in hand_made_sites(php_fpm_version()) if _write_site(paths, s)]
    if written:
        _reload_apache(settings)
        progress(f"{WEB_HOST}: vhost buatan tangan / hand-made vhosts: {', '.join(written)}")
    for site in hand_made_sites(php_fpm_version()):
        try:
            if ensure_a_record(settings, site.fqdn, host.address):
                progress(f"{site.fqdn} A {host.address} (dibuat tangan / made by hand)")
        except LabError as exc:  # reported like the DNS seed's: `lab up` itself went well
            progress(f"{site.fqdn}: A tidak ditambahkan / A not added: {exc.message}")
    return written


def main() -> None:
    """Seed the running lab: `python -m provisioner.lab.brownfield_web`."""
    seed_brownfield_web(get_settings(), print)


if __name__ == "__main__":
    main()
