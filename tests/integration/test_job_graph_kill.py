"""A crash with two branches of the job graph in flight loses nothing and repeats nothing:
one hosting job (with its certificate) on the real lab, its worker process (`provisioner
worker`, inline dispatch, SQLite) killed with SIGKILL while at least two of the steps that
run side by side after the DNS records (database, site_dev, cert_prod) are running, then
restarted. The job reaches live; every step is done exactly once in the journal, and the
servers hold one DNS record per name, one vhost per web host, one database, one
certificate and one letter number. Only the worker is killed: no lab server is stopped."""

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

from provisioner.bootstrap.container import Container, build_container
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.jobs import StepStatus
from provisioner.domain.requests import RequestDraft
from provisioner.domain.states import RequestState
from provisioner.store.models.audit import Event
from provisioner.store.models.counters import Counter
from provisioner.store.models.letters import Letter
from provisioner.store.repositories import jobs as jobs_repo, requests as requests_repo
from tests.worker_support import dig_a, ssh, start_worker

pytestmark = pytest.mark.lab

BRANCHES = ("database", "site_dev", "cert_prod")
WORKER_ID = "graph-kill-worker"
WEB_DEV, WEB_PROD, DB = "127.0.2.11", "127.0.2.12", "127.0.2.30"


def statuses(services: Container, job_id: int) -> dict[str, str]:
    with services.store.read() as s:
        return {st.name: st.status for st in jobs_repo.get_job(s, job_id).steps}


def kill_with_branches_in_flight(
    services: Container, job_id: int, proc: subprocess.Popen[bytes]
) -> list[str] | None:
    """SIGKILL the worker once two branches run at once; the branches that were running."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = statuses(services, job_id)
        running = [n for n in BRANCHES if now.get(n) == StepStatus.RUNNING]
        if len(running) >= 2:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            # The journal after the kill, not the snapshot before it: a third branch may
            # have started in between (it then runs twice, rightly, and must be counted).
            after = statuses(services, job_id)
            return [n for n in after if after[n] == StepStatus.RUNNING]
        if now.get("checks_dev") != StepStatus.PLANNED:
            return None  # the branches were past before the watcher saw two at once
        time.sleep(0.02)
    return None


def test_sigkill_with_two_branches_in_flight_resumes_to_live_doing_nothing_twice(
    lab: Settings, tmp_path: Path
) -> None:
    # A short data dir: ansible's ssh ControlPath lives under it and must stay < 108 bytes.
    data = Path(tempfile.mkdtemp(prefix="gk-"))
    settings = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                        secret_key="graph-kill-" + "g" * 32, worker_enabled=False)
    services = build_container(settings)
    label = f"graf-{secrets.token_hex(3)}"
    fqdn, dev_fqdn = f"{label}.demokab.go.id", f"{label}.dev.demokab.go.id"
    req = services.intake.submit(
        RequestDraft(label=label, agency="Dinas Kesehatan", purpose="Uji graf pekerjaan",
                     contact_name="Siti", contact_email="siti@dinkes.demokab.go.id",
                     letter_number="400/GRAF/2026", letter_date=date.today(), hosting=True,
                     repo="sample-app", branch="main"),
        Actor("opd", Role.OPD, "Dinas Kesehatan"),
    )
    job_id = services.decisions.approve(req.id, Actor("net", Role.NETWORK, None)).job.id
    assert "cert_prod" in statuses(services, job_id), "the lab's plan names a certificate"
    log = tmp_path / "worker.log"
    proc = start_worker(settings, log, WORKER_ID)
    try:
        running = kill_with_branches_in_flight(services, job_id, proc)
        assert running, ("never two branches at once", statuses(services, job_id))
        proc = start_worker(settings, log, WORKER_ID)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with services.store.read() as s:
                r = requests_repo.get_request(s, req.id)
            if r.state in (RequestState.LETTER_ISSUED, RequestState.FAILED):
                break
            time.sleep(0.3)
        assert r.state == RequestState.LETTER_ISSUED, (
            r.failure_step, r.failure_reason, log.read_text()[-3000:])

        with services.store.read() as s:
            job = jobs_repo.get_job(s, job_id)
            order = [st.name for st in job.steps]
            attempts = {st.name: st.attempts for st in job.steps}
            done = list(s.scalars(select(Event.action).where(
                Event.job_id == job_id, Event.action.like("step:%:done"))))
            letters = s.scalar(select(func.count()).select_from(Letter)
                               .where(Letter.request_id == req.id))
            serials = list(s.scalars(select(Counter.value).where(Counter.name.like("letter%"))))
            db_name = requests_repo.get_request(s, req.id).db_name
        # Each step done exactly once; a step that was not running at the kill ran once.
        assert sorted(done) == sorted(f"step:{n}:done" for n in order), done
        assert all(attempts[n] == 1 for n in order if n not in running), attempts
        assert letters == 1 and serials == [1], (letters, serials)
        for server in ("127.0.2.53", "127.0.2.54"):
            assert dig_a(server, fqdn) == ["127.0.2.12"]
            assert dig_a(server, dev_fqdn) == ["127.0.2.11"]
        for address, name in ((WEB_PROD, fqdn), (WEB_DEV, dev_fqdn)):
            enabled = f"ls /etc/apache2/sites-enabled | grep -cx '{name}.conf'"
            count = ssh(settings, address, enabled)
            assert count == "1", (address, count)
        assert ssh(settings, WEB_PROD, f"ls /etc/letsencrypt/live | grep -c '^{fqdn}'") == "1"
        count = ssh(settings, DB, "mysql -N -e \"SELECT COUNT(*) FROM information_schema.schemata "
                                  f"WHERE schema_name='{db_name}'\"")
        assert count == "1"
        print(f"\nkilled with {running} running; attempts {attempts}")
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
