"""The approval → live path done the way a competent admin would script it by hand, on the
same lab: `nsupdate` with the TSIG key (both names), one playbook for the database and the
dev site (dev.yml), `curl` checks on dev, one playbook for the production site with its
certificate from `certbot` and its HTTPS vhost (prod.yml), `curl` checks on production.
No fact gathering, pipelining, persistent SSH connections (the same generated ssh_config
provisioner uses, so the same ControlMaster sockets). No journal, no verification on every
name server, no gates, no letter: what provisioner does beyond this is its own cost.

    from baseline.path import run_path, clean_up, unit_run    (bench/e2e.py)
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from provisioner.adapters.ssh import SshClient
from provisioner.adapters.ssh_options import ansible_ssh_args
from provisioner.bootstrap.configs import ssh_config
from provisioner.config import Settings
from provisioner.lab.packages import php_fpm_version

HERE = Path(__file__).resolve().parent
MARKER = "provisioner-sample-app"


@dataclass(frozen=True)
class Site:
    """One by-hand site: its names, database and the system user on each web host."""

    label: str
    zone: str
    fqdn: str
    dev_fqdn: str
    db: str
    password: str

    @classmethod
    def new(cls, settings: Settings, prefix: str = "bl") -> Site:
        tag = secrets.token_hex(3)
        label = f"{prefix}-{tag}"
        return cls(label, settings.zone, f"{label}.{settings.zone}", settings.dev_fqdn(label),
                   f"{prefix}_{tag}", secrets.token_urlsafe(18))

    def user(self, env: str) -> str:
        return f"{self.db}_{env}"


def _env(settings: Settings, home: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(HERE / "ansible.cfg"),
        "ANSIBLE_INVENTORY": str(settings.inventory),
        "ANSIBLE_PRIVATE_KEY_FILE": str(settings.ssh_key_path),
        "ANSIBLE_SSH_ARGS": ansible_ssh_args(ssh_config(settings)),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
    }


def ansible_playbook(settings: Settings, playbook: str, home: Path, extra: dict[str, str]) -> None:
    """`ansible-playbook <playbook> -e @vars` (the password only in a 0600 file)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=home, delete=False) as f:
        json.dump(extra, f)
    os.chmod(f.name, 0o600)
    try:
        out = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), str(HERE / playbook),
             "-e", f"@{f.name}"],
            env=_env(settings, home), capture_output=True, text=True, timeout=300, check=False,
        )
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise RuntimeError(f"{playbook}: rc={out.returncode}\n{out.stdout[-3000:]}")


def nsupdate(settings: Settings, lines: list[str]) -> None:
    key = settings.secrets_dir / "provisioner-key.key"
    script = "\n".join([f"server {settings.dns_primary}", f"zone {settings.zone}", *lines,
                        "send", ""])
    subprocess.run(["nsupdate", "-k", str(key)], input=script, text=True, check=True,
                   capture_output=True, timeout=30)


def curl(url: str, *args: str) -> str:
    out = subprocess.run(["curl", "-sf", "--max-time", "5", *args, url], capture_output=True,
                         text=True, timeout=10, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"curl {url} {args}: rc={out.returncode}")
    return out.stdout


def check(address: str, fqdn: str, *, https: bool = False) -> None:
    """The admin's checks: the health URL answers 200 and the home page shows the app."""
    for scheme in ("http", "https") if https else ("http",):
        port = 443 if scheme == "https" else 80
        args = ["--resolve", f"{fqdn}:{port}:{address}", "-k"]
        if MARKER not in curl(f"{scheme}://{fqdn}/", *args):
            raise RuntimeError(f"{scheme}://{fqdn}/ does not show the app")
        curl(f"{scheme}://{fqdn}/health.php", *args)


def run_path(settings: Settings, site: Site, home: Path) -> float:
    """Seconds for the whole path by hand, from the first command to the last check."""
    common = {
        "repo_url": f"{settings.git_base_url}/sample-app.git", "commit": "main",
        "db_host": settings.db_address, "db_name": site.db, "db_user": site.db,
        "db_password": site.password, "db_client": "127.0.2.%",
        "php_version": php_fpm_version(), "dev_fqdn": site.dev_fqdn, "prod_fqdn": site.fqdn,
        "acme_directory_url": settings.acme_directory_url,
        "acme_ca_file": str(settings.acme_ca_file or settings.secrets_dir / "acme" / "ca.pem"),
    }  # fmt: skip
    started = time.perf_counter()
    nsupdate(settings, [f"update add {site.fqdn} 300 A {settings.web_prod_address}",
                        f"update add {site.dev_fqdn} 300 A {settings.web_dev_address}"])
    ansible_playbook(settings, "dev.yml", home, {**common, "site_user": site.user("d")})
    check(settings.web_dev_address, site.dev_fqdn)
    ansible_playbook(settings, "prod.yml", home, {**common, "site_user": site.user("p")})
    check(settings.web_prod_address, site.fqdn, https=True)
    return time.perf_counter() - started


def _ssh(settings: Settings, address: str, command: str, stdin: str | None = None) -> None:
    with SshClient(address, key=settings.ssh_key_path,
                   known_hosts=settings.known_hosts_path) as client:
        client.run(command, stdin=stdin)


def forget_stale_account(settings: Settings) -> None:
    """Drop the by-hand certbot's saved ACME account before the runs (not timed): the lab's
    pebble keeps accounts in memory, so after a lab restart certbot holds one the CA no
    longer knows (and certbot stops with "AttributeError: can't set attribute"). A real CA
    keeps accounts; the admin's path should not pay for this, nor fail on it."""
    _ssh(settings, settings.web_prod_address, "rm -rf /etc/letsencrypt-bench/accounts")


def clean_up(settings: Settings, site: Site) -> None:
    """Everything a by-hand run made, taken away (not timed)."""
    nsupdate(settings, [f"update delete {site.fqdn} A", f"update delete {site.dev_fqdn} A"])
    php = php_fpm_version()
    for address, fqdn, user in ((settings.web_dev_address, site.dev_fqdn, site.user("d")),
                                (settings.web_prod_address, site.fqdn, site.user("p"))):
        a, le = "/etc/apache2", "/etc/letsencrypt-bench"
        _ssh(settings, address, (
            f"flock -w 120 /run/lock/provisioner-web.lock sh -c '"
            f"rm -f {a}/sites-enabled/{fqdn}.conf {a}/sites-available/{fqdn}.conf "
            f"{a}/sites-enabled/{fqdn}-ssl.conf /etc/php/{php}/fpm/pool.d/{user}.conf; "
            f"apache2ctl graceful; kill -USR2 $(cat /run/php/php{php}-fpm.pid)'; "
            f"rm -rf /srv/www/{fqdn} {le}/live/{fqdn} {le}/archive/{fqdn} "
            f"{le}/renewal/{fqdn}.conf; userdel {user} 2>/dev/null; true"
        ))  # fmt: skip
    _ssh(settings, settings.db_address, "mariadb",
         stdin=f"DROP DATABASE IF EXISTS `{site.db}`; "
               f"DROP USER IF EXISTS '{site.db}'@'127.0.2.%';")


def unit_run(settings: Settings, home: Path) -> float:
    """Seconds for one bare `ansible-playbook` run of a one-task playbook."""
    started = time.perf_counter()
    ansible_playbook(settings, "unit.yml", home, {})
    return time.perf_counter() - started
