"""Hosting on the lab, two figures:

1. approval → live production site (DNS, database, vhost + deploy on dev, checks, promote,
   checks) median, next to the sum of the raw hardware steps measured in the same run;
2. N sites (default 20) provisioned concurrently on the same two web hosts by the worker's
   threads: all live, zero failed reloads, and every site that was already live answering
   throughout (polled twice a second during the run).

    .venv/bin/python bench/hosting.py [--runs 3] [--sites 20] [--threads 4]
    (the lab must be up: provisioner lab up)
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
import threading  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402
from _common import ANSIBLE_RUN, NET, med, print_raw, raw_steps, raw_sum, submit  # noqa: E402

from provisioner.bootstrap.container import Container, build_container  # noqa: E402
from provisioner.config import PROJECT_ROOT, Settings  # noqa: E402

TARGET_RATIO = 3.0


# The steps a by-hand path would script as playbooks (see the floor below; cert_prod is
# certbot, which a by-hand path runs too).
ANSIBLE_STEPS = ("database", "site_dev", "site_prod", "tls_prod")


def approval_to_live(services: Container, runs: int) -> tuple[list[float], list[tuple[int, int]]]:
    """Seconds from approval to the production checks passing (the letter after them is not
    counted); the (job, request) ids, kept live for the concurrent part."""
    totals: list[float] = []
    done_ids: list[tuple[int, int]] = []
    for _ in range(runs):
        request_id = submit(services, f"bh-{secrets.token_hex(3)}")
        start = time.perf_counter()
        job = services.decisions.approve(request_id, NET).job
        assert job is not None
        while services.worker.run_once() is not None:
            pass
        elapsed = time.perf_counter() - start
        done = services.queries.job(job.id, NET)
        assert done.state == "done", done.error
        letter = next(s for s in done.steps if s.name == "letter")
        assert letter.finished_at and letter.started_at
        totals.append(elapsed - (letter.finished_at - letter.started_at).total_seconds())
        done_ids.append((job.id, request_id))
    return totals, done_ids


class Poller(threading.Thread):
    """GETs every live site on both web hosts twice a second; counts what did not answer."""

    def __init__(self, sites: list[tuple[str, str]]) -> None:
        super().__init__(daemon=True)
        self.sites = sites  # (address, fqdn); the list grows as sites go live
        self.stop = threading.Event()
        self.requests = 0
        self.failures: list[str] = []
        # A graceful reload closes idle keep-alive connections; a request sent on one at
        # that instant gets no answer and is sent again on a new connection, as browsers do
        # (RFC 9112 §9.3.1). Counted apart: the site itself never stopped answering.
        self.keepalive_retries = 0

    def run(self) -> None:
        with httpx.Client(timeout=5, trust_env=False) as client:
            while not self.stop.is_set():
                for address, fqdn in list(self.sites):
                    url, headers = f"http://{address}/", {"Host": fqdn}
                    try:
                        try:
                            status = client.get(url, headers=headers)
                        except httpx.RemoteProtocolError:
                            self.keepalive_retries += 1
                            status = httpx.get(url, headers=headers, timeout=5, trust_env=False)
                        ok = status.status_code == 200
                        detail = str(status.status_code)
                    except httpx.HTTPError as exc:
                        ok, detail = False, type(exc).__name__
                    self.requests += 1
                    if not ok:
                        self.failures.append(f"{fqdn}@{address}: {detail}")
                self.stop.wait(0.5)


def concurrent_sites(
    services: Container, count: int, earlier: list[tuple[str, str]]
) -> tuple[float, list[int], Poller, list[str]]:
    poller = Poller(list(earlier))
    poller.start()
    services.worker.start()
    start = time.perf_counter()
    labels = [f"bc-{secrets.token_hex(3)}" for _ in range(count)]
    approved = [services.decisions.approve(submit(services, label), NET).job for label in labels]
    jobs = [job.id for job in approved if job is not None]
    pending = dict(zip(jobs, labels, strict=True))
    problems: list[str] = []
    while pending:
        time.sleep(0.5)
        for job_id, label in list(pending.items()):
            job = services.queries.job(job_id, NET)
            if job.state in ("queued", "running"):
                continue
            del pending[job_id]
            if job.state != "done":
                problems.append(f"{label}: {job.error}")
                continue
            # Live now: from here on it must keep answering while the others are added.
            poller.sites += [
                (services.settings.web_prod_address, f"{label}.{services.settings.zone}"),
                (services.settings.web_dev_address, services.settings.dev_fqdn(label)),
            ]
    elapsed = time.perf_counter() - start
    time.sleep(1.0)
    poller.stop.set()
    poller.join()
    services.worker.stop()
    return elapsed, jobs, poller, problems


def steps_took(services: Container, jobs: list[int]) -> dict[str, list[float]]:
    """Seconds each step of these jobs took, by step name (the letter left out)."""
    took: dict[str, list[float]] = {}
    for job_id in jobs:
        for step in services.queries.job(job_id, NET).steps:
            if step.started_at and step.finished_at and step.name != "letter":
                seconds = (step.finished_at - step.started_at).total_seconds()
                took.setdefault(step.name, []).append(seconds)
    return took


def failed_reloads(services: Container, jobs: list[int]) -> list[str]:
    """Steps whose error names a failed configtest or reload (other failures are counted as
    failed jobs)."""
    bad: list[str] = []
    for job_id in jobs:
        for step in services.queries.job(job_id, NET).steps:
            text = (step.error or "").lower()
            if any(word in text for word in ("configtest", "graceful", "reload", "syntax error")):
                bad.append(f"job {job_id} {step.name}: {step.error}")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    lab = Settings(data_dir=PROJECT_ROOT / "var")
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), lab_path=lab.lab_dir,
                            worker_threads=args.threads)
        services = build_container(settings)
        services.runner.warm_up().join()  # what a worker does when it starts
        raw = raw_steps(settings, max(args.runs, 3))
        totals, first = approval_to_live(services, args.runs)
        step_times = steps_took(services, [job_id for job_id, _ in first])
        step_names = list(step_times)
        first_jobs = [job_id for job_id, _ in first]
        earlier = []
        for _, request_id in first:
            req = services.queries.get(request_id, NET)
            earlier += [(settings.web_prod_address, req.fqdn),
                        (settings.web_dev_address, settings.dev_fqdn(req.label))]
        elapsed, jobs, poller, problems = concurrent_sites(services, args.sites, earlier)
        reloads = failed_reloads(services, jobs)
        busy_times = steps_took(services, jobs)
        for job_id in first_jobs + jobs:
            services.runner.undo(job_id)
        services.store.dispose()

    raw_total = raw_sum(raw)
    ansible_run = med(raw[ANSIBLE_RUN])
    print(f"\n1. approval → live production site ({args.runs} runs, until checks_prod passed)")
    print(f"  median {med(totals):7.2f} s   (min {min(totals):.2f}, max {max(totals):.2f})")
    print_raw(raw)
    print(f"  sum of the raw steps without Ansible: {raw_total * 1000:.0f} ms;"
          f" ratio {med(totals) / raw_total:.0f}x")
    # A floor for a by-hand path: the raw steps plus one playbook run for each of these
    # steps of the job, which an admin would script as playbooks (db, dev, prod, and the
    # certificate when the plan names one). provisioner itself runs none of them through
    # Ansible any more. The ACME issuance is not in the raw sum, so the floor is low and
    # the ratio errs against us.
    runs = [name for name in step_names if name in ANSIBLE_STEPS]
    playbooks = len(runs)
    floor = raw_total + playbooks * ansible_run
    print(f"  by-hand floor: raw sum + {playbooks} playbook runs ({', '.join(runs)};"
          f" {ansible_run:.2f} s each): {floor:.2f} s;"
          f" ratio {med(totals) / floor:.1f}x (target ≤ {TARGET_RATIO:.0f}x)")
    print("  steps of the job (median s): "
          + ", ".join(f"{name} {med(step_times[name]):.2f}" for name in step_names))
    print(f"\n2. {args.sites} sites concurrently, {args.threads} worker threads, two web hosts")
    print(f"  all done in {elapsed:.1f} s (target ≤ 60 s); failed jobs: {len(problems)}")
    for line in problems:
        print(f"    {line}")
    # Where the time goes when the jobs share the hosts (waits on a host's locks included).
    print("  steps of the jobs (median / max s): " + ", ".join(
        f"{name} {med(times):.2f}/{max(times):.2f}" for name, times in busy_times.items()))
    print(f"  failed reloads / configtests: {len(reloads)}")
    for line in reloads:
        print(f"    {line}")
    print(f"  live sites polled: {poller.requests} requests, {len(poller.failures)} not answering"
          f" ({poller.keepalive_retries} sent again after a reload closed their keep-alive"
          " connection)")
    for line in poller.failures[:20]:
        print(f"    {line}")


if __name__ == "__main__":
    main()
