"""Bringing a hand-made vhost under management, and the way back (pure).

A registered existing site keeps its hand-made vhost untouched until the network team
approves a migration plan, which names everything that will change on the web host: the
site's own user, its tree in the deploy role's layout (/var/www/<fqdn>/releases/…, a
`current` link, shared/, logs/, tmp/) with the current document root copied in as the first
release, its own PHP-FPM pool (PHP sites), and the managed vhost — the vhost role's own
templates — enabled in place of the hand-made one. The hand-made file is kept byte for
byte (its bytes also go to the store before anything changes), so the way back restores it
exactly and takes the managed vhost and pool away again.

Both plans have a one-line-per-item summary, a data form and a checksum over it, as every
plan the team approves (domain.plan).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from provisioner.domain.errors import UnsafeChange
from provisioner.domain.plan import plan_checksum
from provisioner.domain.site_names import HostNames
from provisioner.domain.vhost_discovery import Directive, DiscoveredVhost

MIGRATABLE_PORT = 80
# Disabling a hand-made vhost removes its entry here; a vhost read from anywhere else
# (apache2.conf, conf-enabled/) would take other configuration with it.
SITES_ENABLED = "/etc/apache2/sites-enabled/"
# Directives the managed shape sets itself (from the same facts), so none is lost by moving.
_COVERED = frozenset({
    "servername", "serveralias", "documentroot", "errorlog", "customlog", "serveradmin",
    "directoryindex", "require", "<directory", "</directory", "<filesmatch", "</filesmatch",
})  # fmt: skip
_HARMLESS = frozenset({"allowoverride none", "options -indexes", "options none",
                       "options -indexes +followsymlinks"})  # fmt: skip
RELEASE_SUFFIX = "-migrated"  # releases/<UTC time>-migrated: the copied document root


@dataclass(frozen=True)
class ManagedShape:
    """The values the vhost role's templates are rendered with for a migrated site
    (names as the role derives them, via domain.site_names)."""

    fqdn: str
    site_user: str
    tree: str
    php: bool
    php_version: str
    socket: str
    extra_directives: str
    acme_webroot: str = "/var/www/.acme"
    log_dir: str = "/var/log/apache2"
    web_user: str = "www-data"
    fpm_max_children: int = 5

    @classmethod
    def of(cls, vhost: DiscoveredVhost, *, php_version: str, extra: str = "") -> ManagedShape:
        """The shape for `vhost`: its aliases kept (a ServerAlias line), `extra` directives
        the team adds (shown in the plan, tested by configtest before the reload)."""
        names = HostNames.of(vhost.name.lower(), php_version)
        lines = [f"ServerAlias {' '.join(vhost.aliases)}"] if vhost.aliases else []
        lines += [line.rstrip() for line in extra.strip().splitlines() if line.strip()]
        return cls(
            fqdn=names.fqdn,
            site_user=names.site_user,
            tree=names.tree,
            php=vhost.php,
            php_version=php_version,
            socket=names.fpm_socket,
            extra_directives="\n".join(lines),
        )


def not_carried(directives: Iterable[Directive], *, php: bool) -> tuple[str, ...]:
    """Lines of the hand-made vhost the managed one does not say (the plan lists them, so
    the team sees what the site loses — `.htaccess` with AllowOverride All, a Redirect …)."""
    left: list[str] = []
    for directive in directives:
        name = directive.name.lower()
        text = " ".join(directive.text.split()).lower()
        if name in _COVERED or text in _HARMLESS or (php and name == "sethandler"):
            continue
        left.append(directive.text)
    return tuple(left)


@dataclass(frozen=True)
class MigrationPlan:
    """What migrating one existing site does on its web host, in the order it happens."""

    fqdn: str
    host: str
    php: bool
    php_version: str
    document_root: str
    old_file: str  # the hand-made file (where its bytes live)
    old_link: str  # the path Apache reads it from (its sites-enabled entry)
    old_link_target: str | None  # that entry's link as written; None: the entry is the file
    old_sha256: str
    site_user: str
    tree: str
    vhost_file: str
    vhost_link: str
    vhost_text: str
    pool_file: str | None
    pool_text: str | None
    socket: str | None
    not_carried: tuple[str, ...] = ()

    @property
    def release_pattern(self) -> str:
        return f"{self.tree}/releases/<UTC>{RELEASE_SUFFIX}"

    def summary(self) -> list[str]:
        """One line per item, for the approval page and the API."""
        replace = self.old_file == self.vhost_file
        lines = [
            f"+ user {self.site_user} (group {self.site_user}) @ {self.host}",
            f"+ tree {self.tree} (releases/, shared/, logs/, tmp/)",
            f"+ release {self.release_pattern}/public ← copy of {self.document_root} "
            f"(owner {self.site_user}); current → it",
        ]
        if self.php:
            lines.append(f"+ PHP-FPM pool {self.pool_file} (user {self.site_user}, "
                         f"{self.socket})")  # fmt: skip
        lines += [
            f"{'~' if replace else '+'} vhost {self.vhost_file} (managed; DocumentRoot "
            f"{self.tree}/current/public), enabled as {self.vhost_link}",
            f"- disable hand-made {self.old_link} (file {self.old_file} sha256 "
            f"{self.old_sha256[:12]} kept byte for byte for the way back)",
            "= apache2ctl configtest before the reload; on failure everything above is "
            "taken back and Apache keeps serving the hand-made vhost",
        ]
        lines += [f"! not carried over: {text}" for text in self.not_carried]
        return lines

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["not_carried"] = list(self.not_carried)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MigrationPlan:
        values = dict(data)
        values["not_carried"] = tuple(values.get("not_carried") or ())
        return cls(**values)

    def checksum(self) -> str:
        return plan_checksum(self.to_dict())


def plan_migration(
    vhost: DiscoveredVhost, *, shape: ManagedShape, vhost_text: str, pool_text: str | None,
    others: Iterable[DiscoveredVhost] = (),
) -> MigrationPlan:  # fmt: skip
    """The migration of a hand-made vhost into `shape` (`vhost_text` / `pool_text`: the
    vhost role's templates rendered with it). UnsafeChange when moving it could break or
    hide more than this one site: provisioner's own vhost, not on port 80, not an entry of
    sites-enabled/, a file that holds
    other vhosts too, an HTTPS vhost made by hand for the name, no usable document root, or
    a document root where the managed tree goes."""
    _refuse_unsafe(vhost, shape, others)
    assert vhost.document_root is not None
    names = HostNames.of(shape.fqdn, shape.php_version)
    return MigrationPlan(
        fqdn=shape.fqdn, host=vhost.host, php=shape.php, php_version=shape.php_version,
        document_root=vhost.document_root, old_file=vhost.real_file, old_link=vhost.file,
        old_link_target=vhost.link_target, old_sha256=vhost.file_sha256,
        site_user=shape.site_user, tree=shape.tree, vhost_file=names.vhost_file,
        vhost_link=f"/etc/apache2/sites-enabled/{shape.fqdn}.conf",
        vhost_text=vhost_text.strip() + "\n",
        pool_file=names.fpm_pool_file if shape.php else None,
        pool_text=(pool_text or "").strip() + "\n" if shape.php else None,
        socket=shape.socket if shape.php else None,
        not_carried=not_carried(vhost.directives, php=shape.php),
    )  # fmt: skip


def _refuse_unsafe(
    vhost: DiscoveredVhost, shape: ManagedShape, others: Iterable[DiscoveredVhost]
) -> None:
    def refuse(id_: str, en: str) -> None:
        raise UnsafeChange(f"{id_} / {en}")

    name = vhost.name
    if vhost.managed:
        refuse(f"{name} sudah dikelola provisioner", f"{name} is managed by provisioner already")
    if vhost.port != MIGRATABLE_PORT:
        refuse(f"{name} dilayani di port {vhost.port}, bukan 80",
               f"{name} is served on port {vhost.port}, not 80")  # fmt: skip
    if not vhost.file.startswith(SITES_ENABLED) or "/" in vhost.file[len(SITES_ENABLED) :]:
        refuse(f"{name} tidak dibaca dari {SITES_ENABLED}; pindahkan dengan tangan",
               f"{name} is not read from {SITES_ENABLED}; move it by hand")  # fmt: skip
    more = sorted({n for n in vhost.names_in_file if n.lower() != name.lower()})
    if more:
        listed = ", ".join(more)
        refuse(f"berkas {vhost.file} juga memuat {listed}; pisahkan dulu dengan tangan",
               f"the file {vhost.file} also holds {listed}; split it by hand first")  # fmt: skip
    if any(o.name.lower() == name.lower() and o.port != MIGRATABLE_PORT for o in others):
        refuse(f"{name} punya vhost HTTPS buatan tangan; pindahkan dengan tangan",
               f"{name} has a hand-made HTTPS vhost; move it by hand")  # fmt: skip
    root = vhost.document_root
    if not root or root == "/" or not root.startswith("/"):
        refuse(f"{name} tidak punya DocumentRoot yang dapat disalin",
               f"{name} has no document root that can be copied")  # fmt: skip
    assert root is not None
    tree = shape.tree
    if root == tree or root.startswith(tree + "/") or tree.startswith(root + "/"):
        refuse(f"DocumentRoot {root} berada di tempat pohon situs {tree}",
               f"the document root {root} lies where the site's tree {tree} goes")  # fmt: skip


@dataclass(frozen=True)
class RevertPlan:
    """The way back from a migration: the hand-made file's bytes and link restored, the
    managed vhost and pool removed (the site's tree and user stay: data written meanwhile)."""

    migration: MigrationPlan

    def summary(self) -> list[str]:
        m = self.migration
        link = f" → {m.old_link_target}" if m.old_link_target else ""
        lines = [
            f"~ restore {m.old_file} byte for byte (sha256 {m.old_sha256[:12]})",
            f"+ enable {m.old_link}{link}",
        ]
        if m.vhost_file != m.old_file:
            lines.append(f"- managed vhost {m.vhost_file}")
        lines.append(f"- {m.vhost_link}")
        if m.pool_file:
            lines.append(f"- PHP-FPM pool {m.pool_file}")
        lines += [
            "= apache2ctl configtest before the reload; on failure the managed vhost stays",
            f"= kept: {m.tree} and user {m.site_user} (what the site wrote meanwhile)",
        ]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"way_back": self.migration.to_dict()}

    def checksum(self) -> str:
        return plan_checksum(self.to_dict())
