"""What the benchmarks share: timing, the raw cost of each hardware step (done directly,
without our layers), and provisioning one request through the real runner."""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.zones import DnsAdapter
from provisioner.adapters.ssh import SshClient
from provisioner.bootstrap.configs import ansible_config
from provisioner.bootstrap.container import Container
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.requests import RequestDraft

ANSIBLE_RUN = "ansible-playbook run (1 task host)"
OPD = Actor("bench-opd", Role.OPD, "Dinas Kesehatan")
NET = Actor("bench-net", Role.NETWORK)
med = statistics.median


def timed(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def raw_steps(settings: Settings, rounds: int) -> dict[str, list[float]]:
    """Each hardware step done directly, without our layers."""
    dns = DnsAdapter(
        zone=settings.zone, primary=settings.dns_primary, key=TsigKey.load(settings.tsig_key_path)
    )
    ssh = {
        a: SshClient(a, key=settings.ssh_key_path, known_hosts=settings.known_hosts_path)
        for a in (settings.web_dev_address, settings.db_address)
    }
    ansible = AnsibleAdapter(ansible_config(settings))
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "DNS update (TSIG, prerequisite)",
            "Apache configtest + graceful",
            "CREATE DATABASE + USER + GRANT",
            "git clone --depth 1",
            ANSIBLE_RUN,
        )
    }
    for _ in range(rounds):
        tag = secrets.token_hex(3)
        change = RecordChange("create", f"raw-{tag}.{settings.zone}", "A", 60, "127.0.2.12")
        out["DNS update (TSIG, prerequisite)"].append(timed(dns.apply, change))
        dns.apply(RecordChange("delete", change.name, "A", 60, "127.0.2.12"))
        web = ssh[settings.web_dev_address]
        out["Apache configtest + graceful"].append(
            timed(web.run, "apache2ctl configtest && apache2ctl graceful")
        )
        db = ssh[settings.db_address]
        sql = (
            f"CREATE DATABASE raw_{tag}; CREATE USER 'raw_{tag}'@'127.0.2.%' "
            f"IDENTIFIED BY 'x{tag}'; GRANT ALL ON raw_{tag}.* TO 'raw_{tag}'@'127.0.2.%';"
        )
        out["CREATE DATABASE + USER + GRANT"].append(timed(db.run, "mariadb", stdin=sql))
        db.run("mariadb", stdin=f"DROP DATABASE raw_{tag}; DROP USER 'raw_{tag}'@'127.0.2.%';")
        clone = (
            f"git clone -q --depth 1 {settings.git_base_url}/sample-app.git /tmp/raw-{tag}"
            f" && rm -rf /tmp/raw-{tag}"
        )
        out["git clone --depth 1"].append(timed(web.run, clone))
        with tempfile.TemporaryDirectory() as run_dir:
            out[ANSIBLE_RUN].append(
                timed(
                    ansible.run,
                    "database.yml",
                    extravars={
                        "db_name": f"raw_{tag}",
                        "db_user": f"raw_{tag}",
                        "db_password": f"x{tag}",
                        "db_state": "absent",
                        "db_client_hosts": ["127.0.2.%"],
                    },
                    limit=settings.db_host,
                    run_dir=Path(run_dir),
                    step="bench",
                )
            )
    for client in ssh.values():
        client.close()
    return out


def raw_sum(raw: dict[str, list[float]]) -> float:
    """Seconds: the median of every raw hardware step, without Ansible's start-up."""
    return sum(med(v) for k, v in raw.items() if k != ANSIBLE_RUN)


def print_raw(raw: dict[str, list[float]]) -> None:
    print("\nraw hardware steps, same run (median ms)")
    for name, values in raw.items():
        print(f"  {name:<38} {med(values) * 1000:8.1f}")


def submit(services: Container, label: str, branch: str = "main") -> int:
    """A hosting request as an OPD would send it; its id."""
    req = services.intake.submit(
        RequestDraft(
            label=label,
            agency="Dinas Kesehatan",
            purpose="bench",
            contact_name="Bench",
            contact_email="bench@demokab.go.id",
            letter_number="B/1",
            letter_date=date.today(),
            hosting=True,
            repo="sample-app",
            branch=branch,
        ),
        OPD,
    )
    return req.id
