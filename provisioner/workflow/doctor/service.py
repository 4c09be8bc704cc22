"""DoctorService: every check of the real setup, in the order a newcomer would fix them —
DNS, then each inventory host (SSH, sudo, software, the repository server from the web
hosts), then the ACME directory and SMTP. Hosts are checked side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from provisioner.domain.doctor import (
    CheckResult,
    DoctorReport,
    InventoryHost,
    failed,
    passed,
    skipped,
)
from provisioner.domain.errors import ProvisionerError
from provisioner.workflow.doctor.dns_checks import ZoneTarget, zone_lines
from provisioner.workflow.doctor.host_checks import db_line, git_line, ssh_line, sudo_line
from provisioner.workflow.doctor.ports import ServiceFacts, Shell, ZoneOpener
from provisioner.workflow.doctor.web_checks import web_lines

WEB_GROUP, DB_GROUP = "webservers", "dbservers"


@dataclass(frozen=True)
class DoctorConfig:
    """What the roles need (modules, extensions, tools), where the repository server is,
    what the login uses (for the fix texts), and how long name servers may take to agree."""

    apache_modules: tuple[str, ...]
    php_extensions: tuple[str, ...]
    web_tools: tuple[str, ...]
    git_probe_url: str
    ssh_key: str
    known_hosts: str
    inventory: str
    acme_directory_url: str
    smtp_target: str  # "host:port", empty when SMTP is off
    sync_wait: float = 10.0


@dataclass(frozen=True)
class DoctorProbes:
    """The adapters, handed in by the composition root."""

    shell: Shell
    open_zone: ZoneOpener
    read_hosts: Callable[[], list[InventoryHost]]
    acme: Callable[[], ServiceFacts]
    smtp: Callable[[], ServiceFacts]


class DoctorService:
    """Runs every check; each line says what it saw and, when it failed, what to fix."""

    def __init__(
        self, config: DoctorConfig, zones: Sequence[ZoneTarget], probes: DoctorProbes
    ) -> None:
        self.config = config
        self.zones = tuple(zones)
        self.probes = probes

    def run(self) -> DoctorReport:
        results: list[CheckResult] = []
        for zone in self.zones:
            results += zone_lines(zone, self.probes.open_zone, sync_wait=self.config.sync_wait)
        results += self._inventory_lines()
        results += [self._acme_line(), self._smtp_line()]
        return DoctorReport(tuple(results))

    def _inventory_lines(self) -> list[CheckResult]:
        try:
            hosts = self.probes.read_hosts()
        except ProvisionerError as exc:
            return [failed("inventory", self.config.inventory, exc.message,
                           "Perbaiki PROVISIONER_INVENTORY / Fix PROVISIONER_INVENTORY")]
        if not hosts:
            return [failed("inventory", self.config.inventory, "no hosts",
                           "Isi inventaris / Fill the inventory (inventories/example/hosts.yml)")]
        with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
            per_host = list(pool.map(self.host_lines, hosts))
        return [line for lines in per_host for line in lines]

    def host_lines(self, host: InventoryHost) -> list[CheckResult]:
        """SSH; then, once logged in, sudo (with become) and what the host's groups need."""
        shell, cfg = self.probes.shell, self.config
        login = ssh_line(host, shell, key=cfg.ssh_key, known_hosts=cfg.known_hosts)
        if login.verdict != "ok":
            return [login]
        lines = [login]
        if host.become:
            lines.append(sudo_line(host, shell))
            if lines[-1].verdict != "ok":
                return lines
        if WEB_GROUP in host.groups:
            lines += web_lines(host, shell, modules=cfg.apache_modules,
                               extensions=cfg.php_extensions, tools=cfg.web_tools)  # fmt: skip
            lines.append(git_line(host, shell, cfg.git_probe_url))
        if DB_GROUP in host.groups:
            lines.append(db_line(host, shell))
        return lines

    def _acme_line(self) -> CheckResult:
        url = self.config.acme_directory_url
        if not url:
            return skipped("acme", "-", "TLS off (PROVISIONER_ACME_DIRECTORY_URL empty)")
        answer = self.probes.acme()
        if answer.ok:
            return passed("acme", url, f"{answer.detail} in {answer.seconds * 1000:.0f} ms")
        return failed(
            "acme", url, answer.detail,
            "Direktori ACME tidak menjawab: periksa PROVISIONER_ACME_DIRECTORY_URL, jaringan "
            "keluar, dan CA-nya (PROVISIONER_ACME_CA_FILE) / The ACME directory does not "
            "answer: check PROVISIONER_ACME_DIRECTORY_URL, outbound network, and its CA "
            "(PROVISIONER_ACME_CA_FILE)",
        )  # fmt: skip

    def _smtp_line(self) -> CheckResult:
        target = self.config.smtp_target
        if not target:
            return skipped("smtp", "-", "e-mail off (PROVISIONER_SMTP_HOST unset)")
        answer = self.probes.smtp()
        if answer.ok:
            return passed("smtp", target, f"{answer.detail} in {answer.seconds * 1000:.0f} ms")
        return failed(
            "smtp", target, answer.detail,
            f"Server SMTP {target} tidak menerima sambungan: periksa PROVISIONER_SMTP_HOST/"
            f"_PORT/_STARTTLS dan firewall / The SMTP server {target} does not accept a "
            "connection: check PROVISIONER_SMTP_HOST/_PORT/_STARTTLS and the firewall",
        )  # fmt: skip
