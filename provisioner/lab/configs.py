"""Each host's configuration, rendered from templates/ into the host's own /etc copy."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from provisioner.lab.acme import write_pebble_files
from provisioner.lab.files import ensure_symlink, write_file
from provisioner.lab.hosts import (
    LAB_EXTRA_ZONES,
    LAB_HOSTS,
    LAB_ZONE,
    LabHost,
    Role,
    host_by_name,
    hosts_with_role,
    initial_serial,
    mounts_for,
)
from provisioner.lab.keys import LabKeys, public_key_path
from provisioner.lab.layout import HostPaths

TEMPLATES = Path(__file__).parent / "templates"
SUDO_LOGIN_UID = 2001  # not used on the machine itself (its own users stay below 2000)
APACHE_MODULES = ("proxy", "proxy_fcgi", "setenvif", "rewrite", "headers")

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **values: object) -> str:
    """Render one template from templates/ (unknown variables are an error)."""
    return _env.get_template(template).render(**values)


@dataclass(frozen=True)
class HostConfig:
    """What a host's config depends on besides its own name and address."""

    keys: LabKeys
    php_version: str
    today: date


def _owner(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def write_host_config(host: LabHost, paths: HostPaths, config: HostConfig) -> None:
    """Write every config file `host` needs into its private tree."""
    _common(host, paths, config)
    if host.role in (Role.DNS_PRIMARY, Role.DNS_SECONDARY):
        _nameserver(host, paths, config)
    elif host.role is Role.WEB:
        _web(host, paths, config)
    elif host.role is Role.DB:
        _db(host, paths)


def _common(host: LabHost, paths: HostPaths, config: HostConfig) -> None:
    values = {"host": host, "role": host.role.value, "php": config.php_version}
    etc = paths.inside("/etc")
    write_file(etc / "ssh" / "sshd_config", render("sshd_config.j2", **values))
    # The machine's own host keys came with the /etc copy; each host has its own instead.
    for stale in (etc / "ssh").glob("ssh_host_*"):
        stale.unlink()
    host_key = config.keys.host_keys[host.name]
    write_file(etc / "ssh" / "ssh_host_ed25519_key", host_key.read_bytes(), mode=0o600)
    write_file(etc / "ssh" / "ssh_host_ed25519_key.pub", public_key_path(host_key).read_bytes())
    write_file(etc / "hosts", render("hosts.j2", host=host, hosts=LAB_HOSTS))
    write_file(etc / "hostname", f"{host.name}\n")
    primary = hosts_with_role(Role.DNS_PRIMARY)[0]
    write_file(
        etc / "resolv.conf", render("resolv.conf.j2", nameserver=primary.address, zone=LAB_ZONE)
    )
    refresh_scripts(host, paths, config)
    write_file(
        paths.init_script,
        render("init.sh.j2", host=host, host_dir=str(paths.root), mounts=mounts_for(host)),
        mode=0o755,
    )
    ssh_dir = paths.inside("/root/.ssh")
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    write_file(ssh_dir / "known_hosts", config.keys.known_hosts, mode=0o600)
    if host.login == "root":
        write_file(ssh_dir / "authorized_keys", config.keys.ssh_public + "\n", mode=0o600)
    else:
        _sudo_login(host.login, paths, config)


def _sudo_login(login: str, paths: HostPaths, config: HostConfig) -> None:
    """A non-root account that logs in with the lab key and becomes root with `sudo -n`
    (the host's /etc is its own copy, so the account exists on this host only)."""
    etc = paths.inside("/etc")
    uid = SUDO_LOGIN_UID
    home = f"/home/{login}"
    _ensure_line(etc / "passwd", login, f"{login}:x:{uid}:{uid}::{home}:/bin/sh")
    # "*": no password can ever log in, but the account is not locked (sshd refuses "!").
    _ensure_line(etc / "shadow", login, f"{login}:*:20000:0:99999:7:::")
    _ensure_line(etc / "group", login, f"{login}:x:{uid}:")
    write_file(etc / "sudoers.d" / login, f"{login} ALL=(ALL:ALL) NOPASSWD: ALL\n", mode=0o440)
    ssh_dir = paths.inside(f"{home}/.ssh")
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_file(
        ssh_dir / "authorized_keys", config.keys.ssh_public + "\n", mode=0o600, owner=(uid, uid)
    )
    for directory in (ssh_dir.parent, ssh_dir):
        os.chown(directory, uid, uid)


def _ensure_line(path: Path, name: str, line: str) -> None:
    """`line` in the colon-separated file `path` as the entry of `name` (added once)."""
    lines = path.read_text().splitlines()
    if not any(entry.split(":", 1)[0] == name for entry in lines):
        stat = path.stat()  # /etc/shadow keeps its group (shadow) and mode
        write_file(path, "\n".join([*lines, line]) + "\n", mode=stat.st_mode & 0o777,
                   owner=(stat.st_uid, stat.st_gid))  # fmt: skip


def refresh_scripts(host: LabHost, paths: HostPaths, config: HostConfig) -> None:
    """The host's services.sh (and pebble's files on the DNS primary), idempotently.

    Also called for a host that is already running, so a daemon added to the lab later is
    started by the next `lab up` without restarting the host.
    """
    values = {"host": host, "role": host.role.value, "php": config.php_version}
    scripts = paths.inside("/etc") / "provisioner-lab"
    write_file(scripts / "services.sh", render("services.sh.j2", **values), mode=0o755)
    if host.role is Role.DNS_PRIMARY:
        # secrets/ sits next to hosts/ in the lab directory (settings.secrets_dir).
        write_pebble_files(paths.root.parent.parent / "secrets", paths, host.address)


def _nameserver(host: LabHost, paths: HostPaths, config: HostConfig) -> bool:
    """Write named's config (and each zone file once); True if named.conf or a key changed,
    so a running named must re-read its configuration."""
    bind_owner = (0, _owner("bind")[1])
    etc_bind = paths.inside("/etc/bind")
    tsig = config.keys.tsig
    changed = write_file(
        etc_bind / f"{tsig.name}.key", tsig.bind_config(), mode=0o640, owner=bind_owner
    )
    extra_keys = {
        zone: config.keys.zone_keys[zone]
        for zone in LAB_EXTRA_ZONES
        if zone in config.keys.zone_keys
    }
    extra_zones = [{"zone": zone, "key": key} for zone, key in extra_keys.items()]
    for key in extra_keys.values():
        changed |= write_file(
            etc_bind / f"{key.name}.key", key.bind_config(), mode=0o640, owner=bind_owner
        )
    primary = hosts_with_role(Role.DNS_PRIMARY)[0]
    nameservers = [*hosts_with_role(Role.DNS_PRIMARY), *hosts_with_role(Role.DNS_SECONDARY)]
    if host.role is Role.DNS_PRIMARY:
        conf = render(
            "named-primary.conf.j2",
            host=host,
            zone=LAB_ZONE,
            tsig=tsig,
            secondaries=[ns.address for ns in hosts_with_role(Role.DNS_SECONDARY)],
            extra_zones=extra_zones,
        )
        # Written once: afterwards named owns the zone (updates go to its journal).
        for zone_name in [LAB_ZONE, *(extra["zone"] for extra in extra_zones)]:
            zone_file = paths.inside(f"/var/lib/bind/db.{zone_name}")
            if zone_file.exists():
                continue
            zone = render(
                "zone.j2",
                zone=zone_name,
                serial=initial_serial(config.today),
                primary_name=f"{primary.name}.{LAB_ZONE}",
                nameservers=nameservers,
                web_prod=host_by_name("web-prod").address,
                ns_zone=LAB_ZONE,
            )
            write_file(zone_file, zone, mode=0o644, owner=_owner("bind"))
    else:
        conf = render(
            "named-secondary.conf.j2",
            host=host,
            zone=LAB_ZONE,
            tsig=tsig,
            primary=primary.address,
            extra_zones=extra_zones,
        )
    changed |= write_file(etc_bind / "named.conf", conf, mode=0o644, owner=bind_owner)
    return changed


def refresh_nameserver_config(host: LabHost, paths: HostPaths, config: HostConfig) -> bool:
    """Rewrite a running name server's config (new zones or keys since it started);
    True if named must re-read it (`rndc reconfig`)."""
    return _nameserver(host, paths, config)


def refresh_web_config(host: LabHost, paths: HostPaths) -> bool:
    """The catch-all vhost (it answers HTTP-01 for every name, so a certificate can be
    asked for before the site's own vhost exists); True if it changed, so a running
    Apache must reload it."""
    return write_file(
        paths.inside("/etc/apache2") / "sites-available" / "000-default.conf",
        render("apache-default-site.conf.j2", host=host),
    )


def _web(host: LabHost, paths: HostPaths, config: HostConfig) -> None:
    apache = paths.inside("/etc/apache2")
    write_file(apache / "ports.conf", render("apache-ports.conf.j2", host=host))
    write_file(
        apache / "conf-available" / "lab-servername.conf",
        render("apache-servername.conf.j2", host=host),
    )
    refresh_web_config(host, paths)
    ensure_symlink(
        apache / "sites-enabled" / "000-default.conf", "../sites-available/000-default.conf"
    )
    # What a2enmod / a2enconf do, minus their state files, which nothing here reads.
    for module in APACHE_MODULES:
        for suffix in (".load", ".conf"):
            if (apache / "mods-available" / f"{module}{suffix}").exists():
                ensure_symlink(
                    apache / "mods-enabled" / f"{module}{suffix}",
                    f"../mods-available/{module}{suffix}",
                )
    for conf in ("lab-servername.conf", f"php{config.php_version}-fpm.conf"):
        ensure_symlink(apache / "conf-enabled" / conf, f"../conf-available/{conf}")
    www_html = paths.inside("/var/www/html")
    www_html.mkdir(parents=True, exist_ok=True)
    # The deploy role clones the app from the git host with this key.
    ssh_dir = paths.inside("/root/.ssh")
    write_file(ssh_dir / "id_ed25519", config.keys.ssh_key.read_bytes(), mode=0o600)
    write_file(ssh_dir / "id_ed25519.pub", config.keys.ssh_public + "\n", mode=0o644)


def _db(host: LabHost, paths: HostPaths) -> None:
    mysql = paths.inside("/etc/mysql")
    write_file(mysql / "my.cnf", render("my.cnf.j2", host=host))
    (mysql / "conf.d").mkdir(exist_ok=True)
    write_file(mysql / "mariadb.conf.d" / "99-lab.cnf", render("mariadb-lab.cnf.j2", host=host))
