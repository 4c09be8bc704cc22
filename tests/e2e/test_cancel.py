"""Cancel a job while its site step's script runs on web-dev (the SSH channel closed by the
cancel callback) on the real lab.

To land the cancel at the worst moment every time, the test holds web-dev's web lock (the
one every vhost change takes) while the job reaches `site_dev`: the vhost role's apply
script is then started on web-dev and waiting for the lock when the job is cancelled. After the lock
is released the servers must be consistent — `apache2ctl configtest` passes and the site's
vhost is either absent or complete (config, enabled link, PHP-FPM pool, loaded by Apache) —
and a retry of the cancelled job, then its undo, both work."""

from __future__ import annotations

import secrets
import shlex
import shutil
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
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.domain.requests import RequestDraft
from provisioner.domain.states import RequestState
from provisioner.store.repositories import (
    audit as audit_repo,
    jobs as jobs_repo,
    requests as requests_repo,
)

pytestmark = pytest.mark.lab

OPD = Actor("opd", Role.OPD, "Dinas Kominfo")
NET = Actor("net", Role.NETWORK, None)
TECH = Actor("tech", Role.TECHNICAL, None)
WEB_DEV = "127.0.2.11"
WEB_LOCK = "/run/lock/provisioner-web.lock"  # vhost role: vhost_lock


def ssh(settings: Settings, address: str, command: str) -> tuple[int, str]:
    with SshClient(address, key=settings.ssh_key_path,
                   known_hosts=settings.known_hosts_path) as client:
        result = client.run(command)
        return result.rc, (result.stdout + result.stderr).strip()


@contextmanager
def web_lock_held(settings: Settings, address: str) -> Iterator[None]:
    """Hold the host's web lock until the block ends (at most 120 s, whatever happens)."""
    flag = f"/run/cancel-test-{secrets.token_hex(4)}"
    hold = f"while [ -e {flag} ]; do sleep 0.1; done"
    rc, out = ssh(settings, address,
                  f"touch {flag} && (setsid timeout 120 flock {WEB_LOCK} sh -c "
                  f"{shlex.quote(hold)} </dev/null >/dev/null 2>&1 &)")
    assert rc == 0, out
    try:
        deadline = time.monotonic() + 30
        while ssh(settings, address, f"flock -n {WEB_LOCK} true")[0] == 0:
            assert time.monotonic() < deadline, "the web lock was never taken"
            time.sleep(0.1)
        yield
    finally:
        ssh(settings, address, f"rm -f {flag}")


def waiting_for_lock(settings: Settings) -> bool:
    """Is a script of the vhost role's waiting on web-dev for the web lock? (apply.sh and
    web-reload.sh wait with exactly this command; the test's holder runs another.)"""
    return ssh(settings, WEB_DEV, "pgrep -fx 'flock -w 300 9'")[0] == 0


def wait_until(what: str, check: object, timeout: float, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(interval)


def vhost_state(settings: Settings, address: str, fqdn: str) -> dict[str, bool]:
    """Which pieces of the site's web configuration are on the host."""
    checks = {
        "conf": f"test -f /etc/apache2/sites-available/{fqdn}.conf",
        "enabled": f"test -L /etc/apache2/sites-enabled/{fqdn}.conf",
        "pool": f"ls /etc/php/*/fpm/pool.d/{fqdn}.conf",
        "tree": f"test -d /var/www/{fqdn}",
        # Apache opens a vhost's own logs when it loads it: this one is new, so it exists
        # only if Apache has loaded the site's configuration.
        "loaded": f"test -f /var/log/apache2/{fqdn}-access.log",
    }
    return {name: ssh(settings, address, cmd)[0] == 0 for name, cmd in checks.items()}


def step_status(services: Container, job_id: int, name: str) -> str:
    with services.store.read() as s:
        return next(str(st.status) for st in jobs_repo.get_job(s, job_id).steps
                    if st.name == name)  # fmt: skip


def run_claimed(services: Container, job_id: int) -> JobState:
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "cancel-test")
    return services.runner.run(job_id)


def test_cancel_during_playbook_leaves_servers_consistent_then_retry_and_undo_work(
    lab: Settings,
) -> None:
    # A short data dir: ansible's ssh ControlPath lives under it and must stay < 108 bytes.
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="cx-")), lab_path=lab.lab_dir,
                        environment="lab", secret_key="cancel-" + "c" * 32,
                        worker_enabled=False)
    services = build_container(settings)
    label = f"cancel-{secrets.token_hex(3)}"
    dev_fqdn, fqdn = settings.dev_fqdn(label), settings.prod_fqdn(label)
    req = services.intake.submit(
        RequestDraft(label=label, agency="Dinas Kominfo", purpose="Uji pembatalan",
                     contact_name="Andi", contact_email="andi@kominfo.demokab.go.id",
                     letter_number="000/CANCEL", letter_date=date.today(), hosting=True,
                     repo="sample-app", branch="main"),
        OPD,
    )
    job_id = services.decisions.approve(req.id, NET).job.id
    outcome: list[JobState] = []
    try:
        with web_lock_held(settings, WEB_DEV):
            worker = threading.Thread(target=lambda: outcome.append(run_claimed(services, job_id)))
            worker.start()
            # The vhost script is on web-dev, waiting for the lock: cancel now.
            wait_until("site_dev never reached the vhost script",
                       lambda: waiting_for_lock(settings) or not worker.is_alive(), 120)
            assert worker.is_alive(), outcome
            # The database step runs beside site_dev, on its own host: on a loaded machine it
            # may still be running here. The cancel is meant for site_dev alone.
            wait_until("the database step never finished",
                       lambda: step_status(services, job_id, "database") == StepStatus.DONE
                       or not worker.is_alive(), 120)  # fmt: skip
            assert waiting_for_lock(settings), "the vhost script stopped waiting for the lock"
            services.job_control.cancel(job_id, TECH)
            worker.join(30)
            assert not worker.is_alive(), "the cancel did not stop the playbook"
        # The lock is free again: whatever the cancelled run left on web-dev may finish now.
        wait_until("a cancelled vhost script is still waiting on web-dev",
                   lambda: not waiting_for_lock(settings), 30, interval=0.5)
        assert outcome == [JobState.CANCELLED], outcome
        with services.store.read() as s:
            job = jobs_repo.get_job(s, job_id)
            steps = {st.name: st for st in job.steps}
            assert job.state == JobState.CANCELLED
            # The step records the cancel; the steps before it are done, none after it ran.
            assert steps["site_dev"].status == StepStatus.FAILED
            assert "cancel" in (steps["site_dev"].error or ""), steps["site_dev"].error
            assert steps["dns"].status == steps["database"].status == StepStatus.DONE
            assert all(st.status == StepStatus.PLANNED for st in job.steps
                       if st.position > steps["site_dev"].position)
            actions = [e.action for e in audit_repo.events_for_request(s, req.id)]
            assert "job:cancel" in actions and "job:cancelled" in actions

        # Consistent servers: Apache's configuration passes its test and the site's vhost
        # is all there (and loaded) or not there at all — never half-made.
        rc, out = ssh(settings, WEB_DEV, "apache2ctl configtest")
        assert rc == 0, out
        state = vhost_state(settings, WEB_DEV, dev_fqdn)
        assert all(state.values()) or not any(state[k] for k in ("conf", "enabled", "pool")), \
            state
        # Here the cancel landed while the script waited for the lock, before it changed
        # anything: a job reported cancelled must not change the host afterwards (the script
        # used to live on and make the vhost once the lock was free).
        assert not any(state.values()), state

        # A retry resumes at the cancelled step and completes the job.
        services.job_control.retry(job_id, TECH)
        assert run_claimed(services, job_id) == JobState.DONE
        with services.store.read() as s:
            assert requests_repo.get_request(s, req.id).state == RequestState.LETTER_ISSUED
        page = httpx.get(f"http://{WEB_DEV}/", headers={"Host": dev_fqdn}, timeout=5)
        assert page.status_code == 200 and "provisioner-sample-app" in page.text
    finally:
        services.runner.undo(job_id)
        services.store.dispose()
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    # The undo took everything back on both web servers.
    for address, name in ((WEB_DEV, dev_fqdn), ("127.0.2.12", fqdn)):
        left = vhost_state(settings, address, name)
        del left["loaded"]  # Apache's logs of the site are kept
        assert not any(left.values()), (address, name, left)
        rc, out = ssh(settings, address, "apache2ctl configtest")
        assert rc == 0, out
