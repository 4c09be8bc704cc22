"""The lab database server's admin account for TCP clients on 127.0.2.0/24.

MariaDB's root works only through the unix socket inside the db host. Clients on the
other lab addresses (connections between lab addresses come from 127.0.2.X) need an
account of their own: `provisioner`@`127.0.2.%`, password kept in secrets/mariadb.json.
It is created through the db host's socket, reached from outside via its private /run.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

from provisioner.lab.errors import LabError
from provisioner.lab.files import write_file

ADMIN_USER = "provisioner"
ADMIN_HOST = "127.0.2.%"


def admin_credentials(path: Path, address: str) -> dict[str, str | int]:
    """Read secrets/mariadb.json, creating it with a new random password if missing."""
    if path.exists():
        data: dict[str, str | int] = json.loads(path.read_text())
        return data
    data = {
        "host": address,
        "port": 3306,
        "user": ADMIN_USER,
        "password": secrets.token_hex(16),
    }
    write_file(path, json.dumps(data, indent=2) + "\n", mode=0o600)
    return data


def ensure_admin(socket_path: Path, credentials: dict[str, str | int]) -> None:
    """Create or refresh the admin account (idempotent; hex password needs no quoting)."""
    account = f"'{ADMIN_USER}'@'{ADMIN_HOST}'"
    password = str(credentials["password"])
    if not password.isalnum():
        raise LabError("sandi admin MariaDB tidak sah / invalid MariaDB admin password")
    sql = (
        f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY '{password}';"
        f"ALTER USER {account} IDENTIFIED BY '{password}';"
        f"GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION;"
    )
    result = subprocess.run(
        [
            "mariadb",
            "--no-defaults",
            "--protocol=socket",
            f"--socket={socket_path}",
            "--user=root",
            "--batch",
            "--execute",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    if result.returncode != 0:
        raise LabError(f"mariadb admin: {result.stderr.strip()}")
