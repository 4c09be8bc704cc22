"""A server made unreachable during a job: the job waits and retries with back-off, then
fails naming the server and the reason; after the server returns a retry completes the job
from the failed step; no other site stops answering meanwhile.

- ns1: BIND on ns1 is stopped inside its host (lab_up restarts just the dead daemon); the
  secondary keeps answering for every other site.
- db, web-dev, web-prod: the host stops answering SSH just as the step that needs it starts
  (its sshd is SIGSTOPped, SIGCONT brings it back) — the database step, one SSH exec of
  ~50 ms, is too quick to be caught running, so the db host stops before the job starts; a
  site already live on web-prod and web-dev is fetched over HTTP all along and must keep
  answering."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest

from provisioner.adapters.ssh import SshClient
from provisioner.bootstrap.container import Container, build_container
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.jobs import JobState
from provisioner.domain.requests import RequestDraft
from provisioner.domain.states import RequestState
from provisioner.lab import lab_up
from provisioner.lab.processes import is_alive, load_state
from provisioner.store.repositories import jobs as jobs_repo, requests as requests_repo

pytestmark = pytest.mark.lab
NET = Actor("net", Role.NETWORK, None)


def dig(server: str, name: str) -> list[str]:
    out = subprocess.run(["dig", f"@{server}", name, "A", "+short", "+time=1", "+tries=1"],
                         capture_output=True, text=True)
    return out.stdout.split() if out.returncode == 0 else []


def test_ns1_down_job_backs_off_fails_with_server_then_retry_completes(
    lab: Settings, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", lab_path=lab.lab_dir, environment="lab",
                        secret_key="outage-" + "o" * 32, dns_timeout=1.0,
                        # The DNS adapter backs off by itself (6 tries in ~15 s); the
                        # runner's own back-off would multiply that wait.
                        step_retries=0)
    services = build_container(settings)
    label = f"jobs-{secrets.token_hex(3)}"
    req = services.intake.submit(
        RequestDraft(label=label, agency="Dinas Kominfo", purpose="Uji gangguan ns1",
                     contact_name="Andi", contact_email="andi@kominfo.demokab.go.id",
                     letter_number="000/OUTAGE", letter_date=date.today(), hosting=False,
                     target_address="127.0.2.12"),
        Actor("opd", Role.OPD, "Dinas Kominfo"),
    )
    job_id = services.decisions.approve(req.id, NET).job.id
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "outage-test")
    try:
        with SshClient("127.0.2.53", key=settings.ssh_key_path,
                       known_hosts=settings.known_hosts_path) as ns1:
            ns1.run("kill $(pidof named)")
            # SIGTERM lets named finish what it is doing: wait until it is really gone, or
            # the job's update may still be answered by a named on its way out.
            deadline = time.monotonic() + 15
            while ns1.run("pidof named").rc == 0:
                assert time.monotonic() < deadline, "named on ns1 did not stop"
                time.sleep(0.1)
        started = time.monotonic()
        outcome = services.runner.run(job_id)
        waited = time.monotonic() - started
        # The secondary still answers for the zone while the primary is away.
        assert dig("127.0.2.54", "ns1.demokab.go.id") == ["127.0.2.53"]
    finally:
        lab_up(settings)  # restarts just the dead named on ns1
    with services.store.read() as s:
        logs = [(st.name, st.status, st.log) for st in jobs_repo.get_job(s, job_id).steps]
    assert outcome == JobState.FAILED, logs
    with services.store.read() as s:
        job = jobs_repo.get_job(s, job_id)
        dns_step = job.steps[0]
        failed = requests_repo.get_request(s, req.id)
        assert failed.state == RequestState.FAILED and failed.failure_step == "dns"
        assert failed.failure_server and "127.0.2.53" in failed.failure_server + (job.error or "")
        assert failed.failure_reason
        assert dns_step.log.count("retrying in") >= 2, dns_step.log  # waited, backed off
    assert waited >= 3, waited  # it waited through the back-off before giving up

    services.job_control.retry(job_id, Actor("tech", Role.TECHNICAL, None))
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "outage-test")
    try:
        assert services.runner.run(job_id) == JobState.DONE
        assert dig("127.0.2.53", f"{label}.demokab.go.id") == ["127.0.2.12"]
        with services.store.read() as s:
            assert requests_repo.get_request(s, req.id).state == RequestState.LETTER_ISSUED
    finally:
        services.runner.undo(job_id)
        services.store.dispose()


# --- db, web-dev, web-prod: the host stops answering SSH in the middle of a job -----------

TECH = Actor("tech", Role.TECHNICAL, None)
OPD = Actor("opd", Role.OPD, "Dinas Kominfo")
APP_MARK = "provisioner-sample-app"
# host -> the step that first talks to it
SSH_OUTAGES = [
    pytest.param("db", "database", id="db"),
    pytest.param("web-dev", "site_dev", id="web-dev"),
    pytest.param("web-prod", "site_prod", id="web-prod"),
]
STEP_RETRIES = 2


def hosting_draft(label: str, purpose: str) -> RequestDraft:
    return RequestDraft(label=label, agency="Dinas Kominfo", purpose=purpose,
                        contact_name="Andi", contact_email="andi@kominfo.demokab.go.id",
                        letter_number="000/OUTAGE", letter_date=date.today(), hosting=True,
                        repo="sample-app", branch="main")


def short_settings(lab: Settings, prefix: str, *, step_retries: int = 2,
                   step_retry_backoff: float = 1.0, **over: object) -> Settings:
    # A short data dir: ansible's ssh ControlPath lives under it and must stay < 108 bytes.
    # Its own data dir also means its own ControlMaster sockets: a master opened by another
    # test would carry this test's connections past a host that stopped answering.
    return Settings(data_dir=Path(tempfile.mkdtemp(prefix=prefix)), lab_path=lab.lab_dir,
                    environment="lab", secret_key="outage-" + "o" * 32, worker_enabled=False,
                    step_retries=step_retries, step_retry_backoff=step_retry_backoff,
                    **over)


def serves_app(address: str, fqdn: str) -> bool:
    try:
        page = httpx.get(f"http://{address}/", headers={"Host": fqdn}, timeout=3)
    except httpx.HTTPError:
        return False
    return page.status_code == 200 and APP_MARK in page.text


def run_claimed(services: Container, job_id: int) -> JobState:
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "outage-test")
    return services.runner.run(job_id)


def job_error(services: Container, job_id: int) -> str | None:
    with services.store.read() as s:
        return jobs_repo.get_job(s, job_id).error


@contextmanager
def ssh_unreachable(lab: Settings, host: str) -> Iterator[None]:
    """The host stops answering SSH: its sshd (PID 1 of the host's namespace) is stopped
    with SIGSTOP, so a new connection hangs in the banner exchange and times out exactly as
    for a host that went away, while Apache/MariaDB inside keep serving. SIGCONT brings it
    back; nothing is restarted."""
    process = load_state(lab.lab_dir / "state.json")[host]
    assert is_alive(process.pid1, process.pid1_start), f"{host} is not running"
    os.kill(process.pid1, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid1, signal.SIGCONT)


@pytest.fixture(scope="module")
def live_site(lab: Settings) -> Iterator[tuple[str, str]]:
    """A site already live (prod on web-prod, dev on web-dev) that must keep answering."""
    settings = short_settings(lab, "ol-")
    services = build_container(settings)
    label = f"live-{secrets.token_hex(3)}"
    req = services.intake.submit(hosting_draft(label, "Situs yang sudah tayang"), OPD)
    job_id = services.decisions.approve(req.id, NET).job.id
    try:
        assert run_claimed(services, job_id) == JobState.DONE, job_error(services, job_id)
        fqdn, dev_fqdn = settings.prod_fqdn(label), settings.dev_fqdn(label)
        assert serves_app("127.0.2.12", fqdn) and serves_app("127.0.2.11", dev_fqdn)
        yield fqdn, dev_fqdn
    finally:
        services.runner.undo(job_id)
        services.store.dispose()
        shutil.rmtree(settings.data_dir, ignore_errors=True)


@pytest.mark.parametrize(("host", "step"), SSH_OUTAGES)
def test_host_unreachable_job_backs_off_fails_with_host_then_retry_completes(
    lab: Settings, live_site: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
    host: str, step: str,
) -> None:
    # Small back-off for the test: the runner retries twice (0.5 s, then 1 s) and each try
    # gives up on the silent host after ANSIBLE_TIMEOUT seconds without ssh's own retries.
    monkeypatch.setenv("ANSIBLE_TIMEOUT", "4")
    monkeypatch.setenv("ANSIBLE_SSH_RETRIES", "0")
    # Plans without a certificate: cert_prod (right after dns) would be the first step to
    # talk to web-prod.
    settings = short_settings(lab, "oh-", step_retries=STEP_RETRIES, step_retry_backoff=0.5,
                              acme_directory_url="")
    services = build_container(settings)
    label = f"jobs-{secrets.token_hex(3)}"
    req = services.intake.submit(hosting_draft(label, f"Uji gangguan {host}"), OPD)
    job_id = services.decisions.approve(req.id, NET).job.id
    outcome: list[JobState] = []
    live_prod, live_dev = live_site
    down_answers: list[bool] = []
    try:
        worker = threading.Thread(target=lambda: outcome.append(run_claimed(services, job_id)))
        # Each step is over in less time than the test takes to see it running (site_prod
        # in ~0.4 s, over one SSH connection the outage would not touch): the host stops
        # answering before the job starts, and the first step that talks to it meets that.
        with ssh_unreachable(lab, host):
            worker.start()
            started = time.monotonic()
            while worker.is_alive() and time.monotonic() - started < 90:
                # No other site stops answering while the host is away.
                down_answers.append(serves_app("127.0.2.12", live_prod)
                                    and serves_app("127.0.2.11", live_dev))
                worker.join(1)
            waited = time.monotonic() - started
        worker.join(30)
        assert outcome == [JobState.FAILED], outcome
        with services.store.read() as s:
            job = jobs_repo.get_job(s, job_id)
            failed_step = next(st for st in job.steps if st.name == step)
            failed = requests_repo.get_request(s, req.id)
            assert failed.state == RequestState.FAILED and failed.failure_step == step
            assert failed.failure_server == host and host in (job.error or "")
            # The reason: ssh's own words, or (a no_log task's result is censored whole)
            # the adapter's "unreachable".
            reason = (failed.failure_reason or "").lower()
            assert any(w in reason for w in ("timed out", "unreachable")), reason
            # It waited and backed off before giving up.
            assert failed_step.log.count("retrying in") == STEP_RETRIES, failed_step.log
        assert waited >= 0.5 + 1.0, waited
        assert down_answers and all(down_answers), down_answers

        # The host is back: a retry resumes at the failed step and completes the job.
        services.job_control.retry(job_id, TECH)
        assert run_claimed(services, job_id) == JobState.DONE, job_error(services, job_id)
        with services.store.read() as s:
            assert requests_repo.get_request(s, req.id).state == RequestState.LETTER_ISSUED
        assert serves_app("127.0.2.12", settings.prod_fqdn(label))
        assert serves_app("127.0.2.12", live_prod) and serves_app("127.0.2.11", live_dev)
    finally:
        services.runner.undo(job_id)
        services.store.dispose()
        shutil.rmtree(settings.data_dir, ignore_errors=True)
