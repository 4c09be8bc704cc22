"""Settings that cannot be used end a command with their reasons, not a traceback (found
following "Install for production": a placeholder left in provisioner.env printed ~60
lines of pydantic internals)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).parent / "provisioner")


def test_placeholder_secret_in_production_is_a_two_line_error_with_exit_code_2(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PROVISIONER_ENVIRONMENT": "production",
           "PROVISIONER_SECRET_KEY": "change-me-to-a-long-random-secret",
           "PROVISIONER_DATA_DIR": str(tmp_path), "PROVISIONER_CONFIG": "/dev/null",
           "COLUMNS": "200"}  # fmt: skip
    done = subprocess.run([CLI, "doctor"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "The settings cannot be used" in out
    assert "PROVISIONER_SECRET_KEY: still the example's placeholder" in out
    assert "Traceback" not in out and "pydantic" not in out, out
