"""A web host reached only as a non-root user with sudo, the way agencies run their servers
(the lab's web-sudo: root's login refused, `ops` with passwordless sudo): the whole path
runs its development site there — Ansible with become, the checks, the doctor — and undo
takes it away again."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from provisioner.adapters.ssh import SshClient
from provisioner.bootstrap.configs import ssh_config
from provisioner.bootstrap.container import Container, build_container
from provisioner.bootstrap.doctor import build_doctor
from provisioner.config import Settings
from provisioner.domain.errors import ServerUnreachable
from tests.hosting_workflow_support import TECH, get_site, new_label, provision

pytestmark = pytest.mark.lab

SUDO_HOST, SUDO_ADDRESS = "web-sudo", "127.0.2.13"


@pytest.fixture(scope="module")
def services(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("sudo-host"), lab_path=lab.lab_dir,
        secret_key="sudo-host-" + "s" * 24,
        web_dev_host=SUDO_HOST, web_dev_address=SUDO_ADDRESS,
    )  # fmt: skip
    built = build_container(settings)
    yield built
    built.store.dispose()


def test_root_cannot_log_in_and_ops_becomes_root_with_sudo(lab: Settings) -> None:
    with pytest.raises(ServerUnreachable):
        SshClient(SUDO_ADDRESS, key=lab.ssh_key_path, known_hosts=lab.known_hosts_path).close()
    ops = SshClient(
        SUDO_ADDRESS, key=lab.ssh_key_path, known_hosts=lab.known_hosts_path, user="ops"
    )
    with ops:
        assert ops.run("id -un").stdout.strip() == "ops"
        assert ops.run("sudo -n id -u").stdout.strip() == "0"


def test_the_doctor_reaches_the_host_as_ops_with_sudo(services: Container) -> None:
    report = build_doctor(services.settings).run()
    lines = [r for r in report.results if r.target == f"{SUDO_HOST} (ops@{SUDO_ADDRESS})"]
    assert {r.check for r in lines} >= {"ssh", "sudo"}, [r.target for r in report.results]
    assert all(r.verdict == "ok" for r in lines), [(r.check, r.fact, r.fix) for r in lines]
    assert report.healthy, report.failures


def test_a_site_goes_live_through_a_dev_host_driven_with_sudo(services: Container) -> None:
    label = new_label("sudo")
    dev_fqdn = services.settings.dev_fqdn(label)
    _, job_id, state = provision(services, label)
    try:
        steps = {s.name: s for s in services.queries.job(job_id, TECH).steps}
        assert state == "done", [(n, s.status, s.error) for n, s in steps.items()]
        assert steps["site_dev"].server == SUDO_HOST
        assert steps["checks_dev"].status == "done"
        page = get_site(SUDO_ADDRESS, dev_fqdn)
        assert page.status_code == 200 and "provisioner-sample-app" in page.text
        # Made by root through sudo: the site's tree belongs to its own user, not to ops.
        with SshClient.to(ssh_config(services.settings), SUDO_ADDRESS) as client:
            owner = client.run(f"stat -c %U {shlex.quote('/var/www/' + dev_fqdn)}/current/")
        assert owner.rc == 0 and owner.stdout.strip() not in ("ops", "")
    finally:
        services.runner.undo(job_id)
    assert get_site(SUDO_ADDRESS, dev_fqdn).status_code != 200
