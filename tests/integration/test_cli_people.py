"""`provisioner user …` and `provisioner audit …` as an operator runs them, on a fresh
data directory; tampering with the store is caught by `audit verify` (exit 1)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).parent / "provisioner")


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROVISIONER_DATA_DIR": str(data), "PROVISIONER_CONFIG": "/dev/null",
           "COLUMNS": "200"}
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_user_commands_and_audit_verify(tmp_path: Path) -> None:
    added = run(tmp_path, "user", "add", "siti", "--role", "opd", "--agency", "Dinas Kesehatan",
                "--email", "siti@dinkes.demokab.go.id")
    assert added.returncode == 0, added.stderr
    first_token = added.stdout.strip().splitlines()[-1]
    assert len(first_token) >= 40
    no_agency = run(tmp_path, "user", "add", "budi", "--role", "opd")
    assert no_agency.returncode == 1 and "agency" in no_agency.stdout
    token = run(tmp_path, "user", "token", "siti")
    assert token.returncode == 0 and token.stdout.strip() != first_token
    assert run(tmp_path, "user", "disable", "siti").returncode == 0
    listing = run(tmp_path, "user", "list")
    assert "siti" in listing.stdout and "disabled" in listing.stdout

    ok = run(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "3 entries intact" in ok.stdout, ok.stdout
    exported = json.loads(run(tmp_path, "audit", "export", "--format", "json").stdout)
    assert [e["action"] for e in exported] == ["user:added", "user:token", "user:disabled"]
    assert exported[0]["actor"].startswith("cli:")

    with sqlite3.connect(tmp_path / "provisioner.db") as db:
        db.execute("UPDATE events SET actor='someone-else' WHERE seq=2")
    broken = run(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "#2" in broken.stdout and "edited" in broken.stdout
