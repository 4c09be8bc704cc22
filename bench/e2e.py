"""Whole path on the lab: median seconds from approval to live (letter issued), next to the
raw cost of each hardware step measured in the same run — what our layers cost.

    .venv/bin/python bench/e2e.py [--runs 3]        (the lab must be up: provisioner lab up)
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/dns.py would shadow dnspython's `dns` package: look in bench/ last, for _common only.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]

import argparse  # noqa: E402
import secrets  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from _common import ANSIBLE_RUN, NET, med, print_raw, raw_steps, raw_sum, submit  # noqa: E402

from provisioner.bootstrap.container import build_container  # noqa: E402
from provisioner.config import PROJECT_ROOT, Settings  # noqa: E402


def whole_path(settings: Settings, runs: int) -> tuple[list[float], dict[str, list[float]]]:
    services = build_container(settings)
    totals: list[float] = []
    per_step: dict[str, list[float]] = {}
    for _ in range(runs):
        label = f"bench-{secrets.token_hex(3)}"
        request_id = submit(services, label)
        start = time.perf_counter()
        job = services.decisions.approve(request_id, NET).job
        assert job is not None
        while services.worker.run_once() is not None:
            pass
        totals.append(time.perf_counter() - start)
        done = services.queries.job(job.id, NET)
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
    raw_total = raw_sum(raw)
    print(f"\nwhole path, approval → letter issued ({args.runs} runs)")
    print(f"  median {med(totals):7.2f} s   (min {min(totals):.2f}, max {max(totals):.2f})")
    for name, values in per_step.items():
        print(f"    step {name:<12} median {med(values) * 1000:8.0f} ms")
    print_raw(raw)
    print(
        f"\n  sum of raw steps without Ansible: {raw_total * 1000:.0f} ms;"
        f" ratio whole path / raw sum: {med(totals) / raw_total:.0f}x;"
        f" one Ansible run: {med(raw[ANSIBLE_RUN]):.2f} s"
    )


if __name__ == "__main__":
    main()
