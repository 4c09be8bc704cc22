"""What every scenario's testinfra verifier shares: the lab host over the project's
ssh_config (verified host keys), and the service log printed when a check fails."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import testinfra


def lab_host(address: str) -> testinfra.host.Host:
    """The lab host at `address`, through the ssh_config the provisioner generated."""
    return testinfra.get_host(
        f"ssh://root@{address}",
        ssh_config=os.environ["MOLECULE_LAB_SSH_CONFIG"],
        ssh_identity_file=os.environ["MOLECULE_LAB_SSH_KEY"],
    )


def log_reporter(address: str, logs: list[str]) -> Callable[[pytest.Item, pytest.CallInfo], None]:
    """A makereport hook body: on a failed check, attach the tail of the service logs."""

    def report(item: pytest.Item, call: pytest.CallInfo) -> None:
        if call.when != "call" or call.excinfo is None:
            return
        host = lab_host(address)
        for path in logs:
            out = host.run("tail -n 40 %s 2>&1", path)
            text = f"--- {address}:{path} ---\n{out.stdout}"
            item.add_report_section("call", f"log {path}", text)
            print(text)  # noqa: T201 - the log is the point of a failed verifier

    return report
