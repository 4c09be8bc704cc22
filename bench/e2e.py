"""Whole path on the lab: median seconds from approval to live (letter issued), next to the
raw cost of each hardware step measured in the same run — what our layers cost.

    .venv/bin/python bench/e2e.py [--runs 3]        (the lab must be up: provisioner lab up)
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.dns import DnsAdapter, TsigKey
from provisioner.adapters.ssh import SshClient
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.requests import RequestDraft
from provisioner.wiring import build_services


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
    ansible = AnsibleAdapter(settings)
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "DNS update (TSIG, prerequisite)",
            "Apache configtest + graceful",
            "CREATE DATABASE + USER + GRANT",
            "git clone --depth 1",
            "ansible-playbook run (1 task host)",
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
            out["ansible-playbook run (1 task host)"].append(
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


def whole_path(settings: Settings, runs: int) -> tuple[list[float], dict[str, list[float]]]:
    services = build_services(settings)
    opd = Actor("bench-opd", Role.OPD, "Dinas Kesehatan")
    net = Actor("bench-net", Role.NETWORK)
    totals: list[float] = []
    per_step: dict[str, list[float]] = {}
    for _ in range(runs):
        label = f"bench-{secrets.token_hex(3)}"
        req = services.requests.submit(
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
                branch="main",
            ),
            opd,
        )
        start = time.perf_counter()
        job = services.requests.approve(req.id, net)
        while services.worker.run_once() is not None:
            pass
        totals.append(time.perf_counter() - start)
        done = services.requests.job(job.id, net)
        assert done.state == "done", f"{label}: {done.error}"
        for step in done.steps:
            per_step.setdefault(step.name, []).append(
                (step.finished_at - step.started_at).total_seconds()
            )
        services.runner.undo(job.id)
    services.store.dispose()
    return totals, per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lab = Settings(data_dir=PROJECT_ROOT / "var")
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), lab_path=lab.lab_dir)
        raw = raw_steps(settings, max(args.runs, 3))
        totals, per_step = whole_path(settings, args.runs)
    med = statistics.median
    raw_sum = sum(med(v) for k, v in raw.items() if not k.startswith("ansible"))
    print(f"\nwhole path, approval → letter issued ({args.runs} runs)")
    print(f"  median {med(totals):7.2f} s   (min {min(totals):.2f}, max {max(totals):.2f})")
    for name, values in per_step.items():
        print(f"    step {name:<12} median {med(values) * 1000:8.0f} ms")
    print("\nraw hardware steps, same run (median ms)")
    for name, values in raw.items():
        print(f"  {name:<38} {med(values) * 1000:8.1f}")
    print(
        f"\n  sum of raw steps without Ansible: {raw_sum * 1000:.0f} ms;"
        f" ratio whole path / raw sum: {med(totals) / raw_sum:.0f}x;"
        f" one Ansible run: {med(raw['ansible-playbook run (1 task host)']):.2f} s"
    )


if __name__ == "__main__":
    main()
