"""What the SIGKILL tests share: a real `provisioner worker` process against a test's data
directory and the lab, and independent looks at the servers (SSH, dig)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from provisioner.adapters.ssh import SshClient
from provisioner.config import PROJECT_ROOT, Settings


def start_worker(settings: Settings, log: Path, worker_id: str) -> subprocess.Popen[bytes]:
    """A worker process; a stable `worker_id` lets a restarted one resume its orphans."""
    env = dict(os.environ)
    env.update(
        PROVISIONER_DATA_DIR=str(settings.data_dir),
        PROVISIONER_LAB_PATH=str(settings.lab_dir),
        PROVISIONER_SECRET_KEY=settings.secret_key,
        PROVISIONER_WORKER_ID=worker_id,
        PROVISIONER_WORKER_POLL_SECONDS="0.2",
    )
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "provisioner.cli", "worker"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)


def ssh(settings: Settings, address: str, command: str) -> str:
    with SshClient(address, key=settings.ssh_key_path,
                   known_hosts=settings.known_hosts_path) as client:
        return client.run(command).stdout.strip()


def dig_a(server: str, name: str) -> list[str]:
    out = subprocess.run(["dig", f"@{server}", name, "A", "+short", "+time=2", "+tries=1"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()
