"""`provisioner backup` / `provisioner restore`: the store and every file the store points at
(letters, job run directories, uploads) in one archive.

SQLite is copied online with sqlite3's backup API (a consistent snapshot while the service
writes); PostgreSQL with pg_dump / pg_restore. Paths stored in the database (letter PDFs,
run directories) are rewritten on restore when the data directory moved.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, create_engine, inspect, text

from provisioner.config import Settings
from provisioner.store.private_files import create_private

# Never in a backup: lab keys/state belong to the lab, the git cache is rebuilt on demand.
SKIP = {"lab", "git-cache", "provisioner.db", "provisioner.db-wal", "provisioner.db-shm"}
Progress = Callable[[str, int, int], None]


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def _files(data_dir: Path) -> list[Path]:
    out: list[Path] = []
    for top in sorted(data_dir.iterdir()):
        if top.name in SKIP or top.name.startswith("backup-"):
            continue
        out.extend(sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top])
    return out


def backup(settings: Settings, dest: Path, progress: Progress | None = None) -> Path:
    """Write `dest` (a .tar.gz): manifest, store snapshot, data files. Returns its path."""
    url = settings.store_url
    files = _files(settings.data_dir)
    total = len(files) + 1
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / ("store.sqlite3" if url.startswith("sqlite") else "store.pgdump")
        if url.startswith("sqlite"):
            src = sqlite3.connect(url.split("///", 1)[1])
            dst = sqlite3.connect(snap)
            with dst:
                src.backup(dst)  # online: a consistent copy while others keep writing
            src.close()
            dst.close()
        else:
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={snap}", _libpq(url)],
                check=True,
                capture_output=True,
            )
        if progress:
            progress("store", 1, total)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(),
            "store": snap.name,
            "data_dir": str(settings.data_dir),
            "files": len(files),
        }
        dest.parent.mkdir(parents=True, exist_ok=True)
        # 0600 from the start: the archive holds the store and the data directory's secrets.
        with os.fdopen(create_private(dest), "wb") as out, tarfile.open(
            fileobj=out, mode="w:gz"
        ) as tar:
            info = tarfile.TarInfo("manifest.json")
            raw = json.dumps(manifest, indent=2).encode()
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
            tar.add(snap, arcname=snap.name)
            for i, path in enumerate(files, start=2):
                tar.add(path, arcname=f"data/{path.relative_to(settings.data_dir)}")
                if progress:
                    progress(str(path.relative_to(settings.data_dir)), i, total)
    return dest


def _rewrite_paths(url: str, old: str, new: str) -> int:
    """Point stored file paths (`*_path`, `run_dir`) at the new data directory."""
    if old == new:
        return 0
    engine = create_engine(url)
    changed = 0
    try:
        with engine.begin() as conn:
            insp = inspect(conn)
            for table in insp.get_table_names():
                for col in insp.get_columns(table):
                    name = col["name"]
                    if not isinstance(col["type"], String) or not (
                        name.endswith("_path") or name == "run_dir"
                    ):
                        continue
                    result = conn.execute(
                        text(
                            f'UPDATE "{table}" SET "{name}" = :new || substr("{name}", :n) '
                            f'WHERE "{name}" LIKE :prefix'
                        ),
                        {"new": new, "n": len(old) + 1, "prefix": old + "%"},
                    )
                    changed += result.rowcount or 0
    finally:
        engine.dispose()
    return changed


def restore(settings: Settings, archive: Path, progress: Progress | None = None) -> dict[str, int]:
    """Restore `archive` into this node's (fresh) data directory and store."""
    url = settings.store_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar, tempfile.TemporaryDirectory() as tmp:
        members = tar.getmembers()
        tar.extractall(tmp, filter="data")
        manifest = json.loads((Path(tmp) / "manifest.json").read_text())
        snap = Path(tmp) / manifest["store"]
        if snap.suffix == ".sqlite3":
            if not url.startswith("sqlite"):
                raise ValueError("an SQLite backup restores into an SQLite store")
            target = Path(url.split("///", 1)[1])
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            src, dst = sqlite3.connect(snap), sqlite3.connect(target)
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
        else:
            subprocess.run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    f"--dbname={_libpq(url)}",
                    str(snap),
                ],
                check=True,
                capture_output=True,
            )
        files = [m for m in members if m.name.startswith("data/") and m.isfile()]
        for i, member in enumerate(files, start=1):
            rel = Path(member.name).relative_to("data")
            target_file = settings.data_dir / rel
            target_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(tmp) / member.name, target_file)
            if progress:
                progress(str(rel), i, len(files))
    rewritten = _rewrite_paths(url, manifest["data_dir"], str(settings.data_dir))
    return {"files": len(files), "paths_rewritten": rewritten}
