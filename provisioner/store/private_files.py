"""Files of the data directory that only the service's own user may read: the store, the
demo users' tokens and passwords, letter scans, letters, backups. Files 0600, their
directories 0700, whatever the process's umask — created that way, never chmod-ed after
the content is already on disk for others to read."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make `path` itself 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, content: str | bytes) -> Path:
    """Write `content` to `path` atomically as a 0600 file (a temporary file, created
    0600, renamed over the old one). A missing directory is created 0700; an existing one
    keeps its mode (the data directory itself also holds the lab hosts' trees)."""
    data = content.encode() if isinstance(content, str) else content
    if not path.parent.is_dir():
        private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def create_private(path: Path) -> int:
    """Open `path` for writing, created 0600 (truncated if it exists); returns the fd."""
    if not path.parent.is_dir():
        private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode on open: set it
    return fd


def secure_sqlite_file(path: Path) -> None:
    """Make an SQLite store and its journal files 0600 before the engine opens it: SQLite
    gives its -wal and -shm files the mode of the database file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists():
            os.chmod(each, FILE_MODE)
