"""What a web server's Apache serves, from `apache2ctl -S` and the config files it names
(pure): each virtual host with its names, port, document root and file, whether it hands
PHP to a handler, and whether provisioner wrote it — the vhost role's first line, "# Managed
by provisioner for <fqdn>" — or someone made it by hand; then which registry name it is.

`apache2ctl -S` is Apache's own answer to "which vhost serves which name" (after every
Include and <IfModule>), so it decides what exists; the files add what it does not print
(DocumentRoot, the PHP handler, the marker), found by the line `-S` names for the vhost.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from provisioner.domain.errors import InvalidInput
from provisioner.domain.fqdn import parse_site_name

# The vhost role's template (playbooks/roles/vhost/templates/vhost.conf.j2) starts with it.
MANAGED_MARKER = re.compile(r"^#\s*Managed by provisioner for (\S+)", re.MULTILINE)
_MARKER_LINES = 5  # the marker is the file's first line; a few lines of slack for edits

_NAME_VHOST = re.compile(r"^\s*(?:\S+:)?(\S+:\d+)\s+is a NameVirtualHost\s*$")
_DEFAULT = re.compile(r"^\s+default server (\S+) \((.+):(\d+)\)\s*$")
_PORT_VHOST = re.compile(r"^\s+port (\d+) namevhost (\S+) \((.+):(\d+)\)\s*$")
_ALIAS = re.compile(r"^\s+(?:wild )?alias (\S+)\s*$")
_ONE_VHOST = re.compile(r"^(\S+):(\d+)\s+(\S+) \((.+):(\d+)\)\s*$")
_PHP_VERSION = re.compile(r"php(\d+\.\d+)")


@dataclass(frozen=True)
class SummaryEntry:
    """One line of `apache2ctl -S`: a name served on an address, from a file's line."""

    address: str  # "*:80", "127.0.2.12:443", "[::]:80"
    port: int
    name: str
    file: str  # the path Apache read it from (usually sites-enabled/…)
    line: int  # the line of its <VirtualHost>
    aliases: tuple[str, ...] = ()
    default: bool = False  # the address's default server (answers names nobody claims)


def parse_vhost_summary(text: str) -> tuple[SummaryEntry, ...]:
    """Every vhost `apache2ctl -S` lists, in its order, with its aliases; a vhost listed as
    an address's default server and again as one of its names is one entry."""
    entries: list[SummaryEntry] = []
    defaults: set[tuple[str, str, int]] = set()
    address = ""
    for raw in text.splitlines():
        if raw.startswith(("ServerRoot:", "Main DocumentRoot:")):
            break
        if match := _NAME_VHOST.match(raw):
            address = match.group(1)
        elif match := _DEFAULT.match(raw):
            defaults.add((address, match.group(2), int(match.group(3))))
        elif match := _PORT_VHOST.match(raw):
            port, name, file, line = match.groups()
            entries.append(SummaryEntry(address, int(port), name, file, int(line)))
        elif (match := _ALIAS.match(raw)) and entries:
            last = entries[-1]
            entries[-1] = _with(last, aliases=(*last.aliases, match.group(1)))
        elif match := _ONE_VHOST.match(raw):
            host, port, name, file, line = match.groups()
            address = f"{host}:{port}"
            entries.append(SummaryEntry(address, int(port), name, file, int(line), default=True))
    return tuple(
        _with(e, default=True) if (e.address, e.file, e.line) in defaults else e for e in entries
    )


def _with(entry: SummaryEntry, **changes: Any) -> SummaryEntry:
    values = {**entry.__dict__, **changes}
    return SummaryEntry(**values)


# --- the config files -------------------------------------------------------------------


@dataclass(frozen=True)
class Directive:
    """One line of a config section: its number in the file, name and arguments."""

    line: int
    name: str  # "DocumentRoot", "<Directory", "</Directory>"
    args: tuple[str, ...]
    text: str  # as written, without the indentation


@dataclass(frozen=True)
class VhostBlock:
    """One <VirtualHost> section of a file, macros it `Use`s expanded in place."""

    line: int
    addresses: tuple[str, ...]
    directives: tuple[Directive, ...]

    def values(self, name: str) -> list[tuple[str, ...]]:
        """The arguments of every directive called `name` (case-insensitive, as Apache)."""
        wanted = name.lower()
        return [d.args for d in self.directives if d.name.lower() == wanted]

    def first(self, name: str) -> str | None:
        found = [args[0] for args in self.values(name) if args]
        return found[0] if found else None


def _split(text: str) -> tuple[str, tuple[str, ...]]:
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:  # an unbalanced quote: Apache would refuse it; read it plainly
        words = text.split()
    if not words:
        return "", ()
    return words[0], tuple(words[1:])


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(number of the first line, text) with `\\` continuations joined and comments gone."""
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if pending is not None:
            start, head = pending
            stripped = head + " " + stripped
            number = start
            pending = None
        if stripped.endswith("\\"):
            pending = (number, stripped[:-1].rstrip())
            continue
        if stripped and not stripped.startswith("#"):
            lines.append((number, stripped))
    if pending is not None:
        lines.append(pending)
    return lines


Lines = list[tuple[int, str]]
Macros = Mapping[str, tuple[tuple[str, ...], Lines]]


def _macros(lines: Lines) -> dict[str, tuple[tuple[str, ...], Lines]]:
    """Macro name (lower case) -> (its parameters, its body lines)."""
    macros: dict[str, tuple[tuple[str, ...], Lines]] = {}
    current: tuple[str, tuple[str, ...], list[tuple[int, str]]] | None = None
    for number, text in lines:
        name, args = _split(text.rstrip(">"))
        if name.lower() == "<macro" and args:
            current = (args[0].lower(), args[1:], [])
        elif name.lower() == "</macro":
            if current is not None:
                macros[current[0]] = (current[1], current[2])
            current = None
        elif current is not None:
            current[2].append((number, text))
    return macros


def _expand(number: int, text: str, macros: Macros, depth: int = 0) -> list[Directive]:
    name, args = _split(text)
    if name.lower() == "use" and args and args[0].lower() in macros and depth < 5:
        params, body = macros[args[0].lower()]
        values = dict(zip(params, args[1:], strict=False))
        expanded: list[Directive] = []
        for _, line in body:
            for param, value in values.items():
                line = line.replace(param, value)
            # A macro's lines count as the `Use` line: that is where Apache applies them.
            expanded += _expand(number, line, macros, depth + 1)
        return expanded
    if name.endswith(">") and len(name) > 1:
        name = name[:-1]
    clean = tuple(a[:-1] if a.endswith(">") and i == len(args) - 1 else a
                  for i, a in enumerate(args))  # fmt: skip
    return [Directive(number, name, tuple(a for a in clean if a), text)]


def parse_vhost_blocks(text: str) -> tuple[VhostBlock, ...]:
    """Every <VirtualHost> section of a config file's text, in file order."""
    lines = _logical_lines(text)
    macros = _macros(lines)
    blocks: list[VhostBlock] = []
    inside: tuple[int, tuple[str, ...], list[Directive]] | None = None
    in_macro = False
    for number, line in lines:
        name, args = _split(line.rstrip(">"))
        lowered = name.lower()
        if lowered == "<macro":
            in_macro = True
        elif lowered == "</macro":
            in_macro = False
        elif in_macro:
            continue
        elif lowered == "<virtualhost":
            inside = (number, args, [])
        elif lowered == "</virtualhost":
            if inside is not None:
                blocks.append(VhostBlock(inside[0], inside[1], tuple(inside[2])))
            inside = None
        elif inside is not None:
            inside[2].extend(_expand(number, line, macros))
    return tuple(blocks)


def managed_for(text: str) -> str | None:
    """The name in provisioner's marker at the top of a vhost file, or None (hand-made)."""
    head = "\n".join(text.splitlines()[:_MARKER_LINES])
    match = MANAGED_MARKER.search(head)
    return match.group(1) if match else None


_PHP_HANDLERS = ("sethandler", "addhandler", "addtype", "proxypassmatch")


def php_handler(block: VhostBlock) -> str | None:
    """How the vhost itself hands PHP on: the handler, proxy or module it names; None when
    it names none (a global handler may still apply: see `discover`)."""
    for directive in block.directives:
        joined = " ".join(directive.args)
        name = directive.name.lower()
        if name in _PHP_HANDLERS and ("php" in joined.lower() or "fcgi://" in joined):
            return joined
        if name in ("php_admin_value", "php_value", "php_admin_flag", "php_flag"):
            return "mod_php"
    return None


def php_version_of(handler: str | None) -> str | None:
    """The PHP version a handler names ("…/php8.2-fpm.sock…" -> "8.2"), if it names one."""
    match = _PHP_VERSION.search(handler or "")
    return match.group(1) if match else None


# --- what was found ---------------------------------------------------------------------


@dataclass(frozen=True)
class VhostFile:
    """A config file `apache2ctl -S` names, as read on the host."""

    path: str  # as Apache names it (usually the sites-enabled link)
    real_path: str  # where the bytes live (the link resolved)
    link_target: str | None  # the link as written (None: `path` is the file itself)
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class VhostSnapshot:
    """One read of a web host's Apache (the adapter's one remote command)."""

    host: str
    summary: str  # `apache2ctl -S` as printed
    files: tuple[VhostFile, ...]
    php_docroots: frozenset[str] = frozenset()  # document roots that hold *.php files
    global_php_handler: str | None = None  # a conf-enabled file that hands *.php on
    fpm_versions: tuple[str, ...] = ()  # PHP-FPM versions installed (/etc/php/*/fpm)

    def file(self, path: str) -> VhostFile | None:
        return next((f for f in self.files if f.path == path), None)


@dataclass(frozen=True)
class DiscoveredVhost:
    """One virtual host as found on a web server."""

    host: str
    name: str  # its ServerName (as `apache2ctl -S` reports it)
    aliases: tuple[str, ...]
    address: str
    port: int
    file: str
    real_file: str
    link_target: str | None
    line: int
    document_root: str | None
    php_handler: str | None  # None: static (no handler of its own, no global one for it)
    managed_for: str | None  # the name in provisioner's marker; None: made by hand
    file_sha256: str
    names_in_file: tuple[str, ...] = ()  # every ServerName of the file (one link: all of them)
    default: bool = False
    directives: tuple[Directive, ...] = field(default=(), compare=False, repr=False)

    @property
    def managed(self) -> bool:
        return self.managed_for is not None

    @property
    def php(self) -> bool:
        return self.php_handler is not None

    @property
    def php_version(self) -> str | None:
        return php_version_of(self.php_handler)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host, "name": self.name, "aliases": list(self.aliases),
            "address": self.address, "port": self.port, "file": self.file,
            "real_file": self.real_file, "line": self.line,
            "document_root": self.document_root, "php": self.php,
            "php_handler": self.php_handler, "managed": self.managed,
            "file_sha256": self.file_sha256, "default": self.default,
        }  # fmt: skip


def discover(snapshot: VhostSnapshot) -> tuple[DiscoveredVhost, ...]:
    """Every vhost of the snapshot, each joined with its section of the file `-S` names."""
    found: list[DiscoveredVhost] = []
    for entry in parse_vhost_summary(snapshot.summary):
        source = snapshot.file(entry.file)
        blocks = parse_vhost_blocks(source.text) if source else ()
        block = next((b for b in blocks if b.line == entry.line), None)
        raw_root = block.first("DocumentRoot") if block else None
        docroot = (raw_root.rstrip("/") or "/") if raw_root else None
        handler = php_handler(block) if block else None
        if handler is None and docroot in snapshot.php_docroots and snapshot.global_php_handler:
            handler = f"global: {snapshot.global_php_handler}"
        found.append(DiscoveredVhost(
            host=snapshot.host, name=entry.name, aliases=entry.aliases,
            address=entry.address, port=entry.port, file=entry.file,
            real_file=source.real_path if source else entry.file,
            link_target=source.link_target if source else None, line=entry.line,
            document_root=docroot,
            php_handler=handler,
            managed_for=managed_for(source.text) if source else None,
            file_sha256=source.sha256 if source else "",
            names_in_file=tuple(n for b in blocks if (n := b.first("ServerName"))),
            default=entry.default, directives=block.directives if block else (),
        ))  # fmt: skip
    return tuple(found)


# --- which name it is -------------------------------------------------------------------


class NameKind(StrEnum):
    REGISTERED = "registered"  # an existing site of an agency, registered here
    PROVISIONER = "provisioner"  # provisioner made it (a request holds the name, or marker)
    AVAILABLE = "available"  # an agency's name nobody holds: it can be registered
    INFRASTRUCTURE = "infrastructure"  # a reserved label or not an agency's single label
    OUTSIDE = "outside"  # not a name in any managed zone (the host's own name, …)


@dataclass(frozen=True)
class NameHolder:
    """Who holds a name in the registry: a request (its ticket) or an existing site."""

    kind: NameKind  # REGISTERED or PROVISIONER
    holder: str  # the agency of an existing site, the ticket of a request


@dataclass(frozen=True)
class NameMatch:
    fqdn: str
    kind: NameKind
    holder: str | None = None

    @property
    def registrable(self) -> bool:
        return self.kind is NameKind.AVAILABLE


def match_name(
    vhost: DiscoveredVhost, *, zones: Iterable[str], reserved: frozenset[str],
    holders: Mapping[str, NameHolder],
) -> NameMatch:  # fmt: skip
    """The registry's view of a vhost's ServerName: held (by an existing site or a request),
    free for an agency, or not an agency's name at all."""
    try:
        name = parse_site_name(vhost.name, zones)
    except InvalidInput:
        return NameMatch(vhost.name.lower(), NameKind.OUTSIDE)
    held = holders.get(name.fqdn)
    if held is not None:
        return NameMatch(name.fqdn, held.kind, held.holder)
    if vhost.managed:
        return NameMatch(name.fqdn, NameKind.PROVISIONER)
    if not name.is_single_label or name.relative in reserved:
        return NameMatch(name.fqdn, NameKind.INFRASTRUCTURE)
    return NameMatch(name.fqdn, NameKind.AVAILABLE)
