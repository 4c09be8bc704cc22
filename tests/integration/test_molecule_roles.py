"""molecule scenarios of the roles (vhost, deploy, database) against the running lab hosts:
converge, converge again changing nothing (molecule's idempotence), testinfra verify —
which prints the service's log when a check fails — and clean up."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.adapters.ssh_options import ansible_ssh_args, control_dir, ssh_config_path
from provisioner.bootstrap.configs import ssh_config
from provisioner.config import PROJECT_ROOT, Settings

pytestmark = pytest.mark.lab


def molecule_env(settings: Settings, site: str) -> dict[str, str]:
    """What the adapter gives ansible-runner, for molecule: the project's ansible.cfg and
    roles, the lab inventory's key and verified host keys, connection reuse."""
    venv_bin = str(Path(sys.executable).parent)
    home = settings.data_dir / "molecule"
    home.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "--git-dir", str(settings.lab_dir / "hosts" / "git" / "srv" / "git"
                                 / "sample-app.git"), "rev-parse", "main"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    return {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "ANSIBLE_CONFIG": str(settings.playbooks_dir / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(settings.playbooks_dir / "roles"),
        "ANSIBLE_HOME": str(home / "ansible"),
        "ANSIBLE_LOCAL_TEMP": str(home / "ansible" / "tmp"),
        "ANSIBLE_PRIVATE_KEY_FILE": str(settings.ssh_key_path),
        "ANSIBLE_SSH_ARGS": ansible_ssh_args(ssh_config(settings)),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir(ssh_config(settings))),
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "XDG_CACHE_HOME": str(home / "cache"),
        "MOLECULE_LAB_SSH_CONFIG": str(ssh_config_path(ssh_config(settings))),
        "MOLECULE_LAB_SSH_KEY": str(settings.ssh_key_path),
        "NO_COLOR": "1",
        "MOLECULE_SITE": site,
        "MOLECULE_DB": "mol_" + secrets.token_hex(4),
        "MOLECULE_DB_PASSWORD": secrets.token_urlsafe(18),
        "MOLECULE_COMMIT": commit,
        "MOLECULE_REPO_URL": f"{settings.git_base_url}/sample-app.git",
    }


@pytest.mark.parametrize("scenario", ["vhost", "deploy", "database"])
def test_molecule_scenario(lab: Settings, scenario: str) -> None:
    site = f"mol-{scenario}-{secrets.token_hex(3)}.dev.{lab.zone}"
    env = molecule_env(lab, site)
    molecule = str(Path(sys.executable).parent / "molecule")
    # On a failure molecule itself runs cleanup.yml ("An error occurred … Cleaning up").
    run = subprocess.run([molecule, "test", "-s", scenario], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    # Converged twice, the second time changing nothing, then the verifier's checks passed.
    assert re.search(r"idempotence: Executed: Successful", output), output[-3000:]
    assert re.search(r"verify: Executed: Successful", output), output[-3000:]
    assert re.search(r"=+ \d+ passed in ", output), output[-3000:]
