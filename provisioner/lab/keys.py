"""Lab secrets, generated once and kept: the SSH client key, per-host sshd host keys,
known_hosts and the TSIG key for DNS updates. Files 0600, directories 0700."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from provisioner.config import Settings
from provisioner.lab.errors import LabError
from provisioner.lab.files import write_file
from provisioner.lab.hosts import LAB_EXTRA_ZONES, LAB_HOSTS, LAB_ZONE, Role, hosts_with_role

TSIG_KEY_NAME = "provisioner-key"
TSIG_ALGORITHM = "hmac-sha256"
_SECRET = re.compile(r'secret\s+"([A-Za-z0-9+/=]+)"\s*;')


@dataclass(frozen=True)
class TsigKey:
    name: str  # without the trailing dot, as BIND's config spells it
    algorithm: str
    secret: str

    def as_json(self) -> dict[str, str]:
        """The form other parts of the project read from tsig.json."""
        return {"name": f"{self.name}.", "algorithm": self.algorithm, "secret": self.secret}

    def bind_config(self) -> str:
        """The `key` statement named includes."""
        return (
            f'key "{self.name}" {{\n\talgorithm {self.algorithm};\n\tsecret "{self.secret}";\n}};\n'
        )


@dataclass(frozen=True)
class LabKeys:
    ssh_key: Path
    ssh_public: str
    host_keys: dict[str, Path]  # host name -> private host key (public is <path>.pub)
    known_hosts: str
    tsig: TsigKey
    zone_keys: dict[str, TsigKey] = field(default_factory=dict)  # extra zone -> its own key


def parse_tsig_keygen(output: str) -> str:
    """The base64 secret from `tsig-keygen` output."""
    match = _SECRET.search(output)
    if not match:
        raise LabError("keluaran tsig-keygen tidak dikenali / unexpected tsig-keygen output")
    return match.group(1)


def public_key_path(private: Path) -> Path:
    """Where ssh-keygen put the public half of `private`."""
    return private.with_name(private.name + ".pub")


def _secure_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def _ssh_keygen(path: Path, comment: str) -> None:
    _secure_dir(path.parent)
    if path.exists():
        return
    result = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LabError(f"ssh-keygen: {result.stderr.strip()}")
    path.chmod(0o600)
    public_key_path(path).chmod(0o600)


def _tsig(path: Path, key_name: str = TSIG_KEY_NAME) -> TsigKey:
    if path.exists():
        data = json.loads(path.read_text())
        return TsigKey(data["name"].rstrip("."), data["algorithm"], data["secret"])
    result = subprocess.run(
        ["tsig-keygen", "-a", TSIG_ALGORITHM, key_name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LabError(f"tsig-keygen: {result.stderr.strip()}")
    key = TsigKey(key_name, TSIG_ALGORITHM, parse_tsig_keygen(result.stdout))
    _secure_dir(path.parent)
    write_file(path, json.dumps(key.as_json(), indent=2) + "\n", mode=0o600)
    return key


def ensure_keys(settings: Settings) -> LabKeys:
    """Create whatever lab secret is missing and return them all."""
    secrets = settings.secrets_dir
    _secure_dir(secrets)
    _ssh_keygen(settings.ssh_key_path, "provisioner-lab")
    host_keys: dict[str, Path] = {}
    lines: list[str] = []
    for host in LAB_HOSTS:
        key = secrets / "host_keys" / host.name / "ssh_host_ed25519_key"
        _ssh_keygen(key, f"root@{host.name}")
        _secure_dir(key.parent.parent)
        host_keys[host.name] = key
        key_type, key_data = public_key_path(key).read_text().split()[:2]
        lines.append(f"{host.address} {key_type} {key_data}")
    known_hosts = "\n".join(lines) + "\n"
    write_file(settings.known_hosts_path, known_hosts, mode=0o600)
    tsig = _tsig(settings.tsig_key_path)
    write_file(secrets / f"{TSIG_KEY_NAME}.key", tsig.bind_config(), mode=0o600)
    zone_keys = {
        zone: _tsig(secrets / f"tsig-{zone}.json", key_name)
        for zone, key_name in LAB_EXTRA_ZONES.items()
    }
    _write_zones_file(settings, zone_keys)
    return LabKeys(
        ssh_key=settings.ssh_key_path,
        ssh_public=public_key_path(settings.ssh_key_path).read_text().strip(),
        host_keys=host_keys,
        known_hosts=known_hosts,
        tsig=tsig,
        zone_keys=zone_keys,
    )


def _write_zones_file(settings: Settings, zone_keys: dict[str, TsigKey]) -> None:
    """secrets/zones.json for PROVISIONER_ZONES_FILE: every lab zone, its primary and the
    path of its key file (relative to this file; the secrets stay in their own files)."""
    ns1 = hosts_with_role(Role.DNS_PRIMARY)[0]
    primary = {"primary": ns1.address, "primary_name": f"{ns1.name}.{LAB_ZONE}"}
    zones = [{"zone": LAB_ZONE, **primary, "tsig_key_file": "tsig.json"}]
    zones += [{"zone": zone, **primary, "tsig_key_file": f"tsig-{zone}.json"} for zone in zone_keys]
    write_file(settings.secrets_dir / "zones.json", json.dumps(zones, indent=2) + "\n", mode=0o600)
