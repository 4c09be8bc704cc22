"""Debian packages the lab needs, installed only when something is missing."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from provisioner.lab.errors import LabError

# One list, one place. The php-* names are Debian's version-less metapackages, so the
# same list works on the next Debian release; the version actually used is detected.
LAB_PACKAGES: tuple[str, ...] = (
    "bind9",
    "bind9-utils",
    "bind9-dnsutils",
    "apache2",
    "openssh-server",
    "mariadb-server",
    "mariadb-client",
    "git",
    "php-fpm",
    "php-mysql",
    "php-cli",
    # What the published apps the lab deploys ask of PHP (CodeIgniter 4 refuses to start
    # without intl, mbstring, xml and curl; WordPress uses mbstring and xml).
    "php-intl",
    "php-mbstring",
    "php-xml",
    "php-curl",
    "iproute2",
    "procps",
    "sudo",  # a web host driven as a non-root user with sudo, as agencies run theirs
    # The lab's ACME certificate authority (in ns1) and the ACME client on the web hosts.
    "pebble",
    "certbot",
)

_PHP_FPM = re.compile(r"^php-fpm(\d+\.\d+)$")


def missing_packages(packages: tuple[str, ...] = LAB_PACKAGES) -> list[str]:
    """Packages from `packages` that dpkg does not report as installed."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    installed = {
        line.split()[0] for line in result.stdout.splitlines() if line.endswith(" installed")
    }
    return [name for name in packages if name not in installed]


def install_packages(packages: list[str], progress: Callable[[str], None] = lambda m: None) -> None:
    """`apt-get update` then install `packages` without recommends, non-interactively."""
    if not packages:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    progress(f"memasang paket: {' '.join(packages)} / installing packages: {' '.join(packages)}")
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *packages],
    ):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise LabError(f"{' '.join(command[:2])} gagal / failed: {' | '.join(tail)}")


def php_fpm_version(sbin: Path = Path("/usr/sbin")) -> str:
    """The newest PHP-FPM version installed, e.g. "8.2" for /usr/sbin/php-fpm8.2."""
    versions = [
        match.group(1) for path in sbin.glob("php-fpm*") if (match := _PHP_FPM.match(path.name))
    ]
    if not versions:
        raise LabError("PHP-FPM tidak terpasang / PHP-FPM is not installed")
    return max(versions, key=lambda v: tuple(int(part) for part in v.split(".")))
