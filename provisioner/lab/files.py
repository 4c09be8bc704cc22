"""Small file helpers: atomic writes that never follow a symlink out of a host's tree."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_file(
    path: Path, content: str | bytes, mode: int = 0o644, owner: tuple[int, int] | None = None
) -> bool:
    """Write `content` to `path` atomically; return True if the file changed.

    The temporary file + rename replaces a symlink at `path` instead of writing through
    it: a host's /etc copy may hold absolute symlinks that point at the real machine.
    """
    data = content.encode() if isinstance(content, str) else content
    if not path.is_symlink() and path.is_file():
        stat = path.stat()
        same_owner = owner is None or (stat.st_uid, stat.st_gid) == owner
        if path.read_bytes() == data and (stat.st_mode & 0o7777) == mode and same_owner:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        if owner is not None:
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def ensure_symlink(link: Path, target: str) -> None:
    """Make `link` a symlink to `target` (relative targets stay inside the host's tree)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
