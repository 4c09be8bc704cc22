"""`lab up`, `lab down`, `lab status`: the lab's whole life, one function each."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from provisioner.config import Settings
from provisioner.domain.errors import ProvisionerError
from provisioner.lab.brownfield_dns import seed_brownfield_dns
from provisioner.lab.brownfield_web import seed_brownfield_web
from provisioner.lab.configs import (
    HostConfig,
    refresh_nameserver_config,
    refresh_scripts,
    refresh_web_config,
    write_host_config,
)
from provisioner.lab.database import admin_credentials, ensure_admin
from provisioner.lab.gitseed import seed_repository
from provisioner.lab.hosts import (
    GIT_REPO_NAME,
    LAB_EXTRA_ZONES,
    LAB_HOSTS,
    LabHost,
    Role,
    hosts_with_role,
)
from provisioner.lab.keys import ensure_keys
from provisioner.lab.layout import HostPaths, prepare_tree, reset_run_dir
from provisioner.lab.network import add_address, addresses_on_lo, remove_address
from provisioner.lab.packages import install_packages, missing_packages, php_fpm_version
from provisioner.lab.probes import (
    ProbeContext,
    ProbeFailed,
    probe_host,
    send_notify,
    soa_serial,
    ssh_banner,
    unix_socket,
)
from provisioner.lab.processes import (
    HostProcess,
    enter_host,
    host_alive,
    load_state,
    save_state,
    start_host,
    stop_hosts,
)
from provisioner.lab.published_apps import seed_on_git_host

Progress = Callable[[str], None]
READY_TIMEOUT = 60.0  # a first start initialises MariaDB's datadir; later starts take ~1 s
POLL_INTERVAL = 0.05
SERVICES_SCRIPT = "/etc/provisioner-lab/services.sh"
WEB_LOCK = "/run/lock/provisioner-web.lock"  # the vhost and tls roles' reload lock


@dataclass(frozen=True)
class HostReport:
    """One line of `lab up` / `lab status`."""

    name: str
    address: str
    state: str  # "running" | "started" | "stopped" | "failed"
    detail: str


def _state_path(settings: Settings) -> Path:
    return settings.lab_dir / "state.json"


@contextmanager
def _exclusive(settings: Settings) -> Iterator[None]:
    """One `lab up`/`lab down` at a time on this machine: two concurrent runs would both
    start a host, and the one state.json forgets could never be stopped."""
    settings.lab_dir.mkdir(parents=True, exist_ok=True)
    with (settings.lab_dir / "lab.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _probe_context(settings: Settings, php_version: str) -> ProbeContext:
    return ProbeContext(
        ssh_key=settings.ssh_key_path,
        known_hosts=settings.known_hosts_path,
        lab_dir=settings.lab_dir,
        php_version=php_version,
    )


class _Up:
    """One `lab up` run: brings every host up in its own thread and collects reports."""

    def __init__(self, settings: Settings, progress: Progress, config: HostConfig) -> None:
        self.settings = settings
        self._progress = progress
        self.config = config
        self.ctx = _probe_context(settings, config.php_version)
        self.processes = load_state(_state_path(settings))
        self.lock = threading.Lock()
        # The secondary starts once the primary answers, so its first transfer succeeds.
        self.primary_ready = threading.Event()

    def progress(self, message: str) -> None:
        # Hosts come up in parallel threads; one message at a time for the caller.
        with self.lock:
            self._progress(message)

    def host(self, host: LabHost) -> HostReport:
        began = time.monotonic()
        try:
            state, detail = self._bring_up(host)
            seed_on_git_host(host, self.settings.lab_dir, self.progress)  # published apps' repos
        except (ProvisionerError, ProbeFailed, OSError) as exc:
            self.progress(f"{host.name}: gagal / failed: {exc}")
            return HostReport(host.name, host.address, "failed", str(exc))
        finally:
            if host.role is Role.DNS_PRIMARY:
                self.primary_ready.set()
        elapsed = time.monotonic() - began
        return HostReport(host.name, host.address, state, f"{detail} [{elapsed:.2f} s]")

    def _bring_up(self, host: LabHost) -> tuple[str, str]:
        process = self.processes.get(host.name)
        if host_alive(process):
            assert process is not None
            refresh_scripts(host, HostPaths.of(self.settings.lab_dir, host), self.config)
            if host.role in (Role.DNS_PRIMARY, Role.DNS_SECONDARY):
                self._refresh_nameserver(host, process)
            if host.role is Role.WEB:
                refresh_running_web_host(self.settings, host, process)
            try:
                return "running", probe_host(host, self.ctx)
            except ProbeFailed as exc:
                self.progress(f"{host.name}: {exc}; menyalakan ulang layanan / restarting services")
                enter_host(process, ["/bin/sh", SERVICES_SCRIPT])
        else:
            self._start(host)
        if host.role is Role.DB:
            self._ensure_db_admin(host)
        return "started", self._wait_ready(host)

    def _refresh_nameserver(self, host: LabHost, process: HostProcess) -> None:
        """A running named whose config gained a zone or key since it started re-reads it
        (`rndc reconfig`); a secondary then waits until it serves every lab zone."""
        if host.role is Role.DNS_SECONDARY:
            self.primary_ready.wait(timeout=15.0)
        paths = HostPaths.of(self.settings.lab_dir, host)
        if not refresh_nameserver_config(host, paths, self.config):
            return
        self.progress(f"{host.name}: konfigurasi named berubah / named config changed: reconfig")
        enter_host(process, ["rndc", "-s", host.address, "reconfig"])
        if host.role is not Role.DNS_SECONDARY:
            return
        primary = hosts_with_role(Role.DNS_PRIMARY)[0].address
        deadline = time.monotonic() + 15.0
        for zone in LAB_EXTRA_ZONES:
            while True:
                try:
                    soa_serial(host.address, 0.5, zone)
                    break
                except ProbeFailed:
                    if time.monotonic() >= deadline:
                        raise
                    send_notify(primary, host.address, 0.2, zone)
                    time.sleep(0.2)

    def _ensure_db_admin(self, host: LabHost) -> None:
        """Wait for MariaDB's socket, then make sure the TCP admin account exists."""
        socket_path = HostPaths.of(self.settings.lab_dir, host).inside("/run/mysqld/mysqld.sock")
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                unix_socket(socket_path, 0.5, "mariadb")
                break
            except ProbeFailed:
                if time.monotonic() >= deadline or not host_alive(self.processes[host.name]):
                    raise
                time.sleep(POLL_INTERVAL)
        credentials = admin_credentials(self.settings.secrets_dir / "mariadb.json", host.address)
        ensure_admin(socket_path, credentials)

    def _start(self, host: LabHost) -> None:
        try:
            banner = ssh_banner(host.address, 0.2)
        except ProbeFailed:
            banner = ""
        if banner:
            raise ProbeFailed(
                f"{host.address}:22 sudah dipakai proses yang tidak tercatat di state.json / "
                f"already in use by a process state.json does not name ({banner})"
            )
        self.progress(f"{host.name}: menyiapkan dan menyalakan / preparing and starting")
        paths = HostPaths.of(self.settings.lab_dir, host)
        prepare_tree(host, paths)
        write_host_config(host, paths, self.config)
        reset_run_dir(paths)
        if host.role is Role.GIT and seed_repository(paths.inside(f"/srv/git/{GIT_REPO_NAME}")):
            self.progress(f"{host.name}: repositori contoh dibuat / sample repository seeded")
        if host.role is Role.DNS_SECONDARY:
            self.primary_ready.wait(timeout=15.0)
        process = start_host(paths, host.address)
        with self.lock:
            self.processes[host.name] = process
            save_state(_state_path(self.settings), self.processes)
        self.progress(f"{host.name}: berjalan sebagai / running as pid {process.pid1}")

    def _wait_ready(self, host: LabHost) -> str:
        deadline = time.monotonic() + READY_TIMEOUT
        next_notify = time.monotonic()
        primary = hosts_with_role(Role.DNS_PRIMARY)[0]
        while True:
            try:
                return probe_host(host, self.ctx, timeout=0.5, sync_grace=0.0)
            except ProbeFailed as exc:
                now = time.monotonic()
                if now >= deadline:
                    raise ProbeFailed(f"{exc} (setelah / after {READY_TIMEOUT:.0f} s)") from exc
                if host.role is Role.DNS_SECONDARY and now >= next_notify:
                    # A NOTIFY sent while this server was still starting was lost.
                    send_notify(primary.address, host.address, 0.2)
                    next_notify = now + 0.5
            if not host_alive(self.processes[host.name]):
                raise ProbeFailed("namespace berhenti / namespace exited")
            time.sleep(POLL_INTERVAL)


def refresh_running_web_host(settings: Settings, host: LabHost, process: HostProcess) -> bool:
    """A running web host gets the current catch-all vhost; Apache reloads it gracefully
    (under the web lock the playbooks take) only when it changed. True if it did."""
    if not refresh_web_config(host, HostPaths.of(settings.lab_dir, host)):
        return False
    enter_host(process, ["flock", "-w", "60", WEB_LOCK, "sh", "-c",
                         "apache2ctl configtest && apache2ctl graceful"])
    return True


def lab_up(settings: Settings, progress: Progress = lambda m: None) -> list[HostReport]:
    """Bring every lab host up; hosts already running are only checked (idempotent).

    Installs missing packages, puts the addresses on lo, creates missing secrets,
    prepares and starts dead hosts, restarts dead daemons in live ones, and waits until
    every service answers. One report per host, in LAB_HOSTS order.
    """
    with _exclusive(settings):
        return _up(settings, progress)


def _up(settings: Settings, progress: Progress) -> list[HostReport]:
    missing = missing_packages()
    if missing:
        install_packages(missing, progress)
    present = addresses_on_lo()
    for host in LAB_HOSTS:
        add_address(host.address, present)
    config = HostConfig(ensure_keys(settings), php_fpm_version(), date.today())
    run = _Up(settings, progress, config)
    with ThreadPoolExecutor(max_workers=len(LAB_HOSTS)) as pool:
        reports = list(pool.map(run.host, LAB_HOSTS))
    seed_brownfield_dns(settings, progress)  # agency records made by hand, as found in the wild
    seed_brownfield_web(settings, progress)  # web-prod's hand-made vhosts (arsip, simpeg)
    return reports


def lab_down(settings: Settings, progress: Progress = lambda m: None) -> list[HostReport]:
    """Stop exactly the processes state.json names, then take the addresses off lo.

    SIGTERM to each namespace's PID 1, SIGKILL after ~5 s; a zombie counts as gone.
    state.json is removed only when nothing the lab started is left.
    """
    with _exclusive(settings):
        return _down(settings, progress)


def _down(settings: Settings, progress: Progress) -> list[HostReport]:
    state_path = _state_path(settings)
    processes = load_state(state_path)
    running = {name: p for name, p in processes.items() if host_alive(p)}
    if running:
        progress(f"menghentikan / stopping: {', '.join(running)}")
    gone = stop_hosts(processes)
    reports = []
    for host in LAB_HOSTS:
        process = processes.get(host.name)
        if process is None or gone.get(host.name, True):
            reports.append(HostReport(host.name, host.address, "stopped", "berhenti / stopped"))
        else:
            reports.append(
                HostReport(
                    host.name,
                    host.address,
                    "failed",
                    f"masih berjalan / still running (pid {process.pid1})",
                )
            )
    if all(report.state == "stopped" for report in reports):
        present = addresses_on_lo()
        for host in LAB_HOSTS:
            remove_address(host.address, present)
        state_path.unlink(missing_ok=True)
    return reports


def lab_status(settings: Settings) -> list[HostReport]:
    """Per host: is its PID 1 alive, and does each of its services answer."""
    processes = load_state(_state_path(settings))
    try:
        php = php_fpm_version()
    except ProvisionerError:
        php = "0"
    ctx = _probe_context(settings, php)

    def one(host: LabHost) -> HostReport:
        process: HostProcess | None = processes.get(host.name)
        if not host_alive(process):
            return HostReport(host.name, host.address, "stopped", "tidak berjalan / not running")
        try:
            return HostReport(host.name, host.address, "running", probe_host(host, ctx))
        except ProbeFailed as exc:
            return HostReport(host.name, host.address, "failed", str(exc))

    with ThreadPoolExecutor(max_workers=len(LAB_HOSTS)) as pool:
        return list(pool.map(one, LAB_HOSTS))
