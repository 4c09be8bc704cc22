"""Whole path on the lab, in one run: approval → live for provisioner's jobs (median and
spread over --runs jobs), the same path done the way an admin would script it by hand
(bench/baseline/: nsupdate, one playbook for the database + dev site, one for production
with certbot, curl checks) over as many runs, interleaved with the jobs, the ratio, and one
bare `ansible-playbook` run of a one-task playbook as the unit of Ansible cost, with both
paths expressed in those units. The raw cost of each hardware step is printed beside them.

    .venv/bin/python bench/e2e.py [--runs 5]        (the lab must be up: provisioner lab up)
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/dns.py would shadow dnspython's `dns` package: look in bench/ last, for _common only.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]

import argparse  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

from _common import NET, med, print_raw, raw_steps, raw_sum, submit  # noqa: E402
from baseline.path import Site, clean_up, forget_stale_account, run_path, unit_run  # noqa: E402

from provisioner.bootstrap.container import Container, build_container  # noqa: E402
from provisioner.config import PROJECT_ROOT, Settings  # noqa: E402


@dataclass
class Figures:
    live: list[float] = field(default_factory=list)  # approval → live (request state)
    letter: list[float] = field(default_factory=list)  # approval → letter issued
    baseline: list[float] = field(default_factory=list)
    unit: list[float] = field(default_factory=list)
    # per step: (start offset from approval, seconds it took)
    steps: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def one_job(services: Container, figures: Figures) -> None:
    label = f"bench-{secrets.token_hex(3)}"
    request_id = submit(services, label)
    wall, start = time.time(), time.perf_counter()
    job = services.decisions.approve(request_id, NET).job
    assert job is not None
    while services.worker.run_once() is not None:
        pass
    figures.letter.append(time.perf_counter() - start)
    done = services.queries.job(job.id, NET)
    assert done.state == "done", f"{label}: {done.error}"
    req = services.queries.get(request_id, NET)
    assert req.live_at is not None
    figures.live.append(req.live_at.timestamp() - wall)
    for step in done.steps:
        if step.started_at and step.finished_at:
            figures.steps.setdefault(step.name, []).append((
                step.started_at.timestamp() - wall,
                (step.finished_at - step.started_at).total_seconds(),
            ))
    services.runner.undo(job.id)


def one_baseline(settings: Settings, home: Path, figures: Figures) -> None:
    site = Site.new(settings)
    try:
        figures.baseline.append(run_path(settings, site, home))
    finally:
        clean_up(settings, site)


def spread(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
    return (f"median {med(values):6.2f} s  (min {min(values):.2f}, p25 {q[0]:.2f}, "
            f"p75 {q[2]:.2f}, max {max(values):.2f}; n={len(values)})")


def report(figures: Figures, raw: dict[str, list[float]], runs: int) -> None:
    job, base, unit = med(figures.live), med(figures.baseline), med(figures.unit)
    print(f"\n1. provisioner: approval → live ({runs} jobs)")
    print(f"   {spread(figures.live)}")
    print(f"   approval → letter issued: {spread(figures.letter)}")
    for name, values in figures.steps.items():
        starts, took = [v[0] for v in values], [v[1] for v in values]
        print(f"     step {name:<12} starts at +{med(starts):5.2f} s, takes {med(took):5.2f} s")
    print(f"\n2. by hand (bench/baseline/: nsupdate, dev.yml, curl, prod.yml + certbot, curl;"
          f" {runs} runs)")
    print(f"   {spread(figures.baseline)}")
    print(f"\n3. ratio provisioner / by hand: {job / base:.2f}  (target ≤ 0.75)")
    print(f"\n4. unit of Ansible cost: one bare ansible-playbook run of a one-task playbook:"
          f" {spread(figures.unit)}")
    print(f"   provisioner approval → live = {job / unit:.1f} units;"
          f" by hand = {base / unit:.1f} units")
    print_raw(raw)
    print(f"   sum of the raw steps without Ansible: {raw_sum(raw) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lab = Settings(data_dir=PROJECT_ROOT / "var")
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="e2e-") as data:
        settings = Settings(data_dir=Path(data), lab_path=lab.lab_dir)
        services = build_container(settings)
        services.runner.warm_up().join()  # what a worker does when it starts
        home = Path(data) / "baseline-ansible"
        home.mkdir()
        raw = raw_steps(settings, 3)
        forget_stale_account(settings)
        for _ in range(args.runs):  # interleaved: a change in the machine's load hits both
            figures.unit.append(unit_run(settings, home))
            one_job(services, figures)
            one_baseline(settings, home, figures)
        services.store.dispose()
    report(figures, raw, args.runs)


if __name__ == "__main__":
    main()
