"""Reads what a web host's Apache serves: `apache2ctl -S` and every config file it names,
in one remote command (scripts/vhost_read.sh) over the generated ssh_config (RemoteShell,
so `sudo -n` on hosts driven with become). Read-only: the command writes nothing.

Besides the files, the command says which of their document roots hold PHP files, which
conf-enabled file hands PHP on for every vhost, and which PHP-FPM versions are installed,
so the domain can tell a PHP site from a static one (provisioner.domain.vhost_discovery).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path

from provisioner.adapters.remote_shell import RemoteShell
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import ServerUnreachable, StepFailed
from provisioner.domain.vhost_discovery import VhostFile, VhostSnapshot

STEP = "vhost-discovery"
READ_SCRIPT = Path(__file__).parent / "scripts" / "vhost_read.sh"


def _text(value: str) -> str:
    return base64.b64decode(value).decode("utf-8", errors="replace")


@dataclass
class _Facts:
    summary: str | None = None
    files: list[VhostFile] = field(default_factory=list)
    php: set[str] = field(default_factory=set)
    handler: str | None = None
    versions: list[str] = field(default_factory=list)

    def add(self, host: str, kind: str, parts: list[str]) -> None:
        if kind == "@@noapache":
            raise StepFailed(STEP, host, "Apache tidak terpasang / Apache is not installed")
        if kind == "@@summary":
            self.summary = _text(parts[1]) if len(parts) > 1 else ""
            if parts[0] != "0":
                raise StepFailed(STEP, host, f"apache2ctl -S: {self.summary.strip()[-400:]}")
        elif kind == "@@file" and len(parts) == 4:
            link = None if parts[2] == "-" else _text(parts[2])
            self.files.append(VhostFile(_text(parts[0]), _text(parts[1]), link,
                                        base64.b64decode(parts[3])))  # fmt: skip
        elif kind == "@@php":
            self.php.add(_text(parts[0]))
        elif kind == "@@global" and self.handler is None:
            self.handler = _text(parts[0])
        elif kind == "@@fpm":
            self.versions.append(parts[0])


def parse_read_output(host: str, stdout: str) -> VhostSnapshot:
    """The snapshot from the read script's lines (StepFailed when Apache is missing or its
    configuration does not load: then `-S` lists nothing that could be trusted)."""
    facts = _Facts()
    try:
        for line in stdout.splitlines():
            kind, _, rest = line.partition(" ")
            facts.add(host, kind, rest.split(" "))
    except (binascii.Error, ValueError, IndexError) as exc:
        raise StepFailed(STEP, host, f"jawaban tidak terbaca / unreadable answer: {exc}") from None
    if facts.summary is None:
        raise StepFailed(STEP, host, "apache2ctl -S tidak menjawab / gave no answer")
    return VhostSnapshot(host, facts.summary, tuple(facts.files), frozenset(facts.php),
                         facts.handler, tuple(sorted(facts.versions)))  # fmt: skip


class VhostReader:
    """The web host's vhosts, as one snapshot (provisioner.domain.vhost_discovery)."""

    def __init__(self, shell: RemoteShell) -> None:
        self.shell = shell

    def read(self, host: InventoryHost) -> VhostSnapshot:
        """Run the read script on `host`; ServerUnreachable when SSH does not get in,
        StepFailed when the script or Apache fails."""
        outcome = self.shell.run(host, "sh -s", stdin=READ_SCRIPT.read_text(), timeout=60.0)
        if outcome.failure is not None:
            raise ServerUnreachable(STEP, host.name, outcome.reason())
        if outcome.rc != 0:
            raise StepFailed(STEP, host.name, outcome.reason())
        return parse_read_output(host.name, outcome.stdout)
