"""Operations on a real store and real processes: /readyz and /metrics, JSON logs with the
request id, backup + restore into a fresh data directory, and scheduler leader election
between two `provisioner scheduler` processes (the standby takes over after a SIGKILL)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Role
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.domain.states import RequestState
from provisioner.store.db import Store, migrate
from provisioner.store.models.jobs import JobStep
from provisioner.store.models.letters import Letter
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    audit as audit_repo,
    jobs as jobs_repo,
    leases as leases_repo,
    requests as requests_repo,
)
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab


def _settings(lab: Settings, data: Path) -> Settings:
    return Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                    secret_key="ops-" + "o" * 32)


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PROVISIONER_DATA_DIR=str(settings.data_dir),
               PROVISIONER_LAB_PATH=str(settings.lab_dir),
               PROVISIONER_SECRET_KEY=settings.secret_key, **extra)
    return env


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner.cli", *args], env=_env(settings),
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)


def test_readyz_metrics_and_request_ids(lab: Settings, tmp_path: Path) -> None:
    settings = _settings(lab, tmp_path / "data")
    services = build_container(settings)
    app = serve_app(services, run_worker=True, run_scheduler=False)
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["store"]["ok"] and body["worker"] == {"ok": True, "mode": "inline"}
        assert body["migrations"]["current"] == body["migrations"]["expected"]
        # /metrics is not public by default: the technical team's bearer token reads it.
        tech = add_user(services.store, "ops-tech", Role.TECHNICAL, None)
        metrics = client.get("/metrics", headers={"X-Request-ID": "req-abc",
                                                  "Authorization": f"Bearer {tech}"})
        assert metrics.status_code == 200, metrics.text
        assert metrics.headers["x-request-id"] == "req-abc"
        text = metrics.text
        assert 'provisioner_jobs{state="queued"} 0.0' in text
        assert "provisioner_step_duration_seconds" in text
        assert "provisioner_sla_overdue_requests" in text
        assert "provisioner_liveness_checks_total" in text
        assert len(client.get("/healthz").headers["x-request-id"]) == 16
    # Without a running worker the node is not ready, and says why.
    services.worker.stop()
    with TestClient(serve_app(services, run_worker=False, run_scheduler=False)) as c:
        services.worker._pool.clear()  # the stopped threads are gone; nothing runs jobs here
        not_ready = c.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["worker"]["ok"] is False
    services.store.dispose()


def _seed(settings: Settings) -> tuple[int, bytes]:
    """A request with a job whose step has a log, and an issued letter with its PDF file."""
    migrate(settings.store_url)
    store = Store(settings.store_url)
    pdf = b"%PDF-1.7 backup test " + os.urandom(64)
    path = settings.letters_dir / "2026" / "letter-1.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(pdf)
    with store.session() as s:
        req = Request(ticket="SUB-20260101-001", label="cadang", zone="demokab.go.id",
                      fqdn="cadang.demokab.go.id", agency="Dinas", purpose="p",
                      contact_name="c", contact_email="c@x.id", letter_number="1",
                      letter_date=date(2026, 1, 1), hosting=False,
                      state=RequestState.LETTER_ISSUED, created_by="opd")
        s.add(req)
        s.flush()
        job = jobs_repo.create_job(s, request_id=req.id, kind="provision", lock_key="site:x",
                              steps=["dns", "letter"], actor="net")
        job.state = JobState.DONE
        for st in job.steps:
            st.status, st.log = StepStatus.DONE, f"{st.name}: log line kept\n"
            st.run_dir = str(settings.runs_dir / f"job-{job.id}" / st.name)
        (settings.runs_dir / f"job-{job.id}" / "dns").mkdir(parents=True)
        (settings.runs_dir / f"job-{job.id}" / "dns" / "stdout").write_text("PLAY RECAP ok=3")
        s.add(Letter(request_id=req.id, number="000/001/X/I/2026", year=2026, serial=1,
                     pdf_path=str(path), sha256=hashlib.sha256(pdf).hexdigest(),
                     verification_code="ABC123"))
        audit_repo.record_event(s, actor="net", action="request:approved", request_id=req.id)
        request_id = req.id
    store.dispose()
    return request_id, pdf


def test_backup_restore_into_a_fresh_data_dir_brings_everything_back(
    lab: Settings, tmp_path: Path
) -> None:
    old = _settings(lab, tmp_path / "old")
    request_id, pdf = _seed(old)
    archive = tmp_path / "backup.tar.gz"
    made = _cli(old, "backup", str(archive))
    assert made.returncode == 0, made.stderr + made.stdout
    fresh = _settings(lab, tmp_path / "fresh")
    restored = _cli(fresh, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr + restored.stdout

    store = Store(fresh.store_url)
    with store.read() as s:
        req = requests_repo.get_request(s, request_id)
        letter = s.scalar(select(Letter).where(Letter.request_id == request_id))
        steps = list(s.scalars(select(JobStep).order_by(JobStep.position)))
        events = audit_repo.events_for_request(s, request_id)
        assert req.ticket == "SUB-20260101-001" and req.state == RequestState.LETTER_ISSUED
        assert letter is not None and letter.pdf_path.startswith(str(fresh.data_dir))
        assert Path(letter.pdf_path).read_bytes() == pdf
        assert hashlib.sha256(Path(letter.pdf_path).read_bytes()).hexdigest() == letter.sha256
        assert [st.log for st in steps] == ["dns: log line kept\n", "letter: log line kept\n"]
        assert steps[0].run_dir and (Path(steps[0].run_dir) / "stdout").read_text() == (
            "PLAY RECAP ok=3")
        assert [e.action for e in events] == ["request:approved"]
    store.dispose()


def test_two_schedulers_exactly_one_leader_and_the_standby_takes_over(
    lab: Settings, tmp_path: Path
) -> None:
    settings = _settings(lab, tmp_path / "data")
    migrate(settings.store_url)
    store = Store(settings.store_url)
    env = _env(settings, PROVISIONER_SCHEDULER_LEASE_SECONDS="3", PROVISIONER_LOG_JSON="true")
    procs = [
        subprocess.Popen([sys.executable, "-m", "provisioner.cli", "scheduler"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
        for _ in range(2)
    ]
    try:
        def holder(timeout: float) -> str | None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with store.read() as s:
                    h = leases_repo.lease_holder(s, "scheduler")
                if h:
                    return h
                time.sleep(0.2)
            return None

        first = holder(60)
        assert first, "no scheduler became leader"
        pids = {p.pid: p for p in procs}
        leader_pid = int(first.split(":")[1])
        assert leader_pid in pids
        # The leader keeps its lease while it lives: still the same holder after 2 lease lives.
        time.sleep(6)
        assert holder(1) == first
        pids[leader_pid].send_signal(signal.SIGKILL)
        pids[leader_pid].wait(10)
        deadline = time.monotonic() + 15
        second = first
        while second == first and time.monotonic() < deadline:
            time.sleep(0.3)
            second = holder(1)
        standby = next(p for pid, p in pids.items() if pid != leader_pid)
        assert second and second != first and int(second.split(":")[1]) == standby.pid
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stdout:
                p.stdout.close()
        store.dispose()
