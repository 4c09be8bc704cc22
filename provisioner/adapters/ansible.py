"""Run the project's playbooks through ansible-runner and turn the outcome into data or errors.

One private data directory per call (the job runner passes var/runs/<job>/<step>), so every
step's artifacts (stdout, job_events, command) can be inspected or re-run later. Playbooks and
the inventory are referenced where they live in the project, never copied.

Secrets stay out of those artifacts: ansible-runner puts a dict of extra vars on the command
line (and so into artifacts/<ident>/command), so variables whose names look secret go through
a 0600 file that is passed as `-e @file` and deleted when the run ends; the other variables go
to env/extravars where a re-run finds them. The roles mark every task that sees a secret
`no_log`, so job_events and stdout only ever say "censored".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner
from ansible_runner.exceptions import AnsibleRunnerException, ConfigurationError

from provisioner.adapters.ssh_options import SshConfig, ansible_ssh_args, control_dir
from provisioner.domain.errors import ServerUnreachable, StepFailed

# Extra vars whose name matches are written only to the short-lived secrets file.
SECRET_VAR = re.compile(r"(password|passwd|secret|token|private_key)", re.IGNORECASE)
PLAYBOOK_NAME = re.compile(r"^[a-z0-9_]+\.ya?ml$")
REASON_MAX = 500
CONTROLLER = "controller"
# Every process of one run (ansible-playbook, its workers, their ssh clients) carries this.
RUN_MARK = "PROVISIONER_ANSIBLE_RUN"


@dataclass(frozen=True)
class AnsibleConfig:
    """Where the playbooks and the inventory live, Ansible's own state directory, how it
    speaks SSH, and how long one run may take."""

    playbooks_dir: Path
    inventory: Path
    home_dir: Path
    ssh: SshConfig
    timeout_s: int = 900


@dataclass(frozen=True)
class PlaybookResult:
    """What one playbook run did, as data the job runner stores with the step."""

    status: str
    rc: int
    changed: dict[str, int]
    failed_hosts: list[str]
    unreachable_hosts: list[str]
    stdout: str
    artifact_dir: Path
    duration_s: float
    # Data the playbook published with ansible.builtin.set_stats (e.g. release_path).
    outputs: dict[str, Any] = field(default_factory=dict)
    # Per host: "<failing task>: <message>" for failed or unreachable hosts.
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def total_changed(self) -> int:
        """Number of changed tasks over all hosts (0 = the run changed nothing)."""
        return sum(self.changed.values())

    def summary(self) -> dict[str, Any]:
        """JSON-ready form without stdout (stdout stays in the artifact directory)."""
        data = asdict(self)
        data.pop("stdout")
        data["artifact_dir"] = str(self.artifact_dir)
        return data


class PlaybookFailed(StepFailed):
    """A playbook failed on a host; carries the run's result for the job record."""

    def __init__(self, step: str, server: str, reason: str, result: PlaybookResult) -> None:
        super().__init__(step, server, reason)
        self.result = result


class PlaybookUnreachable(ServerUnreachable):
    """A host did not answer over SSH; carries the run's result for the job record."""

    def __init__(self, step: str, server: str, reason: str, result: PlaybookResult) -> None:
        super().__init__(step, server, reason)
        self.result = result


@dataclass
class _Collected:
    """Events kept from a run: the last failure per host and the published stats."""

    failures: dict[str, str] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


class AnsibleAdapter:
    """Runs playbooks from the configured playbooks directory against its inventory."""

    def __init__(self, config: AnsibleConfig) -> None:
        self._config = config

    def run(
        self,
        playbook: str,
        *,
        extravars: Mapping[str, Any],
        limit: str | None,
        run_dir: Path,
        step: str,
        cancel: Callable[[], bool] | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> PlaybookResult:
        """Run `playbook` (a file name in playbooks/) and return its result.

        Raises PlaybookFailed (a StepFailed) naming the failing host and task,
        PlaybookUnreachable (a ServerUnreachable) when a host did not answer, and StepFailed
        for a run that could not start, was cancelled or timed out. `on_event` receives
        every ansible-runner event (already censored for no_log tasks) for live output.
        """
        path = self._playbook_path(playbook, step)
        run_dir = run_dir.resolve()
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        secrets_file = self._write_extravars(run_dir, extravars)
        collected = _Collected()
        ident = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        started = time.monotonic()
        try:
            runner = ansible_runner.run(
                private_data_dir=str(run_dir),
                project_dir=str(self._config.playbooks_dir),
                playbook=str(path),
                inventory=str(self._config.inventory),
                limit=limit,
                envvars=self._envvars(run_dir, ident),
                extravars=str(secrets_file) if secrets_file else None,
                ident=ident,
                quiet=True,
                suppress_env_files=True,
                timeout=self._config.timeout_s,
                cancel_callback=cancel,
                event_handler=lambda event: self._on_event(event, collected, on_event),
            )
        except (AnsibleRunnerException, ConfigurationError, OSError, ValueError) as exc:
            raise StepFailed(
                step,
                limit or CONTROLLER,
                _short(
                    f"ansible-runner tidak dapat berjalan / ansible-runner could not run: {exc}"
                ),
            ) from exc
        finally:
            if secrets_file:
                secrets_file.unlink(missing_ok=True)
        if runner.status in ("canceled", "timeout"):
            end_leftovers(ident)
        result = self._result(runner, collected, started)
        (result.artifact_dir / "result.json").write_text(json.dumps(result.summary(), indent=2))
        self._raise_for(result, collected, step, limit)
        return result

    # --- building the run ----------------------------------------------------------------

    def _playbook_path(self, playbook: str, step: str) -> Path:
        path = self._config.playbooks_dir / playbook
        if not PLAYBOOK_NAME.match(playbook) or not path.is_file():
            raise StepFailed(
                step, CONTROLLER, f"playbook tidak dikenal / unknown playbook: {playbook}"
            )
        return path

    @staticmethod
    def _write_extravars(run_dir: Path, extravars: Mapping[str, Any]) -> Path | None:
        """env/extravars for plain values (kept), a 0600 file for secrets (deleted after)."""
        plain = {k: v for k, v in extravars.items() if not SECRET_VAR.search(k)}
        secret = {k: v for k, v in extravars.items() if SECRET_VAR.search(k)}
        env_dir = run_dir / "env"
        env_dir.mkdir(exist_ok=True, mode=0o700)
        # Always rewrite: ansible-runner reuses an existing env/extravars, so a retry in the
        # same run_dir must not see the previous attempt's values.
        (env_dir / "extravars").write_text(json.dumps(plain, indent=2, sort_keys=True))
        if not secret:
            return None
        path = run_dir / f".secrets-{uuid.uuid4().hex}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(secret, handle)
        return path

    def _envvars(self, run_dir: Path, ident: str) -> dict[str, str]:
        config = self._config
        venv_bin = str(Path(sys.executable).parent)
        local_tmp = run_dir / "tmp"
        local_tmp.mkdir(exist_ok=True, mode=0o700)
        return {
            "ANSIBLE_CONFIG": str(config.playbooks_dir / "ansible.cfg"),
            "ANSIBLE_HOME": str(config.home_dir),
            "ANSIBLE_LOCAL_TEMP": str(local_tmp),
            "ANSIBLE_PRIVATE_KEY_FILE": str(config.ssh.key),
            "ANSIBLE_SSH_ARGS": ansible_ssh_args(config.ssh),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir(config.ssh)),
            # ansible-runner turns host key checking off unless the variable is set.
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            # ansible-runner starts `ansible-playbook` by name: it must be the venv's.
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            RUN_MARK: ident,
        }

    # --- reading the run -----------------------------------------------------------------

    @staticmethod
    def _on_event(
        event: dict[str, Any],
        collected: _Collected,
        forward: Callable[[dict[str, Any]], None] | None,
    ) -> bool:
        kind = event.get("event")
        data = event.get("event_data") or {}
        host = data.get("host") or data.get("remote_addr") or ""
        if kind == "runner_on_failed" and not data.get("ignore_errors"):
            # Later failures win: a rescue's final `fail` task carries the useful reason.
            collected.failures[host] = _task_reason(data, unreachable=False)
        elif kind == "runner_on_unreachable":
            collected.unreachable[host] = _task_reason(data, unreachable=True)
        elif kind == "playbook_on_stats":
            collected.outputs = dict(data.get("artifact_data") or {})
        if forward is not None:
            forward(event)
        return True

    @staticmethod
    def _result(runner: Any, collected: _Collected, started: float) -> PlaybookResult:
        stats = runner.stats or {}
        with open(
            runner.config.artifact_dir + "/stdout", encoding="utf-8", errors="replace"
        ) as handle:
            stdout = handle.read()
        return PlaybookResult(
            status=str(runner.status),
            rc=int(runner.rc if runner.rc is not None else -1),
            changed={h: int(n) for h, n in (stats.get("changed") or {}).items()},
            failed_hosts=sorted((stats.get("failures") or {}).keys()),
            unreachable_hosts=sorted((stats.get("dark") or {}).keys()),
            stdout=stdout,
            artifact_dir=Path(runner.config.artifact_dir),
            duration_s=round(time.monotonic() - started, 3),
            outputs=collected.outputs,
            reasons={**collected.failures, **collected.unreachable},
        )

    @staticmethod
    def _raise_for(
        result: PlaybookResult, collected: _Collected, step: str, limit: str | None
    ) -> None:
        if result.unreachable_hosts:
            host = result.unreachable_hosts[0]
            reason = collected.unreachable.get(host, "host tidak menjawab / host unreachable")
            raise PlaybookUnreachable(step, host, reason, result)
        if result.failed_hosts:
            host = result.failed_hosts[0]
            reason = collected.failures.get(host, "tugas gagal / a task failed")
            raise PlaybookFailed(step, host, reason, result)
        if result.status == "canceled":
            raise PlaybookFailed(step, limit or CONTROLLER, "dibatalkan / canceled", result)
        if result.status == "timeout":
            raise PlaybookFailed(step, limit or CONTROLLER, "waktu habis / timed out", result)
        if result.status != "successful" or result.rc != 0:
            raise PlaybookFailed(step, limit or CONTROLLER, _stdout_reason(result), result)


def end_leftovers(ident: str) -> list[int]:
    """SIGKILL every process a cancelled or timed-out run left behind; return their PIDs.

    ansible-runner stops such a run by killing ansible-playbook's process group, but Ansible's
    workers call setsid(), so the ssh clients they started live on in groups of their own and
    keep their channel: the remote command (a vhost script waiting for the web lock) would
    carry on and change the host after the job was reported cancelled. Killing the client
    closes the channel, so the remote script's next write ends it. The shared ControlMaster
    ("[mux]" in its title) is left alone: other runs use it.
    """
    marker = f"{RUN_MARK}={ident}".encode()
    killed: list[int] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            title = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if marker in environ and b"[mux]" not in title:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)
                killed.append(int(proc.name))
    return killed


def _task_reason(data: Mapping[str, Any], *, unreachable: bool) -> str:
    """'<task>: <msg>' from a runner_on_failed/unreachable event, short enough for a record."""
    res = data.get("res") or {}
    message = res.get("msg") or res.get("stderr") or res.get("reason") or ""
    if not message and res.get("results"):  # a loop: the first failed item's message
        failed = [r for r in res["results"] if isinstance(r, dict) and r.get("failed")]
        if failed:
            message = failed[0].get("msg") or failed[0].get("stderr") or ""
    if not message and res.get("censored"):
        message = "(no_log) " + (
            "host tidak menjawab / unreachable" if unreachable else "gagal / failed"
        )
    task = data.get("task") or "?"
    return _short(f"{task}: {message}".strip())


def _stdout_reason(result: PlaybookResult) -> str:
    """For a run that failed before any task (syntax, inventory): its ERROR lines."""
    lines = [ln for ln in result.stdout.splitlines() if "ERROR" in ln or "error" in ln]
    tail = " ".join(lines[-3:]) or result.stdout.strip()[-REASON_MAX:]
    return _short(f"ansible-playbook rc={result.rc} ({result.status}): {tail}")


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"
