"""Starting and stopping host namespaces, and the state file that names their PIDs.

A PID alone can be reused; state.json keeps each process's start time (from
/proc/<pid>/stat) too, so only the very process the lab started is ever signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from provisioner.lab.errors import LabError
from provisioner.lab.files import write_file
from provisioner.lab.layout import HostPaths

UNSHARE = (
    "unshare",
    "--mount",
    "--uts",
    "--pid",
    "--fork",
    "--mount-proc",
    "--propagation",
    "private",
)


CONSOLE_LOG_LIMIT = 1 << 20  # rotated to console.log.1 at the next start beyond this


@dataclass(frozen=True)
class HostProcess:
    """The two processes of a running host, as seen from outside its namespace."""

    address: str
    unshare_pid: int
    unshare_start: int
    pid1: int  # the namespace's PID 1: init.sh, then sshd
    pid1_start: int
    started_at: float


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of `pid`, or None if there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def is_alive(pid: int, start: int) -> bool:
    """True if `pid` is still the process that started at `start` and is not a zombie."""
    stat = proc_stat(pid)
    return stat is not None and stat[0] != "Z" and stat[1] == start


def host_alive(process: HostProcess | None) -> bool:
    return process is not None and is_alive(process.pid1, process.pid1_start)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(part) for part in text.split()]


def start_host(paths: HostPaths, address: str, timeout: float = 5.0) -> HostProcess:
    """Start the host's init script as PID 1 of new mount/uts/pid namespaces.

    The shell backgrounds `setsid unshare …` and exits at once, so the namespace is
    adopted by the machine's init and outlives whatever process ran `lab up`.
    """
    console = paths.console_log
    if console.exists() and console.stat().st_size > CONSOLE_LOG_LIMIT:
        console.replace(console.with_name(console.name + ".1"))
    script = 'setsid "$@" </dev/null >>"$LAB_CONSOLE" 2>&1 & echo $!'
    result = subprocess.run(
        ["/bin/sh", "-c", script, "lab-start", *UNSHARE, "/bin/sh", str(paths.init_script)],
        env={**os.environ, "LAB_CONSOLE": str(paths.console_log)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip().isdigit():
        raise LabError(f"unshare gagal / failed: {result.stderr.strip()}")
    unshare_pid = int(result.stdout.strip())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        unshare_stat = proc_stat(unshare_pid)
        children = _children(unshare_pid)
        if unshare_stat and children and (child_stat := proc_stat(children[0])):
            return HostProcess(
                address=address,
                unshare_pid=unshare_pid,
                unshare_start=unshare_stat[1],
                pid1=children[0],
                pid1_start=child_stat[1],
                started_at=time.time(),
            )
        if unshare_stat is None or unshare_stat[0] == "Z":
            break
        time.sleep(0.005)
    raise LabError(
        f"namespace tidak berjalan, lihat / namespace did not start, see {paths.console_log}"
    )


def _pids(process: HostProcess) -> list[tuple[int, int]]:
    return [(process.pid1, process.pid1_start), (process.unshare_pid, process.unshare_start)]


def _signal_alive(process: HostProcess, sig: signal.Signals, *, unshare_too: bool) -> None:
    targets = _pids(process) if unshare_too else _pids(process)[:1]
    for pid, start in targets:
        if is_alive(pid, start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def _gone(process: HostProcess) -> bool:
    return not any(is_alive(pid, start) for pid, start in _pids(process))


def _wait_until_gone(processes: dict[str, HostProcess], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not all(_gone(p) for p in processes.values()):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def stop_hosts(processes: dict[str, HostProcess], grace: float = 5.0) -> dict[str, bool]:
    """SIGTERM each namespace's PID 1 (sshd; the kernel then ends the rest), SIGKILL what
    is left after `grace` seconds. Returns host name -> everything gone."""
    for process in processes.values():
        _signal_alive(process, signal.SIGTERM, unshare_too=False)
    if not _wait_until_gone(processes, grace):
        # unshare ignores SIGTERM; it only lingers if its child would not die either.
        for process in processes.values():
            _signal_alive(process, signal.SIGKILL, unshare_too=True)
        _wait_until_gone(processes, 2.0)
    return {name: _gone(process) for name, process in processes.items()}


def enter_host(process: HostProcess, command: list[str], timeout: float = 60.0) -> str:
    """Run `command` inside a running host's namespaces (used to restart dead daemons)."""
    result = subprocess.run(
        ["nsenter", "--target", str(process.pid1), "--mount", "--uts", "--pid", "--", *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise LabError(f"nsenter {' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


def load_state(path: Path) -> dict[str, HostProcess]:
    """Host name -> processes from state.json (empty if the lab was never started)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        fields = set(HostProcess.__dataclass_fields__)
        return {
            name: HostProcess(**{k: v for k, v in entry.items() if k in fields})
            for name, entry in data["hosts"].items()
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise LabError(f"state.json rusak / state.json is corrupt: {exc}") from exc


def save_state(path: Path, processes: dict[str, HostProcess]) -> None:
    data = {"hosts": {name: asdict(process) for name, process in sorted(processes.items())}}
    write_file(path, json.dumps(data, indent=2) + "\n", mode=0o644)
