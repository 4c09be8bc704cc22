"""Scale beyond one machine, proven on the machine's real PostgreSQL: three `provisioner
worker` processes (procrastinate) run 30 DNS-only jobs through the real ns1/ns2; one worker
is killed with SIGKILL in the middle of a job. Every job completes exactly once — the
journal says so (one `done` per step, one `job:done` per job, letter serials 1..30 without
gap or repeat) and so do the servers (one A record per name on ns1)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from provisioner.bootstrap.container import build_container
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.domain.requests import RequestDraft
from provisioner.store.models.audit import Event
from provisioner.store.models.jobs import Job, JobStep
from provisioner.store.models.letters import Letter

pytestmark = pytest.mark.lab

PG = "postgresql://postgres@127.0.0.1:5432"
N_JOBS = 30
OPD = Actor("opd-cluster", Role.OPD, "Dinas Kominfo")
NET = Actor("net-cluster", Role.NETWORK, None)


def _worker_env(settings: Settings, worker_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PROVISIONER_DATA_DIR=str(settings.data_dir),
        PROVISIONER_LAB_PATH=str(settings.lab_dir),
        PROVISIONER_DATABASE_URL=settings.store_url,
        PROVISIONER_DISPATCH="procrastinate",
        PROVISIONER_WORKER_ID=worker_id,
        PROVISIONER_SECRET_KEY=settings.secret_key,
        PROVISIONER_JOB_HEARTBEAT_SECONDS="1",
        PROVISIONER_JOB_STALE_SECONDS="5",
        PROVISIONER_LOG_JSON="true",
    )
    return env


def start_worker(settings: Settings, worker_id: str, log_dir: Path) -> subprocess.Popen[bytes]:
    with (log_dir / f"{worker_id}.log").open("wb") as out:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "provisioner.cli", "worker"],
            env=_worker_env(settings, worker_id),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )


def dig_a(name: str) -> list[str]:
    # +tries: other suites share ns1 and may restart it; an answer is what we compare.
    out = subprocess.run(
        ["dig", "@127.0.2.53", name, "A", "+short", "+time=2", "+tries=4"],
        capture_output=True, text=True, check=True,
    )
    return [line for line in out.stdout.split() if line]


@pytest.fixture
def cluster(lab: Settings, tmp_path: Path):
    db = f"prov_jobs_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    settings = Settings(
        data_dir=tmp_path / "data",
        lab_path=lab.lab_dir,
        environment="lab",
        secret_key="cluster-" + "k" * 32,
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
        dispatch="procrastinate",
        job_heartbeat_seconds=1,
        job_stale_seconds=5,
    )
    services = build_container(settings)  # migrates + installs procrastinate's schema once
    workers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        yield settings, services, workers, tmp_path
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with services.store.read() as s:
            job_ids = list(s.scalars(select(Job.id)))
        for job_id in job_ids:  # take the records back off the name servers
            services.runner.undo(job_id)
        services.store.dispose()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def test_three_workers_thirty_jobs_one_killed_every_job_exactly_once(cluster) -> None:
    settings, services, workers, tmp_path = cluster
    for wid in ("w1", "w2", "w3"):
        workers[wid] = start_worker(settings, wid, tmp_path)

    tag = secrets.token_hex(2)
    labels = [f"jobs-{tag}-{i:02d}" for i in range(N_JOBS)]
    request_ids = []
    for label in labels:
        req = services.intake.submit(
            RequestDraft(
                label=label, agency="Dinas Kominfo", purpose="Uji klaster pekerja",
                contact_name="Andi", contact_email="andi@kominfo.demokab.go.id",
                letter_number=f"000/{label}", letter_date=date.today(), hosting=False,
                target_address="127.0.2.12",
            ),
            OPD,
        )
        request_ids.append(req.id)
    started = time.monotonic()
    job_ids = [services.decisions.approve(rid, NET).job.id for rid in request_ids]

    # Kill w2 with SIGKILL while it is in the middle of a job (a step running).
    victim_job = None
    deadline = time.monotonic() + 60
    while victim_job is None and time.monotonic() < deadline:
        with services.store.read() as s:
            victim_job = s.scalar(
                select(JobStep.job_id)
                .join(Job, Job.id == JobStep.job_id)
                .where(Job.claimed_by == "w2", Job.state == JobState.RUNNING,
                       JobStep.status == StepStatus.RUNNING)
                .limit(1)
            )
        if victim_job is None:
            time.sleep(0.05)
    assert victim_job is not None, "w2 never ran a job: " + (tmp_path / "w2.log").read_text()
    workers["w2"].send_signal(signal.SIGKILL)
    workers["w2"].wait(10)

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with services.store.read() as s:
            states = Counter(s.scalars(select(Job.state).where(Job.id.in_(job_ids))))
        if states.get(JobState.DONE, 0) == N_JOBS or states.get(JobState.FAILED):
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    logs = {w: (tmp_path / f"{w}.log").read_text()[-3000:] for w in workers}
    assert states.get(JobState.DONE, 0) == N_JOBS, (states, logs)

    with services.store.read() as s:
        done_events = Counter(
            (e.job_id, e.action)
            for e in s.scalars(select(Event).where(Event.job_id.in_(job_ids)))
            if e.action.endswith(":done")
        )
        letters = list(s.scalars(select(Letter).where(Letter.request_id.in_(request_ids))))
        victim = s.get(Job, victim_job)
        assert victim is not None
        victim_runs = list(s.scalars(select(Event.actor).where(
            Event.job_id == victim_job, Event.action == "job:run")))
    # The journal: every step of every job done exactly once, every job finished once.
    for job_id in job_ids:
        assert done_events[(job_id, "job:done")] == 1, job_id
        assert done_events[(job_id, "step:dns:done")] == 1, job_id
        assert done_events[(job_id, "step:letter:done")] == 1, job_id
    # The killed worker's job was taken over by a live worker and resumed.
    assert victim.claimed_by in {"w1", "w3"} and victim_runs[0] == "w2", victim_runs
    # One letter per request; serials 1..30 with no gap and no repeat.
    assert sorted(letter.request_id for letter in letters) == sorted(request_ids)
    assert sorted(letter.serial for letter in letters) == list(range(1, N_JOBS + 1))
    # The servers: exactly one A record per name on the primary.
    for label in labels:
        assert dig_a(f"{label}.demokab.go.id") == ["127.0.2.12"], label
    # Work was spread: the two survivors and the victim all ran jobs.
    with services.store.read() as s:
        runners = Counter(s.scalars(select(Event.actor).where(
            Event.job_id.in_(job_ids), Event.action == "job:done")))
    assert set(runners) <= {"w1", "w2", "w3"} and len(runners) >= 2, runners
    print(f"\n30 jobs on 3 workers (one SIGKILLed) in {elapsed:.1f}s; done by {dict(runners)}")
