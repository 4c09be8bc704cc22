"""The feasibility tests provisioner runs itself on a development site, as the SOP's
hardware steps call them: a bounded load test and a baseline scan of headers and TLS,
each giving (passed, evidence)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from provisioner.adapters.header_scan import scan_site
from provisioner.adapters.load_test import run_load_test
from provisioner.domain.sop import JobKind

LOAD_REQUESTS = 200
LOAD_CONCURRENCY = 10


Probe = Callable[[str, str], tuple[bool, dict[str, Any]]]


def feasibility_probes(ca_file: Path | None) -> dict[JobKind, Probe]:
    def load(address: str, fqdn: str) -> tuple[bool, dict[str, Any]]:
        result = run_load_test(address, fqdn, requests=LOAD_REQUESTS, concurrency=LOAD_CONCURRENCY)
        return result.failed == 0, result.to_data()

    def scan(address: str, fqdn: str) -> tuple[bool, dict[str, Any]]:
        result = scan_site(address, fqdn, ca_file=ca_file)
        return result.passed, result.to_data()

    return {JobKind.LOAD_TEST: load, JobKind.SECURITY_SCAN: scan}
