"""Each host's private filesystem under var/lab/hosts/<name>/: a full copy of /etc and
fresh directories for everything else the host must not share with the machine."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from provisioner.lab.errors import LabError
from provisioner.lab.hosts import LabHost, mounts_for

# Directories whose contents the host starts from (state that packages put there, like
# a2enmod's records); every other private directory starts empty. /var/lib/mysql is
# deliberately fresh: the machine's own database must never be copied or touched.
COPIED_FROM_MACHINE = frozenset(
    {"etc", "var/lib/apache2", "var/cache/apache2", "var/lib/php", "var/lib/bind", "var/cache/bind"}
)


@dataclass(frozen=True)
class HostPaths:
    """Where one host's private tree lives outside its namespace."""

    root: Path

    @classmethod
    def of(cls, lab_dir: Path, host: LabHost) -> HostPaths:
        return cls(lab_dir / "hosts" / host.name)

    def inside(self, path: str) -> Path:
        """The outside path of `path` as the host sees it, e.g. inside("/etc/hosts")."""
        return self.root / path.lstrip("/")

    @property
    def init_script(self) -> Path:
        return self.root / "init.sh"

    @property
    def console_log(self) -> Path:
        return self.root / "console.log"


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LabError(f"{' '.join(command)}: {result.stderr.strip()}")


def _fresh_dir(source: Path, target: Path) -> None:
    """An empty directory with the mode and owner of the machine's own `source`."""
    target.mkdir(parents=True)
    if source.is_dir():
        stat = source.stat()
        os.chown(target, stat.st_uid, stat.st_gid)
        target.chmod(stat.st_mode & 0o7777)


def prepare_tree(host: LabHost, paths: HostPaths) -> None:
    """Create the host's private directories; copy /etc on first creation and add files
    that are new on the machine since (`cp -an` never overwrites the host's own edits)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o755)
    for rel in mounts_for(host):
        source, target = Path("/") / rel, paths.root / rel
        if rel in COPIED_FROM_MACHINE and source.is_dir():
            if not target.exists():
                partial = target.with_name(target.name + ".partial")
                shutil.rmtree(partial, ignore_errors=True)
                partial.parent.mkdir(parents=True, exist_ok=True)
                _run(["cp", "-a", str(source), str(partial)])
                partial.rename(target)
            elif rel == "etc":
                _run(["cp", "-an", f"{source}/.", str(target)])
        elif not target.exists():
            _fresh_dir(source, target)
    (paths.root / "root" / ".ssh").mkdir(mode=0o700, exist_ok=True)


def reset_run_dir(paths: HostPaths) -> None:
    """Empty the host's /run before it starts, so no stale pid file or socket survives.

    Only called for a host whose namespace is gone.
    """
    run = paths.root / "run"
    for entry in run.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (run / "sshd").mkdir(mode=0o755)
    (run / "sshd").chmod(0o755)
    (run / "lock").mkdir()
    (run / "lock").chmod(0o1777)
    (run / "utmp").touch(mode=0o664)
