"""Every name a site gets on the servers, derived from its label and host names (pure).

One place decides the database, the database user, each web host's site user, PHP-FPM
pool, socket, tree, vhost file and certificate name, and the limits of the servers they go
to. Names that fit keep the form they always had (plans already approved keep their
checksum); only a name that would break a limit is shortened, and then always with a hash
of the whole label, so two labels never share one name (plain truncation did: two 63-character
labels that differ only at the end got one database).

The vhost, deploy and tls roles derive the site user in Jinja
(playbooks/roles/vhost/defaults/main.yml) with the same formula as `site_user`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# --- the limits of the servers the names go to -----------------------------------------
# MariaDB: a database name is an identifier of at most 64 characters …
DB_NAME_MAX = 64
# … and the grant names it as a LIKE pattern with every "_" escaped ("site\_dinkes"),
# stored in mysql.db.Db, CHAR(64): a name whose escaped form is longer is refused by the
# GRANT with "ERROR 1102 Incorrect database name" (seen on the lab's MariaDB 10.11 after
# CREATE DATABASE had succeeded). This, not the 64 characters, is the real limit.
DB_GRANT_PATTERN_MAX = 64
# MariaDB allows 128 since 10.x; 32 keeps the user portable to MySQL 5.7 and older MariaDB.
DB_USER_MAX = 32
LINUX_USER_MAX = 32  # useradd / the utmp field
FILE_NAME_MAX = 255  # NAME_MAX of ext4, xfs, btrfs
UNIX_SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with its NUL
FQDN_MAX = 253
PHP_VERSION = "8.2"

_DB_IDENT = re.compile(r"^[a-z0-9_]+$")
_LINUX_USER = re.compile(r"^[a-z][a-z0-9_]*$")
_SITE_USER_PREFIX_MAX = 23
# The longest name a web host's roles give a file named after the site (vhost role's backup
# of the HTTPS vhost); the others (.conf, .ssl.conf, .conf.previous, -access.log) are shorter.
_LONGEST_SITE_FILE_SUFFIX = ".ssl.conf.previous"


def grant_pattern_length(name: str) -> int:
    """Length of `name` as the GRANT writes it: "_" and "%" escaped with a backslash."""
    return len(name) + name.count("_") + name.count("%")


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def database_name(label: str) -> str:
    """The database: "site_<label>" with "-" as "_"; when its grant pattern would not
    fit, as much of that as fits, then "_" and 10 hex digits of the label's sha256."""
    name = "site_" + label.replace("-", "_")
    if len(name) <= DB_NAME_MAX and grant_pattern_length(name) <= DB_GRANT_PATTERN_MAX:
        return name
    suffix = "_" + _digest(label, 10)
    budget = DB_GRANT_PATTERN_MAX - grant_pattern_length(suffix)
    prefix = ""
    for char in name:
        if grant_pattern_length(prefix + char) > budget:
            break
        prefix += char
    return prefix.rstrip("_") + suffix


def database_user(label: str) -> str:
    """The database user: "u_<label>" with "-" as "_"; over 32 characters, its first 25
    characters, "_" and 6 hex digits of the label's sha256."""
    user = "u_" + label.replace("-", "_")
    if len(user) > DB_USER_MAX:
        user = f"{user[:25]}_{_digest(label, 6)}"
    return user


def site_user(fqdn: str) -> str:
    """The site's system user (and group) on a web host, e.g.
    "dinkes_dev_demokab_go_i_1a2b3c4d": at most 23 characters of the name, "_", 8 hex of its
    sha1 — 32 at most, starts with a letter, and two names never share an account."""
    base = re.sub(r"[^a-z0-9]", "_", fqdn)
    if fqdn[:1].isdigit():
        base = "s" + base
    return base[:_SITE_USER_PREFIX_MAX] + "_" + hashlib.sha1(fqdn.encode()).hexdigest()[:8]


def fpm_socket(fqdn: str, php_version: str = PHP_VERSION) -> str:
    """Path of the site's own PHP-FPM socket on the web host."""
    return f"/run/php/php{php_version}-fpm-{site_user(fqdn)}.sock"


@dataclass(frozen=True)
class HostNames:
    """The names one site name (dev or production) has on its web host."""

    fqdn: str
    site_user: str
    fpm_pool_file: str
    fpm_socket: str
    tree: str
    vhost_file: str
    cert_name: str

    @classmethod
    def of(cls, fqdn: str, php_version: str = PHP_VERSION) -> HostNames:
        return cls(
            fqdn=fqdn,
            site_user=site_user(fqdn),
            fpm_pool_file=f"/etc/php/{php_version}/fpm/pool.d/{fqdn}.conf",
            fpm_socket=fpm_socket(fqdn, php_version),
            tree=f"/var/www/{fqdn}",
            vhost_file=f"/etc/apache2/sites-available/{fqdn}.conf",
            cert_name=fqdn,
        )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if len(self.fqdn) > FQDN_MAX:
            found.append(
                (
                    f"nama {self.fqdn} lebih dari {FQDN_MAX} karakter",
                    f"the name {self.fqdn} is longer than {FQDN_MAX} characters",
                )
            )
        longest = self.fqdn + _LONGEST_SITE_FILE_SUFFIX
        if len(longest) > FILE_NAME_MAX:
            found.append(
                (
                    f"nama berkas {longest} lebih dari {FILE_NAME_MAX} karakter",
                    f"the file name {longest} is longer than {FILE_NAME_MAX} characters",
                )
            )
        if len(self.site_user) > LINUX_USER_MAX or not _LINUX_USER.match(self.site_user):
            found.append(
                (
                    f"pengguna situs {self.site_user} bukan nama pengguna Linux yang sah "
                    f"(maks. {LINUX_USER_MAX} karakter)",
                    f"the site user {self.site_user} is not a valid Linux user name "
                    f"(at most {LINUX_USER_MAX} characters)",
                )
            )
        if len(self.fpm_socket) > UNIX_SOCKET_PATH_MAX:
            found.append(
                (
                    f"soket PHP-FPM {self.fpm_socket} lebih dari {UNIX_SOCKET_PATH_MAX} karakter",
                    f"the PHP-FPM socket {self.fpm_socket} is longer than "
                    f"{UNIX_SOCKET_PATH_MAX} characters",
                )
            )
        return found


@dataclass(frozen=True)
class SiteNames:
    """Every name a hosting site gets: its database on the DB server and, per web host,
    the names in HostNames."""

    label: str
    db_name: str
    db_user: str
    dev: HostNames
    prod: HostNames

    @classmethod
    def derive(
        cls, label: str, *, fqdn: str, dev_fqdn: str, php_version: str = PHP_VERSION
    ) -> SiteNames:
        return cls(
            label=label,
            db_name=database_name(label),
            db_user=database_user(label),
            dev=HostNames.of(dev_fqdn, php_version),
            prod=HostNames.of(fqdn, php_version),
        )

    def with_database(self, db_name: str | None, db_user: str | None) -> SiteNames:
        """The same site with the database names its approval stored (when it has them)."""
        return SiteNames(
            self.label, db_name or self.db_name, db_user or self.db_user, self.dev, self.prod
        )

    def problems(self) -> list[tuple[str, str]]:
        """Every limit of a server one of these names breaks, as (Indonesian, English);
        empty when the plan can be carried out as far as names go."""
        found: list[tuple[str, str]] = []
        if (
            not _DB_IDENT.match(self.db_name)
            or len(self.db_name) > DB_NAME_MAX
            or grant_pattern_length(self.db_name) > DB_GRANT_PATTERN_MAX
        ):
            found.append(
                (
                    f"nama basis data {self.db_name} melebihi batas MariaDB ({DB_NAME_MAX} "
                    "karakter, juga dengan setiap '_' di-escape pada GRANT)",
                    f"the database name {self.db_name} exceeds MariaDB's limit ({DB_NAME_MAX} "
                    "characters, also with every '_' escaped in the GRANT)",
                )
            )
        if not _DB_IDENT.match(self.db_user) or len(self.db_user) > DB_USER_MAX:
            found.append(
                (
                    f"pengguna basis data {self.db_user} bukan [a-z0-9_] atau lebih dari "
                    f"{DB_USER_MAX} karakter",
                    f"the database user {self.db_user} is not [a-z0-9_] or longer than "
                    f"{DB_USER_MAX} characters",
                )
            )
        for host in (self.dev, self.prod):
            found.extend(host.problems())
        return found

    def identities(self) -> set[tuple[str, str, str]]:
        """The names that must belong to this site alone: (kind in Indonesian, in English,
        name)."""
        return {
            ("basis data", "database", self.db_name),
            ("pengguna basis data", "database user", self.db_user),
            ("pengguna situs", "site user", self.dev.site_user),
            ("pengguna situs", "site user", self.prod.site_user),
        }

    def clashes_with(self, other: SiteNames) -> list[tuple[str, str]]:
        """What this site would share with `other`, as (Indonesian, English) words: the
        same database, database user or site user (a vhost, tree or certificate is named
        after the fqdn, which the name registry keeps unique)."""
        shared = sorted(self.identities() & other.identities())
        return [(f"{kind_id} {name}", f"{kind_en} {name}") for kind_id, kind_en, name in shared]


def bilingual(parts: list[tuple[str, str]]) -> str:
    """Several (Indonesian, English) reasons as one "id; id / en; en" message."""
    return "; ".join(p[0] for p in parts) + " / " + "; ".join(p[1] for p in parts)
