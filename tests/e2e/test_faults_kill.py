"""Proof that a crash loses nothing: one hosting job on the real lab, its worker process
(`provisioner worker`, inline dispatch, SQLite) killed with SIGKILL at chosen points of the
whole path and restarted each time. After the last restart the job reaches live with
exactly one DNS record per name, one vhost, one database and one letter number consumed.

Kill points covered (representative, to fit the time budget): in the middle of `dns`
(step running), at the boundary after `database` (step done), in the middle of `site_dev`
(playbook running), in the middle of `checks_dev`, in the middle of `site_prod`. A point the
job has already passed when the watcher sees it (a step faster than the 50 ms poll) is
reported, and at least four kills must land."""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from provisioner.bootstrap.container import build_container
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.jobs import JobState
from provisioner.domain.requests import RequestDraft
from provisioner.domain.states import RequestState
from provisioner.store.models.audit import Event
from provisioner.store.models.counters import Counter
from provisioner.store.models.letters import Letter
from provisioner.store.repositories import jobs as jobs_repo, requests as requests_repo
from tests.worker_support import dig_a, ssh, start_worker

pytestmark = pytest.mark.lab

KILL_POINTS = [
    ("dns", "running"),
    ("database", "done"),
    ("site_dev", "running"),
    ("checks_dev", "running"),
    ("site_prod", "running"),
]
WORKER_ID = "fault-worker"


def test_sigkill_at_step_boundaries_and_mid_step_loses_nothing(
    lab: Settings, tmp_path: Path
) -> None:
    # A short data dir: ansible's ssh ControlPath lives under it and must stay < 108 bytes.
    data = Path(tempfile.mkdtemp(prefix="jf-"))
    settings = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                        secret_key="faults-" + "f" * 32, worker_enabled=False)
    services = build_container(settings)
    label = f"jobs-{secrets.token_hex(3)}"
    fqdn, dev_fqdn = f"{label}.demokab.go.id", f"{label}.dev.demokab.go.id"
    req = services.intake.submit(
        RequestDraft(label=label, agency="Dinas Kesehatan", purpose="Uji gangguan pekerja",
                     contact_name="Siti", contact_email="siti@dinkes.demokab.go.id",
                     letter_number="400/FAULT/2026", letter_date=date.today(), hosting=True,
                     repo="sample-app", branch="main"),
        Actor("opd", Role.OPD, "Dinas Kesehatan"),
    )
    job_id = services.decisions.approve(req.id, Actor("net", Role.NETWORK, None)).job.id
    log = tmp_path / "worker.log"
    killed: list[str] = []
    missed: list[str] = []
    proc = start_worker(settings, log, WORKER_ID)
    try:
        for step, status in KILL_POINTS:
            deadline = time.monotonic() + 150
            hit = False
            while time.monotonic() < deadline:
                with services.store.read() as s:
                    job = jobs_repo.get_job(s, job_id)
                    by_name = {st.name: st.status for st in job.steps}
                    order = [st.name for st in job.steps]
                if by_name[step] == status:
                    hit = True
                    break
                later = order[order.index(step) + 1:]
                if by_name[step] == "done" and any(by_name[n] != "planned" for n in later):
                    break  # passed this point between two polls
                if job.state in (JobState.FAILED, JobState.DONE):
                    break
                time.sleep(0.02)  # site_dev and site_prod run ~0.5 s each
            if hit:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                killed.append(f"{step}:{status}")
                proc = start_worker(settings, log, WORKER_ID)
            else:
                missed.append(f"{step}:{status}")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with services.store.read() as s:
                r = requests_repo.get_request(s, req.id)
                state = r.state
            if state in (RequestState.LETTER_ISSUED, RequestState.FAILED):
                break
            time.sleep(0.5)
        assert state == RequestState.LETTER_ISSUED, (
            r.failure_step, r.failure_server, r.failure_reason, log.read_text()[-3000:])
        assert len(killed) >= 4, (killed, missed)

        # Exactly one DNS record per name, on the primary and the secondary.
        for server in ("127.0.2.53", "127.0.2.54"):
            assert dig_a(server, fqdn) == ["127.0.2.12"]
            assert dig_a(server, dev_fqdn) == ["127.0.2.11"]
        # One vhost on each web server.
        for address, name in (("127.0.2.12", fqdn), ("127.0.2.11", dev_fqdn)):
            enabled = f"ls /etc/apache2/sites-enabled | grep -cx '{name}.conf'"
            count = ssh(settings, address, enabled)
            assert count == "1", (address, count)
        # One database.
        with services.store.read() as s:
            db_name = requests_repo.get_request(s, req.id).db_name
        count = ssh(settings, "127.0.2.30",
                    "mysql -N -e \"SELECT COUNT(*) FROM information_schema.schemata "
                    f"WHERE schema_name='{db_name}'\"")
        assert count == "1"
        # One letter, one letter number consumed; each step done exactly once in the journal.
        with services.store.read() as s:
            letters = s.scalar(select(func.count()).select_from(Letter)
                               .where(Letter.request_id == req.id))
            serials = list(s.scalars(select(Counter.value).where(Counter.name.like("letter%"))))
            done = list(s.scalars(select(Event.action).where(
                Event.job_id == job_id, Event.action.like("step:%:done"))))
        assert letters == 1 and serials == [1], (letters, serials)
        assert sorted(done) == sorted(f"step:{n}:done" for n in order), done
        print(f"\nkilled at {killed}; passed before the watcher saw it: {missed}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        services.runner.undo(job_id)
        services.store.dispose()
        shutil.rmtree(data, ignore_errors=True)
