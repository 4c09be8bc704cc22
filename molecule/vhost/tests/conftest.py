"""Verifier fixtures for the vhost scenario: web-dev, and its Apache error log on failure."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from verifier import lab_host, log_reporter  # noqa: E402

ADDRESS = "127.0.2.11"
_report = log_reporter(ADDRESS, ["/var/log/apache2/error.log", "/var/log/php8.2-fpm.log"])


@pytest.fixture(scope="module")
def host():  # type: ignore[no-untyped-def]
    return lab_host(ADDRESS)


@pytest.fixture(scope="module")
def site() -> str:
    return os.environ["MOLECULE_SITE"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    yield
    _report(item, call)
