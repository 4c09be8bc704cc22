"""A name server made unreachable during a job (BIND on ns1 stopped inside its host): the
job waits and retries with back-off, then fails naming the server and the reason; the
secondary keeps answering for every other site meanwhile; once ns1 is back (lab_up
restarts just the dead daemon) a retry completes the job from the failed step."""

from __future__ import annotations

import secrets
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from provisioner.adapters.ssh import SshClient
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.jobs import JobState
from provisioner.domain.requests import RequestDraft
from provisioner.domain.states import RequestState
from provisioner.lab import lab_up
from provisioner.store import repositories as repo
from provisioner.wiring import build_services

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
    services = build_services(settings)
    label = f"jobs-{secrets.token_hex(3)}"
    req = services.requests.submit(
        RequestDraft(label=label, agency="Dinas Kominfo", purpose="Uji gangguan ns1",
                     contact_name="Andi", contact_email="andi@kominfo.demokab.go.id",
                     letter_number="000/OUTAGE", letter_date=date.today(), hosting=False,
                     target_address="127.0.2.12"),
        Actor("opd", Role.OPD, "Dinas Kominfo"),
    )
    job_id = services.requests.approve(req.id, NET).id
    with services.store.session() as s:
        assert repo.claim_job(s, job_id, "outage-test")
    try:
        with SshClient("127.0.2.53", key=settings.ssh_key_path,
                       known_hosts=settings.known_hosts_path) as ns1:
            ns1.run("kill $(pidof named)")
        time.sleep(0.5)
        started = time.monotonic()
        outcome = services.runner.run(job_id)
        waited = time.monotonic() - started
        # The secondary still answers for the zone while the primary is away.
        assert dig("127.0.2.54", "ns1.demokab.go.id") == ["127.0.2.53"]
    finally:
        lab_up(settings)  # restarts just the dead named on ns1
    assert outcome == JobState.FAILED
    with services.store.read() as s:
        job = repo.get_job(s, job_id)
        dns_step = job.steps[0]
        failed = repo.get_request(s, req.id)
        assert failed.state == RequestState.FAILED and failed.failure_step == "dns"
        assert failed.failure_server and "127.0.2.53" in failed.failure_server + (job.error or "")
        assert failed.failure_reason
        assert dns_step.log.count("retrying in") >= 2, dns_step.log  # waited, backed off
    assert waited >= 3, waited  # it waited through the back-off before giving up

    services.requests.retry(job_id, Actor("tech", Role.TECHNICAL, None))
    with services.store.session() as s:
        assert repo.claim_job(s, job_id, "outage-test")
    try:
        assert services.runner.run(job_id) == JobState.DONE
        assert dig("127.0.2.53", f"{label}.demokab.go.id") == ["127.0.2.12"]
        with services.store.read() as s:
            assert repo.get_request(s, req.id).state == RequestState.LETTER_ISSUED
    finally:
        services.runner.undo(job_id)
        services.store.dispose()
