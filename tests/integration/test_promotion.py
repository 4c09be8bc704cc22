"""Promotion gates on the real lab, through the job runner: production only gets what
passed dev, and a release that fails production's checks is taken back automatically —
with no letter in either case."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from provisioner.adapters.ssh import SshClient
from provisioner.bootstrap.container import Container, build_container
from provisioner.config import Settings
from tests.hosting_workflow_support import (
    OPD,
    PROD_ONLY_BROKEN_HEALTH,
    TECH,
    delete_branch,
    get_site,
    new_label,
    provision,
    push_branch,
)

pytestmark = pytest.mark.lab

# Jobs each container ran that the module's teardown takes back (the container is frozen).
_UNDO: dict[int, list[int]] = {}


def undo_jobs(container: Container) -> list[int]:
    return _UNDO.setdefault(id(container), [])


@pytest.fixture(scope="module")
def services(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("promotion"), lab_path=lab.lab_dir,
                        secret_key="promotion-" + "s" * 24)
    built = build_container(settings)
    yield built
    for job_id in undo_jobs(built):
        built.runner.undo(job_id)
    built.store.dispose()


def site_dir_exists(settings: Settings, address: str, fqdn: str) -> bool:
    with SshClient(address, key=settings.ssh_key_path, known_hosts=settings.known_hosts_path) as c:
        return c.run(f"test -e {shlex.quote('/var/www/' + fqdn)}").rc == 0


def test_failing_dev_checks_keep_the_commit_off_production(services: Container) -> None:
    label = new_label("hwdev")
    fqdn = f"{label}.demokab.go.id"
    request_id, job_id, state = provision(services, label, branch="broken-health")
    undo_jobs(services).append(job_id)

    assert state == "failed"
    steps = {s.name: s for s in services.queries.job(job_id, TECH).steps}
    assert steps["checks_dev"].status == "failed" and steps["checks_dev"].server == "web-dev"
    assert "http_health" in (steps["checks_dev"].error or "")
    assert steps["site_prod"].status == "planned" and steps["letter"].status == "planned"
    req = services.queries.get(request_id, OPD)
    assert (req.state, req.failure_step) == ("failed", "checks_dev")
    assert services.queries.letter(request_id, OPD) is None
    # Nothing of it on production: no site tree, and Apache there does not know the name.
    assert not site_dir_exists(services.settings, services.settings.web_prod_address, fqdn)
    assert "provisioner-sample-app" not in get_site("127.0.2.12", fqdn).text


def test_production_only_failure_is_rolled_back_automatically(services: Container) -> None:
    branch = new_label("hw-prodfail")
    commit = push_branch(services.settings, branch, {"public/health.php": PROD_ONLY_BROKEN_HEALTH})
    try:
        label = new_label("hwprod")
        fqdn = f"{label}.demokab.go.id"
        request_id, job_id, state = provision(services, label, branch=branch)
        undo_jobs(services).append(job_id)
    finally:
        delete_branch(services.settings, branch)

    assert state == "failed"
    steps = {s.name: s for s in services.queries.job(job_id, TECH).steps}
    assert steps["checks_dev"].status == "done"  # dev was fine: the commit went on
    assert steps["checks_prod"].status == "failed" and steps["checks_prod"].server == "web-prod"
    assert "rolled back" in (steps["checks_prod"].error or "")
    # The release was taken back, so a retry redoes the promotion instead of skipping it.
    assert steps["site_prod"].status == "undone"
    assert steps["site_prod"].outputs["commit"] == commit
    assert steps["letter"].status == "planned"
    req = services.queries.get(request_id, OPD)
    assert (req.state, req.failure_step, req.failure_server) == ("failed", "checks_prod",
                                                                  "web-prod")
    assert "rolled back" in (req.failure_reason or "")
    assert req.commit_sha is None  # production serves nothing of this request now
    assert services.queries.letter(request_id, OPD) is None
    # A first release had nothing to go back to: the fresh production vhost is gone,
    # while dev keeps the release that passed there.
    assert not site_dir_exists(services.settings, services.settings.web_prod_address, fqdn)
    assert get_site("127.0.2.11", f"{label}.dev.demokab.go.id").status_code == 200
