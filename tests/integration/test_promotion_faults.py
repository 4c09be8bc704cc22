"""Faults on the real servers, through the job runner and the playbooks: web-prod going away
mid-job (its sshd, PID 1 of the host, is stopped) fails the step naming web-prod and a retry
after the lab brings it back completes the job; a vhost that fails Apache's config test is
refused while every other site keeps answering, during and after."""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from provisioner.adapters.ansible import AnsibleAdapter, PlaybookFailed
from provisioner.bootstrap.configs import ansible_config
from provisioner.bootstrap.container import Container, build_container
from provisioner.config import Settings
from provisioner.lab import lab_up
from provisioner.lab.processes import is_alive
from tests.hosting_workflow_support import NET, OPD, TECH, get_site, new_label, run_job, submit

pytestmark = pytest.mark.lab

# Jobs each container ran that the module's teardown takes back (the container is frozen).
_UNDO: dict[int, list[int]] = {}


def undo_jobs(container: Container) -> list[int]:
    return _UNDO.setdefault(id(container), [])


@pytest.fixture(scope="module")
def services(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    # Plans without a certificate: cert_prod would run on web-prod beside the dev branch
    # and meet the host going down before site_prod does.
    settings = Settings(data_dir=tmp_path_factory.mktemp("faults"), lab_path=lab.lab_dir,
                        secret_key="faults-" + "s" * 26, acme_directory_url="")
    built = build_container(settings)
    yield built
    for job_id in undo_jobs(built):
        built.runner.undo(job_id)
    built.store.dispose()


def stop_web_prod(settings: Settings) -> None:
    """Stop web-prod's PID 1 (its sshd) — exactly the process the lab started, by PID."""
    state = json.loads((settings.lab_dir / "state.json").read_text())["hosts"]["web-prod"]
    assert is_alive(state["pid1"], state["pid1_start"]), "web-prod is not running"
    os.kill(state["pid1"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while is_alive(state["pid1"], state["pid1_start"]) and time.monotonic() < deadline:
        time.sleep(0.05)


def step_status(services: Container, job_id: int, name: str) -> str:
    return next(s.status for s in services.queries.job(job_id, TECH).steps if s.name == name)


def test_web_prod_down_mid_job_fails_naming_it_and_a_retry_completes(
    services: Container,
) -> None:
    label = new_label("hwssh")
    job = services.decisions.approve(submit(services, label), NET).job
    undo_jobs(services).append(job.id)
    outcome: dict[str, str] = {}
    runner = threading.Thread(target=lambda: outcome.update(state=run_job(services, job.id)))
    runner.start()
    try:
        # Mid-job: dev is being checked, production is next.
        deadline = time.monotonic() + 120
        while step_status(services, job.id, "checks_dev") == "planned":
            assert time.monotonic() < deadline and runner.is_alive(), "job never reached dev"
            time.sleep(0.1)
        stop_web_prod(services.settings)
        runner.join(180)
    finally:
        reports = lab_up(services.settings)
    assert {r.name: r.state for r in reports}["web-prod"] in ("running", "started")

    assert outcome["state"] == "failed"
    steps = {s.name: s for s in services.queries.job(job.id, TECH).steps}
    assert steps["site_prod"].status == "failed" and steps["site_prod"].server == "web-prod", {
        n: (s.status, s.error) for n, s in steps.items()}
    assert steps["checks_dev"].status == "done" and steps["letter"].status == "planned"
    req = services.queries.get(job.request_id, OPD)
    assert (req.failure_step, req.failure_server) == ("site_prod", "web-prod")

    services.job_control.retry(job.id, TECH)
    assert run_job(services, job.id) == "done"
    steps = {s.name: s for s in services.queries.job(job.id, TECH).steps}
    assert steps["site_prod"].attempts == 2 and steps["site_dev"].attempts == 1
    assert get_site("127.0.2.12", f"{label}.demokab.go.id").status_code == 200
    assert services.queries.get(job.request_id, OPD).state == "letter_issued"


def test_a_vhost_failing_configtest_is_refused_and_other_sites_keep_answering(
    services: Container, tmp_path: Path
) -> None:
    settings = services.settings
    ansible = AnsibleAdapter(ansible_config(settings))
    good, bad = f"{new_label('hwok')}.{settings.zone}", f"{new_label('hwbad')}.{settings.zone}"
    commit = services.runner.steps["site_dev"].git.resolve(  # type: ignore[attr-defined]
        f"{settings.git_base_url}/sample-app.git", "main")
    db = {"db_name": "hwok_" + secrets.token_hex(4), "db_password": secrets.token_urlsafe(18)}
    db["db_user"] = db["db_name"]
    common = {"repo_url": f"{settings.git_base_url}/sample-app.git", "commit": commit,
              "db_host": settings.db_address, "keep_releases": 2, "php": True, **db}
    # A complete live site (its database too, so it answers 200) on the same host.
    ansible.run("database.yml", extravars={**db, "db_client_hosts": settings.db_client_hosts},
                limit=settings.db_host, run_dir=tmp_path / "db", step="database")
    ansible.run("site.yml", extravars={**common, "site_fqdn": good}, limit="web-prod",
                run_dir=tmp_path / "good", step="site_prod")
    assert get_site("127.0.2.12", good).status_code == 200
    answers: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                answers.append(get_site("127.0.2.12", good).status_code)
            except httpx.HTTPError:
                answers.append(0)
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with pytest.raises(PlaybookFailed) as refused:
            ansible.run("site.yml",
                        extravars={**common, "site_fqdn": bad,
                                   "extra_directives": "ThisIsNotADirective on"},
                        limit="web-prod", run_dir=tmp_path / "bad", step="site_prod")
        time.sleep(0.5)
    finally:
        stop.set()
        poller.join()
        after = get_site("127.0.2.12", good).status_code
        for fqdn in (good, bad):
            ansible.run("site_remove.yml", extravars={"site_fqdn": fqdn}, limit="web-prod",
                        run_dir=tmp_path / f"rm-{fqdn}", step="cleanup")
        ansible.run("database.yml", extravars={**db, "db_state": "absent"},
                    limit=settings.db_host, run_dir=tmp_path / "db-rm", step="cleanup")
    assert refused.value.server == "web-prod"
    assert "ThisIsNotADirective" in refused.value.reason or "configtest" in refused.value.reason
    # The site that was live answered every single time, during the refused change too.
    assert answers and set(answers) == {200}, sorted(set(answers))
    assert after == 200
