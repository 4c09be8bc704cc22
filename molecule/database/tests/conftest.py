"""Verifier fixtures for the database scenario: db and web-dev, MariaDB's log on failure."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from verifier import lab_host, log_reporter  # noqa: E402

DB_ADDRESS = "127.0.2.30"
_report = log_reporter(DB_ADDRESS, ["/var/log/mysql/error.log"])


@pytest.fixture(scope="module")
def db_host():  # type: ignore[no-untyped-def]
    return lab_host(DB_ADDRESS)


@pytest.fixture(scope="module")
def web_host():  # type: ignore[no-untyped-def]
    return lab_host("127.0.2.11")


@pytest.fixture(scope="module")
def db() -> tuple[str, str]:
    return os.environ["MOLECULE_DB"], os.environ["MOLECULE_DB_PASSWORD"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    yield
    _report(item, call)
